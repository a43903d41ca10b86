internal import Crypto
internal import FoundationEssentials
internal import Synchronization

/// Authenticates internode requests with a key every node derives from the root credentials.
///
/// A request carries `x-stowage-date` (seconds since 1970), `x-stowage-nonce` (random, 32 hex
/// digits) and `x-stowage-signature`: hex HMAC-SHA256 over method, path, query, date and nonce.
/// Verification refuses a signature that does not match, a date more than `maxSkewSeconds`
/// from the receiver's clock, and a nonce already seen within that window (a replay).
/// Bodies are not signed: shard data carries its own block checksums, and metadata travels
/// only inside signed, unreplayable requests; a network that can rewrite bytes needs TLS.
package final class InternodeSignature: Sendable {
    package static let dateHeader = "x-stowage-date"
    package static let nonceHeader = "x-stowage-nonce"
    package static let signatureHeader = "x-stowage-signature"

    /// The derived key's bytes (`SymmetricKey` is not `Sendable`).
    private let key: [UInt8]
    package let maxSkewSeconds: Int64
    /// Nonces seen (their first 64 bits, random enough), by the second their request was dated;
    /// seconds outside the window are dropped. A replay carries its original date (it is
    /// signed), so one second's set is the only place to look.
    private let seen = Mutex<[Int64: Set<UInt64>]>([:])

    package init(rootUser: String, rootPassword: String, maxSkewSeconds: Int64 = 60) {
        let derived = HMAC<SHA256>.authenticationCode(
            for: Array("stowage internode v1 \(rootUser)".utf8), using: SymmetricKey(data: Array(rootPassword.utf8)))
        self.key = Array(derived)
        self.maxSkewSeconds = maxSkewSeconds
    }

    /// The three headers for a request sent now.
    package func headers(method: String, path: String, query: String, now: Int64) -> [(name: String, value: String)] {
        var generator = SystemRandomNumberGenerator()
        let nonce = Self.hex(UInt64.random(in: .min ... .max, using: &generator))
            + Self.hex(UInt64.random(in: .min ... .max, using: &generator))
        let date = String(now)
        return [
            (Self.dateHeader, date), (Self.nonceHeader, nonce),
            (Self.signatureHeader, signature(method: method, path: path, query: query, date: date, nonce: nonce)),
        ]
    }

    /// What a verification found.
    package enum Refusal: Error, Equatable, CustomStringConvertible {
        case missing
        case badSignature
        case expired
        case replayed

        package var description: String {
            switch self {
            case .missing: "internode authentication headers missing"
            case .badSignature: "internode signature does not match"
            case .expired: "internode request date outside the allowed window"
            case .replayed: "internode request replayed"
            }
        }
    }

    /// Throws a `Refusal` unless the request was signed with this key, now, and not before.
    package func verify(
        method: String, path: String, query: String, date: String?, nonce: String?, signature presented: String?,
        now: Int64
    ) throws(Refusal) {
        guard let date, let nonce, let presented, nonce.utf8.count == 32, let seconds = Int64(date),
            let nonceBits = UInt64(nonce.prefix(16), radix: 16)
        else {
            throw .missing
        }
        let expected = signature(method: method, path: path, query: query, date: date, nonce: nonce)
        guard Self.constantTimeEquals(expected, presented) else { throw .badSignature }
        guard abs(now - seconds) <= maxSkewSeconds else { throw .expired }
        let window = maxSkewSeconds
        let fresh = seen.withLock { seen -> Bool in
            if seen.count > 2 * Int(window) + 2 { seen = seen.filter { abs(now - $0.key) <= window } }
            return seen[seconds, default: []].insert(nonceBits).inserted
        }
        guard fresh else { throw .replayed }
    }

    private func signature(method: String, path: String, query: String, date: String, nonce: String) -> String {
        let text = [method, path, query, date, nonce].joined(separator: "\n")
        let code = HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key))
        return code.map { Self.hexDigit($0 >> 4) + Self.hexDigit($0 & 0xF) }.joined()
    }

    private static func hexDigit(_ value: UInt8) -> String {
        String(UnicodeScalar(value < 10 ? 48 + value : 87 + value))
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    private static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
