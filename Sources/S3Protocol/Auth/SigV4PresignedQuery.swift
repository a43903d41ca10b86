/// The `X-Amz-*` parameters of a SigV4 presigned URL.
///
/// Every failure here is `AuthorizationQueryParametersError`, with AWS's wording.
struct SigV4PresignedQuery: Sendable {
    /// The longest validity AWS allows: seven days.
    static let maxExpiresSeconds: Int64 = 604_800

    var credential: SigV4Credential
    var timestamp: SigV4Timestamp
    var expiresSeconds: Int64
    /// Lowercased header names, in the order listed.
    var signedHeaders: [String]
    /// Lowercase hex.
    var signature: String
    /// `X-Amz-Content-Sha256`, when the URL pins the payload.
    var contentSHA256: String?

    /// The parameters that authenticate the URL; each may appear once.
    static let authenticationParameters = [
        "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
        "X-Amz-Signature", "X-Amz-Content-Sha256", "X-Amz-Security-Token",
    ]

    init(_ query: SigV4Query) throws {
        if let repeated = query.firstRepeated(of: Self.authenticationParameters) {
            throw Self.error("\(repeated) must appear only once.")
        }
        guard query.first("X-Amz-Algorithm") == SigV4AuthorizationHeader.algorithm else {
            throw Self.error("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
        }
        guard let credentialText = query.first("X-Amz-Credential"), let dateText = query.first("X-Amz-Date"),
            let expiresText = query.first("X-Amz-Expires"), let signedHeadersText = query.first("X-Amz-SignedHeaders"),
            let signatureText = query.first("X-Amz-Signature")
        else {
            throw Self.error(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                    + "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
        }
        guard let credential = SigV4Credential(credentialText) else {
            throw Self.error(
                "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
                    + "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
        }
        guard let timestamp = SigV4Timestamp(amzDate: dateText) else {
            throw Self.error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        }
        guard !expiresText.isEmpty, expiresText.utf8.count <= 18,
            expiresText.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let expires = Int64(expiresText)
        else {
            throw Self.error("X-Amz-Expires should be a number")
        }
        guard expires >= 1 else { throw Self.error("X-Amz-Expires must be non-negative") }
        guard expires <= Self.maxExpiresSeconds else {
            throw Self.error("X-Amz-Expires must be less than a week (in seconds) that is 604800")
        }
        guard let signedHeaders = Self.signedHeaderNames(signedHeadersText) else {
            throw Self.error("X-Amz-SignedHeaders is malformed.")
        }
        guard SigV4Crypto.isHex(signatureText, count: 64) else {
            throw Self.error("X-Amz-Signature must be 64 hexadecimal digits.")
        }
        self.credential = credential
        self.timestamp = timestamp
        self.expiresSeconds = expires
        self.signedHeaders = signedHeaders
        self.signature = signatureText.lowercased()
        self.contentSHA256 = query.first("X-Amz-Content-Sha256")
    }

    /// The names of `name;name;…`, each lowercased; nil when one is empty.
    private static func signedHeaderNames(_ text: String) -> [String]? {
        if SigV4HeaderIndex.isASCII(text) {
            var text = text
            return text.withUTF8 { SigV4AuthorizationHeader.signedHeaderNames($0, 0..<$0.count) }
        }
        // By Character outside ASCII, where `;` may combine with the next scalar.
        let names = text.split(separator: ";", omittingEmptySubsequences: false).map { $0.lowercased() }
        return names.allSatisfy({ !$0.isEmpty }) ? names : nil
    }

    static func error(_ message: String) -> S3Error {
        S3Error(.authorizationQueryParametersError, message)
    }
}
