package import HummingbirdCore
package import Logging
package import NIOCore
internal import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 channel with `FastGetHandler` placed right after the HTTP/1 decoder,
/// before the conversion to HTTP types (`HTTP1ToHTTPServerCodec`): requests answered on the event
/// loop skip that conversion both ways, and the rest reach Hummingbird unchanged.
package struct FastGetHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    package typealias Value = HTTP1Channel.Value

    private let http: HTTP1Channel
    private let fastGet: FastGetResponder
    private let idleTimeout: TimeAmount
    private let takeover: ConnectionTakeover?

    /// - Parameters:
    ///   - idleTimeout: kept by `FastGetHandler` for every request; `configuration` should set
    ///     none of its own.
    ///   - takeover: another protocol on this port, recognised by its first bytes.
    package init(
        responder: @escaping HTTPChannelHandler.Responder, configuration: HTTP1Channel.Configuration,
        fastGet: FastGetResponder, idleTimeout: TimeAmount, takeover: ConnectionTakeover? = nil
    ) {
        self.http = HTTP1Channel(responder: responder, configuration: configuration)
        self.fastGet = fastGet
        self.idleTimeout = idleTimeout
        self.takeover = takeover
    }

    package var responder: HTTPChannelHandler.Responder { http.responder }

    package func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        http.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let codec = try pipeline.handler(type: HTTP1ToHTTPServerCodec.self)
            try pipeline.addHandler(
                FastGetHandler(responder: fastGet, idleTimeout: idleTimeout), position: .before(codec))
            if let takeover { try pipeline.addHandler(PrefaceSniffer(takeover: takeover), position: .first) }
            return value
        }
    }

    package func handle(value: Value, logger: Logger) async {
        await http.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with the GET fast path; see `FastGetHTTP1Channel`.
    package static func http1(
        configuration: HTTP1Channel.Configuration, fastGet: FastGetResponder, idleTimeout: TimeAmount,
        takeover: ConnectionTakeover? = nil
    ) -> HTTPServerBuilder {
        .init { responder in
            FastGetHTTP1Channel(
                responder: responder, configuration: configuration, fastGet: fastGet, idleTimeout: idleTimeout,
                takeover: takeover)
        }
    }
}
