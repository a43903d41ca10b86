/// What the verifier of a streaming (aws-chunked) upload hands on to the chunk decoder: the
/// signing key and the seed signature from which every chunk signature is chained.
///
/// It holds the derived signing key, not the secret; the key is valid for one day, one region
/// and the `s3` service only.
package struct ChunkSigningContext: Sendable {
    /// The SigV4 signing key (HMAC chain output) for the request's credential scope.
    package var signingKey: [UInt8]
    /// The request's own signature (lowercase hex): the "previous signature" of the first chunk.
    package var seedSignature: String
    /// The request time, `yyyyMMdd'T'HHmmss'Z'`, as it appeared in the request's string to sign.
    package var amzDate: String
    /// `yyyyMMdd/region/s3/aws4_request`.
    package var scope: String

    package init(signingKey: [UInt8], seedSignature: String, amzDate: String, scope: String) {
        self.signingKey = signingKey
        self.seedSignature = seedSignature.lowercased()
        self.amzDate = amzDate
        self.scope = scope
    }

    /// The signature of one chunk given the previous signature and the hex SHA-256 of its data:
    /// `AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n<previous>\n<sha256("")>\n<sha256(data)>`.
    package func chunkSignature(previousSignature: String, chunkSHA256Hex: String) -> String {
        let stringToSign =
            "AWS4-HMAC-SHA256-PAYLOAD\n\(amzDate)\n\(scope)\n\(previousSignature)\n"
            + "\(SigV4Crypto.emptySHA256Hex)\n\(chunkSHA256Hex)"
        return SigV4Crypto.signature(signingKey: signingKey, stringToSign: stringToSign)
    }

    /// The signature of the trailing headers given the last chunk's signature and the hex
    /// SHA-256 of the trailer lines, each as `name:value\n`:
    /// `AWS4-HMAC-SHA256-TRAILER\n<date>\n<scope>\n<previous>\n<sha256(trailers)>`.
    package func trailerSignature(previousSignature: String, trailerSHA256Hex: String) -> String {
        let stringToSign = "AWS4-HMAC-SHA256-TRAILER\n\(amzDate)\n\(scope)\n\(previousSignature)\n\(trailerSHA256Hex)"
        return SigV4Crypto.signature(signingKey: signingKey, stringToSign: stringToSign)
    }
}
