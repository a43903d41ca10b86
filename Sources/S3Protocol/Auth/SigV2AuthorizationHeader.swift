/// A parsed `Authorization: AWS <AWSAccessKeyId>:<Signature>` value (Signature Version 2).
///
/// Only the shape is checked here: a non-empty access key, a colon, and a non-empty signature.
/// Whether the key exists and the signature is right is the verifier's business.
struct SigV2AuthorizationHeader: Sendable {
    static let scheme = "AWS"

    var accessKey: String
    /// Base64, as sent.
    var signature: String

    /// True when `value` uses the SigV2 scheme (`AWS` and a space), whatever follows.
    static func isSignatureVersion2(_ value: String) -> Bool {
        SigV4Whitespace.trim(value).hasPrefix(scheme + " ")
    }

    /// Throws `InvalidArgument` (naming the `Authorization` header) for a malformed value.
    init(parsing value: String) throws {
        let trimmed = SigV4Whitespace.trim(value)
        guard trimmed.hasPrefix(Self.scheme + " ") else { throw Self.malformed() }
        let credentials = SigV4Whitespace.trim(trimmed.dropFirst(Self.scheme.count + 1))
        // The access key cannot contain ':'; base64 cannot either, so the first colon splits.
        guard let colon = credentials.firstIndex(of: ":") else { throw Self.malformed() }
        let accessKey = credentials[..<colon]
        let signature = credentials[credentials.index(after: colon)...]
        guard !accessKey.isEmpty, !signature.isEmpty, !signature.contains(" ") else { throw Self.malformed() }
        self.accessKey = String(accessKey)
        self.signature = String(signature)
    }

    static func malformed() -> S3Error {
        S3Error(
            .invalidArgument, "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
            details: [("ArgumentName", "Authorization")])
    }
}
