internal import Crypto

/// The cryptographic primitives of AWS Signature Version 4, over plain bytes and strings.
///
/// These are the only place SigV4 touches Crypto; the verifier, the chunk decoder and the tests
/// (which sign requests of their own) all go through them.
package enum SigV4Crypto {
    /// Hex SHA-256 of the empty string, the payload hash of an empty chunk.
    package static let emptySHA256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The SigV4 signing key: HMAC chain `"AWS4" + secret` → date → region → service → `aws4_request`.
    ///
    /// `date` is the `yyyyMMdd` of the credential scope.
    package static func signingKey(secretKey: String, date: String, region: String, service: String = "s3") -> [UInt8] {
        var key = hmacSHA256(key: Array(("AWS4" + secretKey).utf8), date)
        key = hmacSHA256(key: key, region)
        key = hmacSHA256(key: key, service)
        return hmacSHA256(key: key, "aws4_request")
    }

    /// HMAC-SHA256 of the UTF-8 bytes of `message`.
    package static func hmacSHA256(key: [UInt8], _ message: String) -> [UInt8] {
        let code = HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: key))
        return Array(code)
    }

    /// The lowercase hex signature of `stringToSign` under `signingKey`.
    package static func signature(signingKey: [UInt8], stringToSign: String) -> String {
        hex(hmacSHA256(key: signingKey, stringToSign))
    }

    /// The lowercase hex signature, as UTF-8, of the UTF-8 `stringToSign` under a signing key.
    static func signatureHex(signingKey: HMACSHA256Key, stringToSign: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(64)
        stringToSign.withUnsafeBytes { signingKey.appendHexAuthenticationCode($0, to: &out) }
        return out
    }

    /// Appends the lowercase hex SHA-256 of `bytes` to `out`.
    static func appendSHA256Hex(_ bytes: [UInt8], to out: inout [UInt8]) {
        var hasher = SHA256()
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        hasher.finalize().withUnsafeBytes { appendHex($0, to: &out) }
    }

    /// Appends the lowercase hex of `bytes` to `out`.
    static func appendHex(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        // Written into place, not appended digit by digit (each append checks uniqueness).
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: bytes.count * 2))
        out.withUnsafeMutableBufferPointer { digits in
            for (index, byte) in bytes.enumerated() {
                digits[start + 2 * index] = hexDigit(byte >> 4)
                digits[start + 2 * index + 1] = hexDigit(byte & 0x0F)
            }
        }
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble
    }

    /// `constantTimeEquals` of the UTF-8 `a` and the string `b`.
    static func constantTimeEquals(_ a: [UInt8], _ b: String) -> Bool {
        var b = b
        return b.withUTF8 { constantTimeEquals(a, $0) }
    }

    /// Whether two hex digit strings are equal ignoring ASCII case, in time that depends only on
    /// their length.
    static func constantTimeEquals(_ a: [UInt8], _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<b.count {
            difference |= ASCII.lowered(a[i]) ^ ASCII.lowered(b[i])
        }
        return difference == 0
    }

    /// Lowercase hex SHA-256 of `bytes`.
    package static func sha256Hex(_ bytes: some Sequence<UInt8>) -> String {
        hex(SHA256.hash(data: Array(bytes)))
    }

    /// Lowercase hex of `bytes`.
    package static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares two signatures without an early exit, so that the time taken does not tell an
    /// attacker how many leading characters of a forged signature were right.
    ///
    /// Hex case is ignored (clients send lowercase; case carries no secret).
    package static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count {
            difference |= ASCII.lowered(x[i]) ^ ASCII.lowered(y[i])
        }
        return difference == 0
    }

    /// True for exactly `count` hex digits (either case).
    package static func isHex(_ text: some StringProtocol, count: Int) -> Bool {
        if let answer = text.utf8.withContiguousStorageIfAvailable({ bytes in
            bytes.count == count && bytes.allSatisfy { PercentEncoding.hexValue($0) != nil }
        }) {
            return answer
        }
        var n = 0
        for byte in text.utf8 {
            guard PercentEncoding.hexValue(byte) != nil else { return false }
            n += 1
        }
        return n == count
    }
}
