internal import Crypto
internal import StowageCore

/// The cryptography of AWS Signature Version 2: HMAC-SHA1 of the string to sign, base64-encoded.
///
/// SHA-1 is what the protocol fixes; nothing else in Stowage should use it.
package enum SigV2Crypto {
    /// `Base64(HMAC-SHA1(secret, UTF-8(stringToSign)))`, the signature a client sends.
    package static func signature(secretKey: String, stringToSign: String) -> String {
        Base64.encode(hmacSHA1(secretKey: secretKey, stringToSign))
    }

    /// True when `provided` (base64, as sent) is the signature of `stringToSign` under `secretKey`.
    ///
    /// Compares the decoded bytes in constant time. Base64 is case-sensitive, so the bytes go
    /// through `SigV4Crypto.constantTimeEquals` as hex, whose case folding is then harmless.
    /// Malformed base64 never matches.
    package static func matches(_ provided: String, secretKey: String, stringToSign: String) -> Bool {
        guard let providedBytes = Base64.decode(provided) else { return false }
        let expected = hmacSHA1(secretKey: secretKey, stringToSign)
        return SigV4Crypto.constantTimeEquals(SigV4Crypto.hex(expected), SigV4Crypto.hex(providedBytes))
    }

    private static func hmacSHA1(secretKey: String, _ message: String) -> [UInt8] {
        let key = SymmetricKey(data: Array(secretKey.utf8))
        return Array(HMAC<Insecure.SHA1>.authenticationCode(for: Array(message.utf8), using: key))
    }
}
