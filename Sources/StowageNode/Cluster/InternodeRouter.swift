internal import Cluster
internal import Hummingbird
internal import HTTPTypes
internal import NIOCore
internal import S3Server
internal import StowageCore

/// What other nodes ask this one over HTTP, under `/_stowage/internode/`: what it says about
/// itself (`NodeInfo`). Its drives are served by the internode protocol (`DriveRPCServer`).
struct InternodeRouter: InternodeEndpoint {
    let signature: InternodeSignature
    let address: String
    let started: ContinuousClock.Instant

    func respond(to request: Request, rawPath: String, rawQuery: String) async -> Response {
        if rawPath == NodeInfo.path {
            return NodeInfo.respond(to: request, rawPath: rawPath, rawQuery: rawQuery, signature: signature, info: info())
        }
        return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "unknown internode path \(rawPath)")))
    }

    func info() -> NodeInfo {
        NodeInfo(
            address: address, version: StowageVersion.current,
            uptimeSeconds: Int((ContinuousClock.now - started).components.seconds))
    }
}
