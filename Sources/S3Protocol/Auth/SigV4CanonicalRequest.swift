/// The SigV4 canonical request of an S3 request and the string to sign built from it.
///
/// S3 differs from other AWS services in the canonical URI: the path is encoded once and not
/// normalised, so `//` and `..` segments are kept as the client sent them.
struct SigV4CanonicalRequest: Sendable {
    /// The canonical request text:
    /// `method \n URI \n query \n headers (each ending in \n) \n signed headers \n payload hash`.
    var text: String

    init(
        method: String,
        canonicalURI: String,
        canonicalQuery: String,
        signedHeaders: [String],
        headers: SigV4HeaderIndex,
        payloadHash: String
    ) {
        var text = method + "\n" + canonicalURI + "\n" + canonicalQuery + "\n"
        for name in signedHeaders {
            // A signed header that is absent canonicalises as empty; the signature then fails.
            text += name + ":" + (headers.values(name).map(SigV4Whitespace.trimAll).joined(separator: ",")) + "\n"
        }
        text += "\n" + signedHeaders.joined(separator: ";") + "\n" + payloadHash
        self.text = text
    }

    /// `AWS4-HMAC-SHA256 \n amzDate \n scope \n hex(sha256(canonical request))`.
    func stringToSign(amzDate: String, scope: String) -> String {
        "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(SigV4Crypto.sha256Hex(text.utf8))"
    }

    /// The raw path percent-decoded, then `UriEncode`d with `/` kept; `/` for an empty path.
    ///
    /// Throws `InvalidURI` for a malformed escape or a path that does not decode to UTF-8.
    static func canonicalURI(rawPath: String) throws -> String {
        guard !rawPath.isEmpty else { return "/" }
        guard let decoded = PercentEncoding.decode(rawPath) else {
            throw S3Error(.invalidURI, "Couldn't parse the specified URI: malformed percent-encoding in the path.")
        }
        return PercentEncoding.awsURIEncode(decoded, encodeSlash: false)
    }
}
