internal import NIOCore
internal import NIOHTTP1
internal import NIOPosix
internal import S3Protocol
internal import StowageBench

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A client of a node's admin API (`/_stowage/admin/v1/…`): one SigV4-signed HTTP/1.1 request
/// per connection, the whole response read into memory.
///
/// There is no response timeout: a heal of a large node runs for as long as it needs, within
/// one request (the server does not close a connection while its response is pending). Only
/// connecting is bounded (10 seconds). Not `Sendable`: the signer caches its key per copy.
struct AdminClient {
    /// The most response bytes kept; admin documents are far smaller.
    static let maxResponseBytes = 64 << 20
    /// SHA-256 of the empty body every admin request has.
    static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    let endpoint: BenchEndpoint
    var signer: SigV4Signer

    /// Sends `method path?query` (query values are percent-encoded here) and returns the response,
    /// whatever its status. Throws `AdminClientError` when the node cannot be reached or the
    /// response is cut short.
    mutating func send(method: String, path: String, query: [(name: String, value: String)] = []) async throws
        -> AdminResponse
    {
        let rawQuery = query.map {
            PercentEncoding.awsURIEncode($0.name) + "=" + PercentEncoding.awsURIEncode($0.value)
        }.joined(separator: "&")
        var fields: [(name: String, value: String)] = [("host", endpoint.hostHeader)]
        if method == "POST" || method == "PUT" { fields.append(("content-length", "0")) }
        let signable = SignableRequest(method: method, rawPath: path, rawQuery: rawQuery, headers: fields)
        fields += try signer.sign(signable, payloadHash: Self.emptyPayloadHash, now: Int64(time(nil)))
        // Not signed (a hop-by-hop header): the server closes the connection after answering.
        fields.append(("connection", "close"))

        var headers = HTTPHeaders()
        for field in fields { headers.add(name: field.name, value: field.value) }
        let head = HTTPRequestHead(
            version: .http1_1, method: HTTPMethod(rawValue: method),
            uri: rawQuery.isEmpty ? path : path + "?" + rawQuery, headers: headers)
        do {
            return try await exchange(head)
        } catch let error as AdminClientError {
            throw error
        } catch {
            throw AdminClientError("cannot reach \(endpoint.url): \(error)")
        }
    }

    private func exchange(_ head: HTTPRequestHead) async throws -> AdminResponse {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            // A heal may leave the connection silent for a long time; keep-alive probes notice a dead peer.
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(contentsOf: [.head(head), .end(nil)])
            var responseHead: HTTPResponseHead?
            var body: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let received):
                    responseHead = received
                case .body(let buffer):
                    guard body.count + buffer.readableBytes <= Self.maxResponseBytes else {
                        throw AdminClientError("the response from \(endpoint.url) is larger than 64 MiB")
                    }
                    body += buffer.readableBytesView
                case .end:
                    guard let responseHead else { throw AdminClientError("the response ended before its head") }
                    return AdminResponse(
                        status: Int(responseHead.status.code),
                        contentType: responseHead.headers.first(name: "content-type"), body: body)
                }
            }
            throw AdminClientError("\(endpoint.url) closed the connection before the response ended")
        }
    }
}
