package import Hummingbird
package import NIOCore

/// What the server knows about a request beyond its bytes: Hummingbird's core context, the
/// address of the client's end of the connection (the metrics endpoint's access rule reads it),
/// and the connection itself (for an interim `100 Continue`).
package struct S3RequestContext: RequestContext, RemoteAddressRequestContext {
    package var coreContext: CoreRequestContextStorage
    package let remoteAddress: SocketAddress?
    let channel: any Channel

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.channel = source.channel
    }
}
