package import AsyncHTTPClient
internal import FoundationEssentials
package import Hummingbird
internal import HTTPTypes
package import NIOCore
internal import NIOFoundationCompat
internal import NIOHTTP1
internal import StowageCore

/// What a node says about itself to the other nodes (for `stowage admin info`):
/// `POST /_stowage/internode/v1/node/info`, signed like the drive protocol.
package struct NodeInfo: Codable, Sendable, Equatable {
    package var address: String
    package var version: String
    package var uptimeSeconds: Int

    package init(address: String, version: String, uptimeSeconds: Int) {
        self.address = address
        self.version = version
        self.uptimeSeconds = uptimeSeconds
    }

    package static let path = "/_stowage/internode/v1/node/info"

    /// Answers a peer's request, after checking its signature.
    package static func respond(
        to request: Request, rawPath: String, rawQuery: String, signature: InternodeSignature, info: NodeInfo
    ) -> Response {
        do {
            try signature.verify(request, rawPath: rawPath, rawQuery: rawQuery)
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: try JSONEncoder().encodeAsByteBuffer(info, allocator: .init())))
        } catch {
            return Response(status: .forbidden, body: .init(byteBuffer: ByteBuffer(string: "\(error)")))
        }
    }

    /// Asks the node at `node` (`http://host:port`).
    package static func fetch(
        from node: String, client: HTTPClient, signature: InternodeSignature, timeout: TimeAmount
    ) async throws -> NodeInfo {
        let request = signature.signedPOST(to: node, path: path)
        let response = try await client.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 1 << 16)
        guard response.status.code == 200 else {
            throw DriveError(.io, "\(node) answered \(response.status.code): \(String(buffer: body).prefix(200))")
        }
        return try JSONDecoder().decode(NodeInfo.self, from: body)
    }
}
