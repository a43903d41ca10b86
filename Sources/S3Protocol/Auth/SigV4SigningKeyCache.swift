internal import Synchronization

/// Remembers derived SigV4 signing keys. Deriving one costs four HMACs, and a key is valid for a
/// whole day of one region, so a server verifying thousands of requests a second derives each
/// key once. Holds at most `capacity` keys (cleared when full); safe to use from any thread.
package final class SigV4SigningKeyCache: Sendable {
    private struct Entry: Hashable {
        let secret: String
        let date: String
        let region: String
    }

    private let keys = Mutex<[Entry: [UInt8]]>([:])
    private let capacity: Int

    package init(capacity: Int = 64) {
        self.capacity = capacity
    }

    package func signingKey(secretKey: String, date: String, region: String) -> [UInt8] {
        let entry = Entry(secret: secretKey, date: date, region: region)
        if let key = keys.withLock({ $0[entry] }) { return key }
        let key = SigV4Crypto.signingKey(secretKey: secretKey, date: date, region: region)
        keys.withLock { keys in
            if keys.count >= capacity { keys.removeAll() }
            keys[entry] = key
        }
        return key
    }
}
