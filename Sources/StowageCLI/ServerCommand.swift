internal import ArgumentParser
internal import Logging
internal import ObjectLayer
internal import S3Protocol
internal import S3Server
internal import StowageNode

/// `stowage server DIR`: serve S3 from one local folder.
struct ServerCommand: ParsableCommand, AsyncSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Serve the S3 API from a local folder, or erasure-coded over several drives.",
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

    @Option(help: "Bytes of small objects (up to 64 KiB) kept in memory to answer GETs of them at once; 0 turns it off.")
    var smallObjectCache: Int = 64 << 20

    @Option(help: "Parity shards per erasure set (default by set size: 2-3 drives 1, 4-5 2, 6-7 3, 8-16 4).")
    var parity: Int?

    @Option(
        help: "Most client connections open at once; more wait to be accepted (default: from the file-descriptor limit, see the README).")
    var maxConnections: Int?

    @Option(
        help: "Who reads /_stowage/metrics without a signature: loopback (default; others need STOWAGE_METRICS_TOKEN as a bearer token), token (everyone needs it) or public.")
    var metricsAccess: String = MetricsAccess.Mode.loopback.rawValue

    @Option(help: "Seconds between drive health checks; offline drives are retried as often.")
    var driveCheckInterval: Double = 10

    @Option(help: "Seconds a call to a local drive may take before it fails and the drive goes offline (a disk that hangs).")
    var driveTimeout: Double = 30

    @Option(help: "Seconds between background scanner passes that verify and heal every object.")
    var scannerInterval: Double = 3600

    @Option(help: "Most objects the background scanner verifies per second.")
    var scannerRate: Double = 50

    @Option(
        help: "etcd members of a cluster, comma-separated URLs (http://host:2379,...); needed when the drives are URLs.")
    var etcd: String?

    @Option(help: "Seconds an internode call may take before the other node's drive counts as failed (shard data: three times as long).")
    var internodeTimeout: Int64 = 10

    @Argument(
        help: ArgumentHelp(
            "Folders to store data in: one folder, or several drives (a list, or expansion notation such as /mnt/disk{1...8}) that form erasure sets. For a cluster, every node's drives as URLs, the same on every node: http://node{1...4}:9000/srv/disk{1...2}.",
            valueName: "drive"))
    var drives: [String]

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
        let paths: [String]
        do {
            paths = try DriveArguments.expand(drives)
            _ = try ErasureSetPlan.plan(driveCount: paths.count, parity: parity)
        } catch {
            throw ValidationError("\(error)")
        }
        guard smallObjectCache >= 0 else { throw ValidationError("--small-object-cache must not be negative") }
        if let maxConnections, maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
        guard let metricsMode = MetricsAccess.Mode(rawValue: metricsAccess) else {
            throw ValidationError("--metrics-access must be loopback, token or public")
        }
        if let invalid = domains.first(where: { !S3Router.isValidDomain($0) }) {
            throw ValidationError("--domain \(invalid) is not a host name (letters, digits, '-', '_' and '.', no port)")
        }
        guard driveCheckInterval > 0, scannerInterval > 0, scannerRate >= 0 else {
            throw ValidationError("--drive-check-interval and --scanner-interval must be positive, --scanner-rate not negative")
        }
        var configuration = NodeConfiguration(
            host: host, port: port, region: region, virtualHostDomains: domains,
            drivePaths: paths, parity: parity, rootUser: environment("STOWAGE_ROOT_USER"),
            rootPassword: environment("STOWAGE_ROOT_PASSWORD"), reserveBytes: reserveBytes,
            idleTimeoutSeconds: idleTimeout)
        configuration.driveCheckInterval = driveCheckInterval
        guard driveTimeout > 0 else { throw ValidationError("--drive-timeout must be positive") }
        configuration.driveTimeout = driveTimeout
        configuration.scannerInterval = scannerInterval
        configuration.scannerObjectsPerSecond = scannerRate
        configuration.smallObjectCacheBytes = smallObjectCache
        configuration.maxConnections = maxConnections
        configuration.metricsAccess = MetricsAccess(mode: metricsMode, bearerToken: environment("STOWAGE_METRICS_TOKEN"))
        if ClusterSettings.formsCluster(paths) {
            guard let etcd, !etcd.isEmpty else {
                throw ValidationError("drives given as URLs form a cluster, which needs --etcd http://host:2379[,...]")
            }
            let endpoints = etcd.split(separator: ",").map { String($0).trimmingSuffix("/") }
            guard endpoints.allSatisfy({ $0.hasPrefix("http://") }) else {
                throw ValidationError("--etcd takes http://host:port URLs, comma-separated")
            }
            guard internodeTimeout > 0 else { throw ValidationError("--internode-timeout must be positive") }
            var cluster = ClusterSettings(etcdEndpoints: endpoints, address: address)
            cluster.internodeTimeoutSeconds = internodeTimeout
            configuration.cluster = cluster
        } else if etcd != nil {
            throw ValidationError("--etcd is for a cluster, whose drives are URLs (http://host:port/path)")
        }
        var logger = Logger(label: "stowage")
        logger.logLevel = environment("STOWAGE_LOG_LEVEL").flatMap { Logger.Level(rawValue: $0) } ?? .info
        try await Node.run(configuration, logger: logger)
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        var text = self
        while text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}
