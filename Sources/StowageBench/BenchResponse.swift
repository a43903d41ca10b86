package import NIOCore

/// What came back for one request.
package struct BenchResponse: Sendable {
    /// The HTTP status code.
    package var status: Int
    /// Body bytes received (counted even when not kept).
    package var bodyByteCount: Int
    /// The body, when the request asked for it to be kept (at most `BenchConnection.maxCollectedBodyBytes`).
    package var body: ByteBuffer?
    /// False when the server will close the connection after this response.
    package var keepAlive: Bool

    package var isSuccess: Bool { (200..<300).contains(status) }
}
