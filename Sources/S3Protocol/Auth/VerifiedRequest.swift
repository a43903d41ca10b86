/// The outcome of a successful signature check: who signed, and how the body must be handled.
///
/// Only the headers, path and query are verified at this point. The body is not: the caller
/// must check `.sha256` against the bytes it reads, and decode streaming bodies with
/// `AWSChunkedDecoder` (whose `finish()` completes the verification).
package struct VerifiedRequest: Sendable {
    package var accessKey: String
    package var payload: PayloadMode
    /// Non-nil exactly for `.streamingSigned` and `.streamingSignedTrailer`.
    package var chunkSigning: ChunkSigningContext?

    package init(accessKey: String, payload: PayloadMode, chunkSigning: ChunkSigningContext?) {
        self.accessKey = accessKey
        self.payload = payload
        self.chunkSigning = chunkSigning
    }
}
