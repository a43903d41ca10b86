internal import FoundationEssentials
package import NIOCore
package import NIOHTTP1
internal import S3Protocol
internal import StowageCore

/// A connection's first handler after HTTP/1 decoding (before the conversion to HTTP types, see
/// `FastGetHTTP1Channel`): answers GETs that `FastGetResponder` can answer on the event loop,
/// passes every other request on to Hummingbird, and closes idle connections.
///
/// Ordering: a request is answered here only when no earlier request of the connection is still
/// being answered by the full path (`forwarded == 0`), so responses never overtake each other.
///
/// Backpressure: only while the channel is writable; a client that sends requests without
/// reading the answers is otherwise left to the full path, whose async channel stops reading.
/// Half-close: when the client ends its side, the event is held until the responses written
/// here have gone out, so closing the connection afterwards does not drop them.
///
/// Time limits: requests answered here never reach Hummingbird's connection-state handler, so
/// this handler keeps the idle timeout for every request instead (the server configures none
/// there), with the same rule: a connection is closed when nothing was read or answered for
/// `idleTimeout`, unless a request has been read completely and its answer is still pending.
/// A request's head must arrive whole within `idleTimeout` (its bytes produce no part until
/// then, so they never count as activity). Its body must keep an average pace: it is cut off
/// once `idleTimeout` plus one second per `minimumBodyBytesPerSecond` bytes received has passed
/// since the head, so a client trickling a byte at a time cannot hold the connection.
///
/// Early responses: when a response ends before its request's body has been read (an error
/// such as AccessDenied, NoSuchBucket or EntityTooLarge, answered without reading it), the
/// response says `Connection: close`, the output side is closed after it, and the rest of the
/// request is read and discarded for at most `lingerTimeout` and `lingerBytesMax` before the
/// connection closes: the client reads its answer (an immediate close with unread input would
/// reset the connection and could destroy the response), and a refused body is never read to its end.
/// A request target in absolute form whose authority differs from the Host header is refused
/// here with 400 InvalidRequest, the same way.
package final class FastGetHandler: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias InboundOut = HTTPServerRequestPart
    package typealias OutboundIn = HTTPServerResponsePart
    package typealias OutboundOut = HTTPServerResponsePart

    private let responder: FastGetResponder
    private let idleTimeout: TimeAmount
    /// Requests passed to the full path whose response has not ended.
    private var forwarded = 0
    /// The current request was answered here; its remaining parts are dropped.
    private var swallowing = false
    /// A request's head has been read but not yet its end.
    private var requestBeingRead = false
    /// The request being answered asked `Expect: 100-continue` and no `100 Continue` went out yet.
    private var expectingContinue = false
    /// The response being written says `Connection: close`: the connection closes after it.
    private var closeAfterResponse = false
    private var lastActive = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?
    /// Responses written here that have not yet reached the socket.
    private var pendingWrites = 0
    /// The client's end of input, held back until `pendingWrites` is 0.
    private var heldInputClosed = false
    /// The `Date` header of the current second (per connection: no lock between event loops).
    private var date: (second: Int64, text: String) = (0, "")
    /// When the head of the request being read arrived, and the body bytes read since.
    private var requestStart = NIODeadline.now()
    private var requestBodyBytes = 0
    /// The connection closes after the last response: inbound parts are discarded.
    private var lingering = false
    private var lingerBytes = 0
    /// While lingering: the last response has gone out and the output side is closed.
    private var outputClosed = false
    /// While lingering: the client has finished the refused request; close once `outputClosed`.
    private var inputDone = false

    /// The slowest average pace at which a request body may arrive (see the type's comment).
    static let minimumBodyBytesPerSecond: Int64 = 1024
    static let lingerTimeout = TimeAmount.seconds(2)
    static let lingerBytesMax = 1 << 20

    package init(responder: FastGetResponder, idleTimeout: TimeAmount) {
        self.responder = responder
        self.idleTimeout = idleTimeout
    }

    package func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { scheduleIdleCheck(context, at: .now() + idleTimeout) }
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
    }

    package func channelActive(context: ChannelHandlerContext) {
        lastActive = .now()
        scheduleIdleCheck(context, at: lastActive + idleTimeout)
        context.fireChannelActive()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        context.fireChannelInactive()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if lingering {
            discardWhileLingering(part, context: context)
            return
        }
        lastActive = .now()
        switch part {
        case .head(let head):
            let now = WallClock.seconds()
            if let (response, body) = responder.refusal(head, date: dateHeader(now)) {
                // Answered, then closed: nothing else of this connection is read. Behind a
                // response still pending on the full path it cannot be answered in order.
                guard forwarded == 0 else {
                    context.close(promise: nil)
                    return
                }
                linger(context, after: write(response, body, context: context))
                return
            }
            if forwarded == 0, context.channel.isWritable,
                let (response, body) = responder.answer(head, now: now, date: dateHeader(now))
            {
                swallowing = true
                write(response, body, context: context)
                return
            }
            swallowing = false
            expectingContinue = head.headers[canonicalForm: "expect"].contains { $0.lowercased() == "100-continue" }
            requestBeingRead = true
            requestStart = lastActive
            requestBodyBytes = 0
            forwarded += 1
        case .body(let bytes):
            if swallowing { return }
            requestBodyBytes += bytes.readableBytes
        case .end:
            if swallowing {
                swallowing = false
                return
            }
            requestBeingRead = false
        }
        context.fireChannelRead(data)
    }

    /// Writes a whole response answered here; a half-close of the input held meanwhile is
    /// passed on once it has gone out. Returns when it has.
    @discardableResult
    private func write(
        _ response: HTTPResponseHead, _ body: ByteBuffer, context: ChannelHandlerContext
    ) -> EventLoopFuture<Void> {
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        pendingWrites += 1
        written.futureResult.assumeIsolatedUnsafeUnchecked().whenComplete { _ in
            self.pendingWrites -= 1
            if self.pendingWrites == 0 && self.heldInputClosed {
                self.heldInputClosed = false
                context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            }
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        return written.futureResult
    }

    /// Closes the output once the response has gone out (`written`), then discards input until
    /// the client stops sending, `lingerBytesMax` more bytes arrive, or `lingerTimeout` passes.
    private func linger(_ context: ChannelHandlerContext, after written: EventLoopFuture<Void>) {
        guard !lingering else { return }
        lingering = true
        written.assumeIsolatedUnsafeUnchecked().whenComplete { _ in
            self.outputClosed = true
            context.close(mode: self.inputDone ? .all : .output, promise: nil)
        }
        context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: Self.lingerTimeout) {
            context.close(promise: nil)
        }
    }

    private func discardWhileLingering(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head, .end:
            // The refused request is over (or the client went on to another): nothing more is
            // read, and the connection closes as soon as the response has gone out.
            inputDone = true
            if outputClosed { context.close(promise: nil) }
        case .body(let bytes):
            lingerBytes += bytes.readableBytes
            if lingerBytes > Self.lingerBytesMax { context.close(promise: nil) }
        }
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed, pendingWrites > 0 {
            heldInputClosed = true
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // With one request outstanding, its response is this one; with more, this response
        // belongs to an earlier request, which was read to its end before the next head.
        let answersCurrentRequest = forwarded == 1
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code == 100:
            expectingContinue = false
            context.write(data, promise: promise)
        case .head(var head)
        where answersCurrentRequest && head.status.code >= 200 && (requestBeingRead || expectingContinue):
            // Answered before its body was read, or an `Expect: 100-continue` request answered
            // without the interim 100 (its client cannot tell whether a body was wanted; botocore
            // then misreads the next response on the connection as this one's continuation): the
            // connection closes after this response.
            head.headers.replaceOrAdd(name: "Connection", value: "close")
            closeAfterResponse = true
            expectingContinue = false
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end where closeAfterResponse:
            closeAfterResponse = false
            forwarded = 0
            lastActive = .now()
            let written = context.eventLoop.makePromise(of: Void.self)
            if let promise { written.futureResult.cascade(to: promise) }
            context.write(data, promise: written)
            linger(context, after: written.futureResult)
        case .end:
            forwarded = max(forwarded - 1, 0)
            lastActive = .now()
            context.write(data, promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }

    /// The `Date` header value of `now`, formatted once per second.
    private func dateHeader(_ now: Int64) -> String {
        if date.second != now { date = (now, HTTPDate.format(now)) }
        return date.text
    }

    private func scheduleIdleCheck(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        guard idleCheck == nil else { return }
        idleCheck = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) {
            self.idleCheck = nil
            self.checkIdle(context)
        }
    }

    private func checkIdle(_ context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        // A request read completely and still being answered keeps the connection.
        if !requestBeingRead && forwarded > 0 {
            scheduleIdleCheck(context, at: .now() + idleTimeout)
            return
        }
        var deadline = lastActive + idleTimeout
        if requestBeingRead {
            let allowance = Int64(requestBodyBytes) / Self.minimumBodyBytesPerSecond
            deadline = min(deadline, requestStart + idleTimeout + .seconds(allowance))
        }
        if NIODeadline.now() >= deadline {
            context.close(promise: nil)
        } else {
            scheduleIdleCheck(context, at: deadline)
        }
    }
}
