internal import NIOCore
internal import NIOPosix
internal import S3Protocol
internal import StowageBench

/// A client of a node's admin API (`/_stowage/admin/v1/…`): one SigV4-signed HTTP/1.1 request
/// per connection (a `BenchConnection`), the whole response kept.
///
/// There is no response timeout: a heal of a large node runs for as long as it needs, within
/// one request (the server does not close a connection while its response is pending; TCP
/// keep-alive probes notice a dead peer). Only connecting is bounded (10 seconds).
struct AdminClient {

    let endpoint: BenchEndpoint
    let signer: SigV4Signer

    /// Sends `method path?query` (query values are percent-encoded here) and returns the response,
    /// whatever its status. Throws `AdminClientError` when the node cannot be reached or the
    /// response is cut short or too large to keep.
    func send(method: String, path: String, query: [(name: String, value: String)] = []) async throws -> AdminResponse {
        let rawQuery = query.map {
            PercentEncoding.awsURIEncode($0.name) + "=" + PercentEncoding.awsURIEncode($0.value)
        }.joined(separator: "&")
        // Every admin request has an empty body.
        let request = BenchRequest(
            method: method, rawPath: path, rawQuery: rawQuery, payloadHash: SigV4Crypto.emptySHA256Hex,
            collectsResponseBody: true)
        let response: BenchResponse
        do {
            response = try await BenchConnection.withConnection(
                to: endpoint, group: MultiThreadedEventLoopGroup.singleton, payload: ByteBuffer(), signer: signer
            ) { connection in try await connection.execute(request) }
        } catch {
            throw AdminClientError("cannot reach \(endpoint.url): \(error)")
        }
        guard let body = response.body, body.readableBytes == response.bodyByteCount else {
            throw AdminClientError("the response from \(endpoint.url) is larger than \(BenchConnection.maxCollectedBodyBytes) bytes")
        }
        return AdminResponse(status: response.status, body: Array(body.readableBytesView))
    }
}
