internal import ArgumentParser
internal import Logging
internal import StowageNode

/// `stowage server DIR`: serve S3 from one local folder.
struct ServerCommand: ParsableCommand, AsyncSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Serve the S3 API from a local folder.",
        discussion: """
            Credentials come from STOWAGE_ROOT_USER and STOWAGE_ROOT_PASSWORD; when unset, the \
            development defaults (stowageadmin / stowageadmin) are used and a warning is printed.
            """
    )

    @Option(help: "Address to listen on, host:port.")
    var address: String = "127.0.0.1:9000"

    @Option(help: "The region this server answers as.")
    var region: String = "us-east-1"

    @Option(name: .customLong("domain"), help: "Domain for virtual-hosted-style requests (bucket.DOMAIN); repeatable.")
    var domains: [String] = []

    @Option(help: "Free bytes kept back from writes so deletes can always proceed (default: 1% of the disk, 1 MiB to 256 MiB).")
    var reserveBytes: Int64?

    @Option(help: "Seconds a connection may be idle, also mid-request, before it is closed.")
    var idleTimeout: Int64 = 60

    @Argument(help: "The folder to store data in (created if missing).")
    var directory: String

    func execute() async throws {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw ValidationError("--address must be host:port, e.g. 127.0.0.1:9000")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        let environment = ProcessEnvironment.value
        let configuration = NodeConfiguration(
            host: host, port: port, region: region, virtualHostDomains: domains,
            dataDirectory: directory, rootUser: environment("STOWAGE_ROOT_USER"),
            rootPassword: environment("STOWAGE_ROOT_PASSWORD"), reserveBytes: reserveBytes,
            idleTimeoutSeconds: idleTimeout)
        var logger = Logger(label: "stowage")
        logger.logLevel = environment("STOWAGE_LOG_LEVEL").flatMap { Logger.Level(rawValue: $0) } ?? .info
        try await Node.run(configuration, logger: logger)
    }
}
