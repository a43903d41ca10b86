/// The `AWSAccessKeyId`, `Signature` and `Expires` parameters of a Signature Version 2
/// presigned URL (query-string authentication).
///
/// Failures are `AccessDenied`, as AWS answers them; a repeated parameter is InvalidArgument (400).
struct SigV2PresignedQuery: Sendable {
    var accessKey: String
    /// Base64, percent-decoded.
    var signature: String
    /// Seconds since 1970 after which the URL is refused.
    var expires: Int64
    /// `Expires` exactly as sent; it is the Date line of the string to sign.
    var expiresText: String

    /// True when the query authenticates with SigV2: `AWSAccessKeyId` and `Signature`, and no
    /// SigV4 `X-Amz-Algorithm` (a SigV4 URL wins, so that its own errors are reported).
    static func isSignatureVersion2(_ query: SigV4Query) -> Bool {
        query.contains("AWSAccessKeyId") && query.contains("Signature") && !query.contains("X-Amz-Algorithm")
    }

    init(_ query: SigV4Query) throws {
        if let repeated = query.firstRepeated(of: ["AWSAccessKeyId", "Signature", "Expires"]) {
            throw S3Error(
                .invalidArgument, "\(repeated) must appear only once.",
                details: [("ArgumentName", repeated)])
        }
        guard let accessKey = query.first("AWSAccessKeyId"), !accessKey.isEmpty,
            let signature = query.first("Signature"), !signature.isEmpty,
            let expiresText = query.first("Expires")
        else {
            throw S3Error(
                .accessDenied,
                "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
        }
        guard !expiresText.isEmpty, expiresText.utf8.count <= 18,
            expiresText.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let expires = Int64(expiresText)
        else {
            throw S3Error(.accessDenied, "Invalid date (should be seconds since epoch): \(expiresText)")
        }
        self.accessKey = accessKey
        self.signature = signature
        self.expires = expires
        self.expiresText = expiresText
    }
}
