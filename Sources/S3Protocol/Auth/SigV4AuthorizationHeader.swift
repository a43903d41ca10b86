/// A parsed `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` value.
///
/// Whitespace after the algorithm and around the commas is tolerated, as AWS does; each of the
/// three fields must appear exactly once.
struct SigV4AuthorizationHeader: Sendable {
    static let algorithm = "AWS4-HMAC-SHA256"

    var credential: SigV4Credential
    /// Lowercased header names, in the order the client listed them.
    var signedHeaders: [String]
    /// Lowercase hex.
    var signature: String

    /// Throws `InvalidRequest` for another scheme (SigV4a; the verifier sends SigV2 `AWS …`
    /// elsewhere before parsing) and
    /// `AuthorizationHeaderMalformed` for a malformed SigV4 value.
    init(parsing value: String) throws {
        let trimmed = SigV4Whitespace.trim(value)
        guard trimmed == Self.algorithm || trimmed.hasPrefix(Self.algorithm + " ") else {
            throw S3Error(
                .invalidRequest,
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
        }
        var credential: SigV4Credential?
        var signedHeaders: [String]?
        var signature: String?
        let fields = trimmed.dropFirst(Self.algorithm.count).split(separator: ",", omittingEmptySubsequences: false)
        for field in fields {
            let field = SigV4Whitespace.trim(field)
            guard let equals = field.firstIndex(of: "=") else { throw Self.malformed("missing '='") }
            let name = field[..<equals]
            let text = field[field.index(after: equals)...]
            switch name {
            case "Credential" where credential == nil:
                guard let parsed = SigV4Credential(text) else {
                    throw Self.malformed(
                        "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"")
                }
                credential = parsed
            case "SignedHeaders" where signedHeaders == nil:
                let names = text.split(separator: ";", omittingEmptySubsequences: false).map { $0.lowercased() }
                guard names.allSatisfy({ !$0.isEmpty }) else { throw Self.malformed("SignedHeaders is empty") }
                signedHeaders = names
            case "Signature" where signature == nil:
                guard SigV4Crypto.isHex(text, count: 64) else {
                    throw Self.malformed("the Signature is not 64 hex digits")
                }
                signature = text.lowercased()
            default:
                throw Self.malformed("unexpected or repeated field '\(name)'")
            }
        }
        guard let credential, let signedHeaders, let signature else {
            throw Self.malformed("Credential, SignedHeaders and Signature are all required")
        }
        self.credential = credential
        self.signedHeaders = signedHeaders
        self.signature = signature
    }

    static func malformed(_ reason: String) -> S3Error {
        S3Error(.authorizationHeaderMalformed, "The authorization header is malformed; \(reason).")
    }
}
