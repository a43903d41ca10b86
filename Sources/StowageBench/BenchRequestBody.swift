package import NIOCore

/// The body of a bench request.
package enum BenchRequestBody: Sendable {
    /// No body (`Content-Length` is sent only for PUT and POST, as 0).
    case none
    /// `count` bytes streamed from the connection's reusable payload buffer, repeated as often as
    /// needed: a 256 MiB PUT costs no more memory than a 1 MiB one.
    case payload(count: Int)
    /// These bytes (a prepared DeleteObjects document).
    case bytes(ByteBuffer)

    var count: Int {
        switch self {
        case .none: 0
        case .payload(let count): count
        case .bytes(let buffer): buffer.readableBytes
        }
    }
}
