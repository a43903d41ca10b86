package import NIOCore
internal import NIOHTTP1
internal import NIOPosix
package import S3Protocol

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// One HTTP/1.1 keep-alive connection to the endpoint with one request in flight at a time, each
/// signed with SigV4 (header form) just before it is sent.
///
/// Memory per connection is bounded whatever the object size: request bodies are slices of one
/// shared payload buffer (no copy), writes wait for the socket (NIO's writability backpressure),
/// and response bodies are counted and dropped as they arrive unless the request keeps them (up
/// to `maxCollectedBodyBytes`). It belongs to the one task that runs it and is not `Sendable`.
package struct BenchConnection {
    /// The most response body bytes kept for one request (a ListObjectsV2 page of 1,000 keys is
    /// a few hundred KiB); beyond it the body is counted but not kept.
    package static let maxCollectedBodyBytes = 16 << 20

    private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private let hostHeader: String
    private let payload: ByteBuffer
    private var signer: SigV4Signer

    /// Connects, runs `body` with the connection, and closes the connection when `body` returns
    /// or throws.
    /// - Parameter payload: the bytes request bodies are cut from; must not be empty when a
    ///   request has a `.payload` body.
    package static func withConnection<Result: Sendable>(
        to endpoint: BenchEndpoint, group: any EventLoopGroup, payload: ByteBuffer, signer: SigV4Signer,
        _ body: (inout BenchConnection) async throws -> Result
    ) async throws -> Result {
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            // A request can leave the connection silent for long (an admin heal); probes notice a dead peer.
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = BenchConnection(
                outbound: outbound, inbound: inbound.makeAsyncIterator(), hostHeader: endpoint.hostHeader,
                payload: payload, signer: signer)
            return try await body(&connection)
        }
    }

    private init(
        outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>,
        inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator, hostHeader: String,
        payload: ByteBuffer, signer: SigV4Signer
    ) {
        self.outbound = outbound
        self.inbound = inbound
        self.hostHeader = hostHeader
        self.payload = payload
        self.signer = signer
    }

    /// Signs and sends `request`, then reads the whole response.
    ///
    /// Throws on network failures and on a response that ends early; the connection is then
    /// unusable. An HTTP error status is not thrown: it is in the response.
    package mutating func execute(_ request: BenchRequest) async throws -> BenchResponse {
        var fields = request.headers
        fields.append(("host", hostHeader))
        if request.body.count > 0 || request.method == "PUT" || request.method == "POST" {
            fields.append(("content-length", String(request.body.count)))
        }
        let signable = SignableRequest(
            method: request.method, rawPath: request.rawPath, rawQuery: request.rawQuery, headers: fields)
        fields += try signer.sign(signable, payloadHash: request.payloadHash, now: Int64(time(nil)))

        var headers = HTTPHeaders()
        headers.reserveCapacity(fields.count)
        for field in fields { headers.add(name: field.name, value: field.value) }
        let uri = request.rawQuery.isEmpty ? request.rawPath : request.rawPath + "?" + request.rawQuery
        let head = HTTPRequestHead(
            version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: uri, headers: headers)
        try await send(head, body: request.body)
        return try await receive(keepingBody: request.collectsResponseBody)
    }

    private func send(_ head: HTTPRequestHead, body: BenchRequestBody) async throws {
        switch body {
        case .none:
            try await outbound.write(contentsOf: [.head(head), .end(nil)])
        case .bytes(let buffer):
            try await outbound.write(contentsOf: [.head(head), .body(.byteBuffer(buffer)), .end(nil)])
        case .payload(let count) where count == 0:
            try await outbound.write(contentsOf: [.head(head), .end(nil)])
        case .payload(let count) where count <= payload.readableBytes:
            // Small bodies go out with the head in one flush.
            try await outbound.write(contentsOf: [.head(head), .body(.byteBuffer(payloadSlice(count))), .end(nil)])
        case .payload(let count):
            precondition(payload.readableBytes > 0, "BenchConnection: a payload body needs a non-empty payload buffer")
            try await outbound.write(.head(head))
            var remaining = count
            while remaining > 0 {
                let length = min(remaining, payload.readableBytes)
                // Each write waits while the channel is not writable, so at most a few chunks are queued.
                try await outbound.write(.body(.byteBuffer(payloadSlice(length))))
                remaining -= length
            }
            try await outbound.write(.end(nil))
        }
    }

    /// The first `length` bytes of the payload buffer, sharing its storage.
    private func payloadSlice(_ length: Int) -> ByteBuffer {
        payload.getSlice(at: payload.readerIndex, length: length)!
    }

    private mutating func receive(keepingBody: Bool) async throws -> BenchResponse {
        var head: HTTPResponseHead?
        var byteCount = 0
        var kept: ByteBuffer? = keepingBody ? ByteBuffer() : nil
        while let part = try await inbound.next() {
            switch part {
            case .head(let responseHead):
                head = responseHead
            case .body(var buffer):
                byteCount += buffer.readableBytes
                if kept != nil, kept!.readableBytes + buffer.readableBytes <= Self.maxCollectedBodyBytes {
                    kept!.writeBuffer(&buffer)
                }
            case .end:
                guard let head else { throw BenchError("the response ended before its head") }
                return BenchResponse(
                    status: Int(head.status.code), bodyByteCount: byteCount, body: kept, keepAlive: head.isKeepAlive)
            }
        }
        throw BenchError("the server closed the connection before the response ended")
    }
}
