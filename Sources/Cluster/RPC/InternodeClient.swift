#if canImport(Glibc)
internal import Glibc
#endif
package import NIOCore
internal import NIOPosix
internal import Synchronization

/// The calling end of the internode protocol: a few persistent connections per peer node,
/// each authenticated once (`InternodeHello`) and carrying many calls at once, matched to
/// their answers by id.
///
/// Failures are fast and bounded: a refused connection fails the call at once (the next call
/// tries again), a connection is given `connectTimeout` to open and authenticate, and every
/// call has its own deadline, after which it fails whatever the peer does (a stopped process
/// keeps its connections open but never answers).
package final class InternodeClient: Sendable {
    let signature: InternodeSignature
    let group: any EventLoopGroup
    let connectionsPerPeer: Int
    let connectTimeout: TimeAmount
    private let peers = Mutex<[String: Peer]>([:])

    private struct Peer {
        var connections: [EventLoopFuture<InternodeConnection>?]
        var next = 0
    }

    package init(
        signature: InternodeSignature, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        connectionsPerPeer: Int = 4, connectTimeout: TimeAmount = .seconds(2)
    ) {
        self.signature = signature
        self.group = group
        self.connectionsPerPeer = connectionsPerPeer
        self.connectTimeout = connectTimeout
    }

    /// Sends `request` to `node` (`http://host:port`, the node's S3 address) and returns the
    /// answer; throws on connection failure or when no answer came within `timeout`.
    package func call(_ request: InternodeFrame, to node: String, timeout: TimeAmount) async throws -> InternodeFrame {
        let (future, index) = connection(to: node, timeout: timeout)
        let connection: InternodeConnection
        do {
            connection = try await future.get()
        } catch {
            forget(future, node: node, index: index)
            throw error
        }
        do {
            return try await connection.send(request, timeout: timeout)
        } catch let error as InternodeConnection.Closed {
            forget(future, node: node, index: index)
            throw error
        }
    }

    private func connection(to node: String, timeout: TimeAmount) -> (EventLoopFuture<InternodeConnection>, Int) {
        peers.withLock { peers in
            var peer = peers[node] ?? Peer(connections: Array(repeating: nil, count: connectionsPerPeer))
            let index = peer.next % connectionsPerPeer
            peer.next &+= 1
            let future: EventLoopFuture<InternodeConnection>
            if let existing = peer.connections[index] {
                future = existing
            } else {
                future = InternodeConnection.open(
                    to: node, group: group, signature: signature, timeout: min(timeout, connectTimeout))
                peer.connections[index] = future
            }
            peers[node] = peer
            return (future, index)
        }
    }

    /// Drops a connection that failed or closed, so that the next call opens a new one.
    private func forget(_ future: EventLoopFuture<InternodeConnection>, node: String, index: Int) {
        peers.withLock { peers in
            if let current = peers[node]?.connections[index], current === future {
                peers[node]?.connections[index] = nil
            }
        }
        future.whenSuccess { $0.channel.close(promise: nil) }
    }
}

/// One authenticated connection to a peer.
final class InternodeConnection: Sendable {
    struct Closed: Error, CustomStringConvertible {
        var description: String
    }

    let channel: any Channel
    private let handler: NIOLoopBound<InternodeClientHandler>

    private init(channel: any Channel, handler: NIOLoopBound<InternodeClientHandler>) {
        self.channel = channel
        self.handler = handler
    }

    func send(_ request: InternodeFrame, timeout: TimeAmount) async throws -> InternodeFrame {
        let promise = channel.eventLoop.makePromise(of: InternodeFrame.self)
        let handler = self.handler
        channel.eventLoop.execute { handler.value.send(request, promise: promise, timeout: timeout) }
        return try await promise.futureResult.get()
    }

    /// Connects, sends the preface and the hello, and succeeds once the peer accepted it.
    static func open(to node: String, group: any EventLoopGroup, signature: InternodeSignature, timeout: TimeAmount)
        -> EventLoopFuture<InternodeConnection>
    {
        let eventLoop = group.next()
        guard let (host, port) = hostAndPort(node).map(InternodeRoutes.dial) else {
            return eventLoop.makeFailedFuture(Closed(description: "not a node address: \(node)"))
        }
        return ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(InternodeFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(InternodeClientHandler())
                }
            }
            .connect(host: host, port: port)
            .flatMap { channel in
                let handler: NIOLoopBound<InternodeClientHandler>
                do {
                    handler = NIOLoopBound(
                        try channel.pipeline.syncOperations.handler(type: InternodeClientHandler.self),
                        eventLoop: channel.eventLoop)
                } catch {
                    channel.close(promise: nil)
                    return channel.eventLoop.makeFailedFuture(error)
                }
                let promise = channel.eventLoop.makePromise(of: InternodeFrame.self)
                handler.value.hello(InternodeHello.frame(signature: signature), promise: promise, timeout: timeout)
                return promise.futureResult.flatMapThrowing { answer in
                    guard answer.status == .ok else {
                        channel.close(promise: nil)
                        throw Closed(description: "refused: \(answer.text)")
                    }
                    return InternodeConnection(channel: channel, handler: handler)
                }
            }
    }

    static func hostAndPort(_ node: String) -> (String, Int)? {
        var rest = Substring(node)
        for scheme in ["http://", "https://"] where rest.hasPrefix(scheme) { rest = rest.dropFirst(scheme.count) }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) else { return nil }
        var host = rest[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return (String(host), port)
    }
}

/// Matches answers to calls on one connection, on its event loop.
final class InternodeClientHandler: ChannelInboundHandler {
    typealias InboundIn = InternodeFrame

    private var context: ChannelHandlerContext?
    private var pending: [UInt32: (promise: EventLoopPromise<InternodeFrame>, timer: Scheduled<Void>)] = [:]
    private var nextID: UInt32 = 1
    private var closed: String?
    private let output = CoalescedFlush()

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    /// Writes the preface and the hello (id 0).
    func hello(_ frame: InternodeFrame, promise: EventLoopPromise<InternodeFrame>, timeout: TimeAmount) {
        guard let context else { return promise.fail(InternodeConnection.Closed(description: "connection closed")) }
        var preface = context.channel.allocator.buffer(capacity: InternodeFrame.preface.count)
        preface.writeBytes(InternodeFrame.preface)
        context.write(NIOAny(preface), promise: nil)
        register(0, promise: promise, timeout: timeout, context: context)
        frame.write(to: context)
    }

    func send(_ request: InternodeFrame, promise: EventLoopPromise<InternodeFrame>, timeout: TimeAmount) {
        guard let context, closed == nil else {
            return promise.fail(InternodeConnection.Closed(description: closed ?? "connection closed"))
        }
        var frame = request
        frame.id = nextID
        nextID = nextID == .max ? 1 : nextID + 1
        register(frame.id, promise: promise, timeout: timeout, context: context)
        output.write(frame, to: context)
    }

    private func register(
        _ id: UInt32, promise: EventLoopPromise<InternodeFrame>, timeout: TimeAmount, context: ChannelHandlerContext
    ) {
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let timer = context.eventLoop.scheduleTask(in: timeout) { () -> Void in
            bound.value.pending.removeValue(forKey: id)?.promise.fail(TimedOut(timeout: timeout))
        }
        pending[id] = (promise, timer)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let entry = pending.removeValue(forKey: frame.id) else { return }
        entry.timer.cancel()
        entry.promise.succeed(frame)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = closed ?? "connection closed by the peer"
        let waiting = pending
        pending = [:]
        for entry in waiting.values {
            entry.timer.cancel()
            entry.promise.fail(InternodeConnection.Closed(description: closed!))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closed = "connection failed: \(error)"
        context.close(promise: nil)
    }

    struct TimedOut: Error, CustomStringConvertible {
        var timeout: TimeAmount
        var description: String { "no answer within \(Double(timeout.nanoseconds) / 1e9) s" }
    }
}

/// Where connections to a peer are dialled: its own address, unless `STOWAGE_TEST_INTERNODE_ROUTES`
/// (for tests only) names another for it, as `host:port=host:port` pairs separated by commas. The chaos
/// runs route internode traffic through a relay of theirs that adds latency and stalls (this machine's
/// kernel has no netem). Read once.
enum InternodeRoutes {
    static let routes: [String: (String, Int)] = {
        guard let raw = getenv("STOWAGE_TEST_INTERNODE_ROUTES") else { return [:] }
        var routes: [String: (String, Int)] = [:]
        for pair in String(cString: raw).split(separator: ",") {
            let sides = pair.split(separator: "=")
            guard sides.count == 2, let to = InternodeConnection.hostAndPort(String(sides[1])) else { continue }
            routes[String(sides[0])] = to
        }
        return routes
    }()

    static func dial(_ host: String, _ port: Int) -> (String, Int) { routes["\(host):\(port)"] ?? (host, port) }
}
