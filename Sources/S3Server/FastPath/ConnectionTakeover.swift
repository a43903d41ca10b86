package import NIOCore

/// Another protocol served on the S3 port: a connection that starts with `preface` is handed
/// to `handlers` (the internode protocol of a cluster), every other one stays HTTP.
package struct ConnectionTakeover: Sendable {
    package var preface: [UInt8]
    /// Made on the connection's event loop; they receive the bytes after the preface.
    package var handlers: @Sendable () -> [any ChannelHandler]

    package init(preface: [UInt8], handlers: @escaping @Sendable () -> [any ChannelHandler]) {
        self.preface = preface
        self.handlers = handlers
    }
}

/// The first handler of a connection when a takeover is configured: reads until the first
/// bytes match the preface or cannot, then either puts the takeover's handlers in front of the
/// HTTP handlers (which then see nothing more; `FastGetHandler` goes, so its idle timeout does
/// not apply) or passes the bytes on to HTTP, and removes itself. HTTP requests differ from the
/// preface in their first bytes, so they pass at once.
final class PrefaceSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let takeover: ConnectionTakeover
    private var buffered: ByteBuffer?

    init(takeover: ConnectionTakeover) {
        self.takeover = takeover
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        if var earlier = buffered {
            earlier.writeBuffer(&input)
            input = earlier
        }
        let preface = takeover.preface
        let compared = min(preface.count, input.readableBytes)
        guard input.readableBytesView.prefix(compared).elementsEqual(preface.prefix(compared)) else {
            buffered = nil
            context.fireChannelRead(wrapInboundOut(input))
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        guard compared == preface.count else {
            buffered = input
            return
        }
        buffered = nil
        input.moveReaderIndex(forwardBy: preface.count)
        do {
            let pipeline = context.pipeline.syncOperations
            if let fastGet = try? pipeline.handler(type: FastGetHandler.self) {
                pipeline.removeHandler(fastGet, promise: nil)
            }
            try pipeline.addHandlers(takeover.handlers(), position: .after(self))
        } catch {
            context.close(promise: nil)
            return
        }
        if input.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(input)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
