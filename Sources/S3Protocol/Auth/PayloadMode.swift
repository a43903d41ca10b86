/// How the request body is protected, as declared by `x-amz-content-sha256` (or by
/// `X-Amz-Content-Sha256` in a presigned URL).
package enum PayloadMode: Sendable, Equatable {
    /// `UNSIGNED-PAYLOAD`; also a presigned URL that names no content hash.
    case unsigned
    /// The lowercase hex SHA-256 the client declared. The verifier does not read the body: the
    /// caller must hash it and answer `XAmzContentSHA256Mismatch` when it differs.
    case sha256(String)
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: an aws-chunked body with a signature per chunk.
    case streamingSigned
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks and signed trailing headers.
    case streamingSignedTrailer
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: aws-chunked without chunk signatures, with trailers.
    case streamingUnsignedTrailer

    /// Classifies an `x-amz-content-sha256` value; nil for anything SigV4 does not define (or
    /// that Stowage does not support, such as the SigV4a `STREAMING-AWS4-ECDSA-…` values).
    init?(contentSHA256 value: String) {
        switch value {
        case "UNSIGNED-PAYLOAD": self = .unsigned
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD": self = .streamingSigned
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER": self = .streamingSignedTrailer
        case "STREAMING-UNSIGNED-PAYLOAD-TRAILER": self = .streamingUnsignedTrailer
        default:
            guard SigV4Crypto.isHex(value, count: 64) else { return nil }
            self = .sha256(value.lowercased())
        }
    }

    /// True for the three aws-chunked modes (the body must be decoded with `AWSChunkedDecoder`).
    package var isStreaming: Bool {
        switch self {
        case .unsigned, .sha256: false
        case .streamingSigned, .streamingSignedTrailer, .streamingUnsignedTrailer: true
        }
    }
}
