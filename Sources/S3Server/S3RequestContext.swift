package import Hummingbird
package import NIOCore

/// What the server knows about a request beyond its bytes: Hummingbird's core context and the
/// address of the client's end of the connection (the metrics endpoint's access rule reads it).
package struct S3RequestContext: RequestContext, RemoteAddressRequestContext {
    package var coreContext: CoreRequestContextStorage
    package let remoteAddress: SocketAddress?

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}
