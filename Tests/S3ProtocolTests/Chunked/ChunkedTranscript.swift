import NIOCore
import S3Protocol

/// Drives an `AWSChunkedDecoder` over a whole body cut into pieces, as a transcript.
struct ChunkedTranscript {
    var payload: [UInt8] = []
    var trailers: [(name: String, value: String)] = []
    /// The size of every buffer the decoder emitted.
    var emitted: [Int] = []

    /// Feeds `body` cut at `cuts` (sorted offsets), then finishes; throws the decoder's error.
    static func run(_ body: [UInt8], mode: AWSChunkedDecoder.Mode, cuts: [Int] = []) throws -> ChunkedTranscript {
        var decoder = AWSChunkedDecoder(mode: mode)
        var transcript = ChunkedTranscript()
        var start = 0
        for end in cuts + [body.count] where end >= start {
            for buffer in try decoder.feed(ByteBuffer(bytes: body[start..<end])) {
                transcript.payload += buffer.readableBytesView
                transcript.emitted.append(buffer.readableBytes)
            }
            start = end
        }
        try decoder.finish()
        precondition(decoder.isComplete)
        transcript.trailers = decoder.trailers
        return transcript
    }

    /// Cut points of `count` bytes into random pieces of 1…`maxPiece` bytes.
    static func randomCuts(count: Int, maxPiece: Int, seed: UInt64) -> [Int] {
        var generator = ChunkCutGenerator(seed: seed)
        var cuts: [Int] = []
        var offset = 0
        while true {
            offset += Int.random(in: 1...maxPiece, using: &generator)
            guard offset < count else { return cuts }
            cuts.append(offset)
        }
    }
}
