internal import FoundationEssentials
package import NIOCore
package import NIOHTTP1
internal import S3Protocol

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
/// Idle timeout: requests answered here never reach Hummingbird's connection-state handler, so
/// this handler keeps the idle timeout for every request instead (the server configures none
/// there), with the same rule: a connection is closed when nothing was read or answered for
/// `idleTimeout`, unless a request has been read completely and its answer is still pending. A
/// client that stalls in the middle of sending a request is cut off after the same time.
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
    private var lastActive = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?
    /// Responses written here that have not yet reached the socket.
    private var pendingWrites = 0
    /// The client's end of input, held back until `pendingWrites` is 0.
    private var heldInputClosed = false
    /// The `Date` header of the current second (per connection: no lock between event loops).
    private var date: (second: Int64, text: String) = (0, "")

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
        lastActive = .now()
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head):
            let now = Int64(Date().timeIntervalSince1970)
            if forwarded == 0, context.channel.isWritable,
                let (response, body) = responder.answer(head, now: now, date: dateHeader(now))
            {
                swallowing = true
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
                return
            }
            swallowing = false
            requestBeingRead = true
            forwarded += 1
        case .body:
            if swallowing { return }
        case .end:
            if swallowing {
                swallowing = false
                return
            }
            requestBeingRead = false
        }
        context.fireChannelRead(data)
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed, pendingWrites > 0 {
            heldInputClosed = true
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            forwarded = max(forwarded - 1, 0)
            lastActive = .now()
        }
        context.write(data, promise: promise)
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
        let deadline = lastActive + idleTimeout
        if NIODeadline.now() >= deadline {
            context.close(promise: nil)
        } else {
            scheduleIdleCheck(context, at: deadline)
        }
    }
}
