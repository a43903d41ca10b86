import S3Protocol

/// Builds signed aws-chunked bodies with `ChunkSigningContext` (itself pinned by the AWS example).
enum SignedChunkedBody {
    static let context = AWSStreamingExample.context(seed: AWSStreamingExample.seedSignature)

    /// Chunks `data` as given (an empty final chunk is added), with optional signed trailers.
    static func make(_ chunks: [[UInt8]], trailers: [(String, String)]? = nil) -> [UInt8] {
        var previous = context.seedSignature
        var body: [UInt8] = []
        for chunk in chunks + [[]] {
            previous = context.chunkSignature(previousSignature: previous, chunkSHA256Hex: SigV4Crypto.sha256Hex(chunk))
            body += Array("\(String(chunk.count, radix: 16));chunk-signature=\(previous)\r\n".utf8)
            if !chunk.isEmpty { body += chunk + Array("\r\n".utf8) }
        }
        if let trailers {
            var canonical = ""
            for (name, value) in trailers {
                body += Array("\(name):\(value)\r\n".utf8)
                canonical += "\(name):\(value)\n"
            }
            let signature = context.trailerSignature(
                previousSignature: previous, trailerSHA256Hex: SigV4Crypto.sha256Hex(Array(canonical.utf8)))
            body += Array("x-amz-trailer-signature:\(signature)\r\n".utf8)
        }
        body += Array("\r\n".utf8)
        return body
    }
}
