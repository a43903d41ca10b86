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

    /// A derived key, and the same key prepared for HMAC.
    struct Key: Sendable {
        var bytes: [UInt8]
        var hmac: HMACSHA256Key
    }

    private struct State {
        var keys: [Entry: Key] = [:]
        /// The key found last: most requests share one, and comparing beats hashing three strings.
        var last: (entry: Entry, key: Key)?
    }

    private let state = Mutex<State>(State())
    private let capacity: Int

    package init(capacity: Int = 64) {
        self.capacity = capacity
    }

    package func signingKey(secretKey: String, date: String, region: String) -> [UInt8] {
        preparedSigningKey(secretKey: secretKey, date: date, region: region).bytes
    }

    /// The signing key of `secretKey`, `date` and `region`, with its HMAC preparation.
    func preparedSigningKey(secretKey: String, date: String, region: String) -> Key {
        let entry = Entry(secret: secretKey, date: date, region: region)
        let cached: Key? = state.withLock { state in
            if let last = state.last, last.entry == entry { return last.key }
            guard let key = state.keys[entry] else { return nil }
            state.last = (entry, key)
            return key
        }
        if let cached { return cached }
        let bytes = SigV4Crypto.signingKey(secretKey: secretKey, date: date, region: region)
        let key = Key(bytes: bytes, hmac: HMACSHA256Key(bytes))
        state.withLock { state in
            if state.keys.count >= capacity { state.keys.removeAll() }
            state.keys[entry] = key
            state.last = (entry, key)
        }
        return key
    }
}
