internal import Hummingbird
internal import HummingbirdCore
package import Logging
internal import NIOCore
internal import NIOPosix
internal import ObjectLayer
internal import S3Server
internal import ServiceLifecycle
internal import UnixSignals
internal import Storage

/// The composition root: configuration → drive → object layer → S3 front, run until SIGTERM
/// or SIGINT, then drained gracefully (in-flight requests finish, the drive pool stops).
package enum Node {
    package static func run(_ configuration: NodeConfiguration, logger: Logger) async throws {
        MemoryTuning.keepLargeBuffersInHeap()
        let pool = NIOThreadPool(numberOfThreads: 16)
        pool.start()
        do {
            let drive = try await LocalDrive.open(
                root: configuration.dataDirectory, pool: pool, reserveBytes: configuration.reserveBytes)
            let store = ObjectStore(drive: drive)
            let responder = S3Responder(
                store: store,
                configuration: S3ServerConfiguration(
                    region: configuration.region, virtualHostDomains: configuration.virtualHostDomains,
                    credentials: [configuration.rootUser: configuration.rootPassword]))
            let http = HTTP1Channel.Configuration(
                additionalChannelHandlers: [ExpectContinueHandler()],
                idleTimeout: .seconds(configuration.idleTimeoutSeconds),
                httpDecoderConfiguration: .init(
                    maxHeaderFieldSize: 16 * 1024, maxHeaderListSize: 64 * 1024, maxHeaderFieldCount: 200))
            let app = Application(
                responder: responder,
                server: .http1(configuration: http),
                configuration: ApplicationConfiguration(
                    address: .hostname(configuration.host, port: configuration.port), serverName: nil),
                onServerRunning: { channel in
                    let endpoint = "http://\(configuration.host):\(channel.localAddress?.port ?? configuration.port)"
                    Self.announce(configuration, endpoint: endpoint)
                },
                logger: logger
            )
            try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        } catch {
            try? await pool.shutdownGracefully()
            throw error
        }
        try await pool.shutdownGracefully()
    }

    static func announce(_ configuration: NodeConfiguration, endpoint: String) {
        var lines = [
            "Stowage is serving S3 at \(endpoint)",
            "  data:   \(configuration.dataDirectory)",
            "  region: \(configuration.region)",
        ]
        if configuration.usesDefaultCredentials {
            lines += [
                "WARNING: STOWAGE_ROOT_USER / STOWAGE_ROOT_PASSWORD are not set; using the development defaults.",
                "  Do not expose this server. To use it with the AWS CLI:",
                "    export AWS_ACCESS_KEY_ID=\(configuration.rootUser)",
                "    export AWS_SECRET_ACCESS_KEY=\(configuration.rootPassword)",
                "    export AWS_DEFAULT_REGION=\(configuration.region)",
                "    aws --endpoint-url \(endpoint) s3 ls",
            ]
        } else {
            lines.append("  access key: \(configuration.rootUser)")
        }
        // Startup output goes to stdout on purpose: it is what a person running the command reads.
        let text = lines.joined(separator: "\n") + "\n"
        FileOutput.standardOutput(text)
    }
}
