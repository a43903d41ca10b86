package import NIOCore
internal import StowageCore
internal import NIOPosix

/// The serving end of an internode connection, after its preface: the first frame must
/// authenticate (`InternodeHello`) within `helloTimeout`, or the connection is refused and
/// closed (a stranger cannot hold connections open by sending the preface alone); then every
/// frame is a call to `DriveRPCServer`, run as its own task, answered whenever it finishes.
///
/// Calls of one connection run concurrently (the caller fans out over drives and keys); each
/// holds at most one frame's bytes.
package final class InternodeServerHandler: ChannelInboundHandler {
    package typealias InboundIn = InternodeFrame

    private let server: DriveRPCServer
    private let helloTimeout: TimeAmount
    private var authenticated = false
    private var helloDeadline: Scheduled<Void>?
    private let output = CoalescedFlush()

    package init(server: DriveRPCServer, helloTimeout: TimeAmount = .seconds(10)) {
        self.server = server
        self.helloTimeout = helloTimeout
    }

    /// The handlers that speak the protocol once the preface has been read.
    package static func handlers(server: DriveRPCServer, helloTimeout: TimeAmount = .seconds(10)) -> [any ChannelHandler] {
        [ByteToMessageHandler(InternodeFrameDecoder()), InternodeServerHandler(server: server, helloTimeout: helloTimeout)]
    }

    package func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        helloDeadline = context.eventLoop.scheduleTask(in: helloTimeout) { () -> Void in
            bound.value.close(promise: nil)
        }
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        helloDeadline?.cancel()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard authenticated else {
            do {
                try InternodeHello.verify(frame, signature: server.signature)
                authenticated = true
                helloDeadline?.cancel()
                InternodeFrame.answer(to: frame, .ok, message: ByteBuffer()).write(to: context)
            } catch {
                InternodeFrame.answer(to: frame, .refused, message: ByteBuffer(string: "\(error)")).write(to: context)
                context.close(promise: nil)
            }
            return
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let server = self.server
        Task {
            let answer = await server.serve(frame)
            eventLoop.execute { bound.value.0.output.write(answer, to: bound.value.1) }
        }
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// The first frame of a connection: the client's `InternodeSignature` over a fixed request,
/// as `date`, `nonce` and `signature` lines. Its date and nonce make it unreplayable.
enum InternodeHello {
    static let path = "/_stowage/internode/v1/rpc"

    static func frame(signature: InternodeSignature) -> InternodeFrame {
        let headers = signature.headers(method: "RPC", path: path, query: "", now: WallClock.seconds())
        let text = headers.map(\.value).joined(separator: "\n")
        return InternodeFrame(
            id: 0, slot: 0, operation: InternodeFrame.helloOperation, message: ByteBuffer(string: text), data: ByteBuffer())
    }

    static func verify(_ frame: InternodeFrame, signature: InternodeSignature) throws {
        let lines = frame.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard frame.operation == InternodeFrame.helloOperation, lines.count == 3 else {
            throw InternodeSignature.Refusal.missing
        }
        try signature.verify(
            method: "RPC", path: path, query: "", date: lines[0], nonce: lines[1], signature: lines[2],
            now: WallClock.seconds())
    }
}

/// A listener that speaks only the internode protocol (tests; a node serves it on its S3 port,
/// recognised by the preface — see `InternodeTakeover`).
package enum InternodeListener {
    package static func bind(
        host: String, port: Int, server: DriveRPCServer, helloTimeout: TimeAmount = .seconds(10)
    ) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(PrefaceReader())
                    try channel.pipeline.syncOperations.addHandlers(
                        InternodeServerHandler.handlers(server: server, helloTimeout: helloTimeout))
                }
            }
            .bind(host: host, port: port).get()
    }
}

/// Checks and drops the preface at the start of a connection; anything else closes it.
final class PrefaceReader: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private var seen: [UInt8] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let want = InternodeFrame.preface.count - seen.count
        let bytes = buffer.readBytes(length: min(want, buffer.readableBytes)) ?? []
        seen += bytes
        guard InternodeFrame.preface.starts(with: seen) else {
            context.close(promise: nil)
            return
        }
        guard seen.count == InternodeFrame.preface.count else { return }
        if buffer.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(buffer)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
