internal import AsyncHTTPClient
internal import Cluster
internal import Hummingbird
internal import HummingbirdCore
package import Logging
internal import NIOCore
internal import NIOPosix
internal import ObjectLayer
internal import S3Server
internal import ServiceLifecycle
internal import UnixSignals

/// The composition root: configuration → drives and erasure sets → object layer → S3 front,
/// plus the drive monitor and the background scanner; run until SIGTERM or SIGINT, then drained
/// gracefully (in-flight requests finish, background work stops, the drive pool stops).
package enum Node {
    package static func run(_ configuration: NodeConfiguration, logger: Logger) async throws {
        MemoryTuning.keepLargeBuffersInHeap()
        let budget = ConnectionBudget(
            descriptorLimit: ConnectionBudget.raiseSoftLimit(), driveCount: max(configuration.localDriveCount, 1))
        let maxConnections = configuration.maxConnections ?? budget.defaultMaxConnections
        if maxConnections > budget.connectionsBeforeReserve {
            logger.warning(
                "--max-connections leaves too few file descriptors for the drives",
                metadata: [
                    "maxConnections": "\(maxConnections)", "descriptorLimit": "\(budget.descriptorLimit)",
                    "reservedForDrives": "\(budget.reservedForDrives)",
                ])
        }
        let plan = try ErasureSetPlan.plan(driveCount: configuration.drivePaths.count, parity: configuration.parity)
        let pool = NIOThreadPool(numberOfThreads: 16)
        pool.start()
        let client = configuration.cluster.map { _ in HTTPClient(eventLoopGroupProvider: .singleton, configuration: Self.internodeClientConfiguration) }
        do {
            // A cluster node serves from its cache only while the other nodes grant it leases
            // (they tell it of their writes meanwhile: `CacheCoherence`).
            let cache = InlineObjectCache(capacity: configuration.smallObjectCacheBytes, serving: configuration.cluster == nil)
            let drives = try await Self.openDrives(configuration, plan: plan, pool: pool, client: client, cache: cache, logger: logger)
            let slots = drives.slots
            let sets = (0..<plan.setCount).map { index in
                ErasureSet(
                    index: index, slots: Array(slots[(index * plan.drivesPerSet)..<((index + 1) * plan.drivesPerSet)]),
                    parity: plan.parity, reducedParity: plan.reducedParity)
            }
            // Writes a drive missed are journaled in this node's first online drive folder, so
            // that they are repaired when the drive is back even if this node restarted meanwhile.
            let localSlots = drives.localSlots
            let journal =
                slots.count > 1 ? MissedWriteFile { localSlots.filter { $0.drive != nil }.map(\.location) } : nil
            let store = ObjectStore(
                sets: ErasureSets(deploymentID: drives.deploymentID, sets: sets), heal: HealState(journal: journal),
                coordination: drives.cluster?.coordination ?? LocalCoordination(), inlineCache: cache,
                cachePeers: drives.cluster?.coherence)
            var clusterStatus: (@Sendable () async -> ClusterStatus)?
            if let cluster = drives.cluster { clusterStatus = { await cluster.status() } }
            let healer = Healer(store: store, logger: logger, connect: drives.connect, clusterStatus: clusterStatus)
            var serverConfiguration = S3ServerConfiguration(
                region: configuration.region, virtualHostDomains: configuration.virtualHostDomains,
                credentials: [configuration.rootUser: configuration.rootPassword])
            serverConfiguration.metricsAccess = configuration.metricsAccess
            let responder = S3Responder(
                store: store, configuration: serverConfiguration, admin: healer, internode: drives.cluster?.router)
            // FastGetHandler answers cached small GETs on the event loop and keeps the idle
            // timeout for every request (so Hummingbird's is off).
            let fastGet = responder.fastGet
            let idleTimeout = TimeAmount.seconds(configuration.idleTimeoutSeconds)
            let http = HTTP1Channel.Configuration(
                additionalChannelHandlers: [],
                idleTimeout: nil,
                httpDecoderConfiguration: .init(
                    maxHeaderFieldSize: 16 * 1024, maxHeaderListSize: 64 * 1024, maxHeaderFieldCount: 200))
            let wake = ScannerWake()
            let background = BackgroundWork(
                healer: healer, wake: wake, configuration: configuration, lease: drives.cluster?.lease, logger: logger,
                coordination: drives.cluster?.coordination, coherence: drives.cluster?.coherence)
            let app = Application(
                responder: responder,
                server: .http1(
                    configuration: http, fastGet: fastGet, idleTimeout: idleTimeout,
                    takeover: drives.cluster.map { cluster in
                        let server = cluster.drivesServer
                        return ConnectionTakeover(preface: InternodeFrame.preface) {
                            InternodeServerHandler.handlers(server: server)
                        }
                    }),
                configuration: ApplicationConfiguration(
                    address: .hostname(configuration.host, port: configuration.port), serverName: nil,
                    availableConnectionsDelegate: MaximumAvailableConnections(maxConnections)),
                services: [background],
                onServerRunning: { channel in
                    let endpoint = "http://\(configuration.host):\(channel.localAddress?.port ?? configuration.port)"
                    Self.announce(configuration, plan: plan, drives: drives, endpoint: endpoint, maxConnections: maxConnections)
                    await drives.cluster?.revokePreviousLease(logger: logger)
                },
                logger: logger
            )
            try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        } catch {
            try? await client?.shutdown()
            try? await pool.shutdownGracefully()
            throw error
        }
        try? await client?.shutdown()
        try await pool.shutdownGracefully()
    }

    /// The node's drive slots: its folders on one node; in a cluster, every node's drives.
    /// The HTTP client of etcd calls and node-info calls (drive calls use `InternodeClient`): a
    /// refused connection fails at once (the default retries until the call's deadline, so every
    /// call to a dead member waited it out), and up to 32 connections per host, since every
    /// write takes and releases a lock in etcd.
    static var internodeClientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(2)
        return configuration
    }

    static func openDrives(
        _ configuration: NodeConfiguration, plan: ErasureSetPlan, pool: NIOThreadPool, client: HTTPClient?,
        cache: InlineObjectCache, logger: Logger
    ) async throws -> OpenedDrives {
        if let settings = configuration.cluster, let client {
            let started = try await ClusterBootstrap(
                configuration: configuration, settings: settings, plan: plan, pool: pool, logger: logger
            ).start(client: client, cache: cache)
            return OpenedDrives(
                deploymentID: started.layout.deploymentID, slots: started.slots,
                localSlots: started.topology.localSlots.map { started.slots[$0] }, connect: started.connect, cluster: started)
        }
        let bootstrap = DriveBootstrap(
            paths: configuration.drivePaths, plan: plan, pool: pool, reserveBytes: configuration.reserveBytes,
            callDeadline: configuration.driveTimeout.map { .nanoseconds(Int64($0 * 1e9)) }, logger: logger)
        let (deploymentID, slots) = try await bootstrap.start()
        return OpenedDrives(
            deploymentID: deploymentID, slots: slots, localSlots: slots,
            connect: { slot in await bootstrap.connect(slot, deploymentID: deploymentID) }, cluster: nil)
    }

    struct OpenedDrives {
        let deploymentID: String
        let slots: [DriveSlot]
        /// The slots whose drives are folders of this node.
        let localSlots: [DriveSlot]
        let connect: @Sendable (DriveSlot) async -> DriveConnection
        let cluster: ClusterBootstrap.Started?
    }

    static func announce(
        _ configuration: NodeConfiguration, plan: ErasureSetPlan, drives: OpenedDrives, endpoint: String, maxConnections: Int
    ) {
        let slots = drives.slots
        var lines = ["Stowage is serving S3 at \(endpoint)"]
        if let cluster = drives.cluster {
            let layout = cluster.layout
            lines.append(
                "  cluster: node \(configuration.cluster?.address ?? "?") of \(layout.nodes.count), deployment \(layout.deploymentID), layout version \(layout.layoutVersion)")
            lines.append("  drives: \(slots.count) (\(cluster.topology.localSlots.count) here), \(plan.summary)")
            lines.append("  etcd: \(configuration.cluster?.etcdEndpoints.joined(separator: ",") ?? "")")
        } else if slots.count == 1 {
            lines.append("  data:   \(slots[0].location)")
        } else {
            lines.append("  drives: \(slots.count), \(plan.summary)")
        }
        // This node's own drives (the others' are reported by their nodes).
        for slot in drives.localSlots {
            if let reason = slot.offlineReason { lines.append("  OFFLINE \(slot.label): \(reason)") }
        }
        lines.append("  region: \(configuration.region)")
        lines.append("  connections: at most \(maxConnections); metrics: \(configuration.metricsAccess.mode.rawValue)")
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

/// The drive monitor and the background scanner, as one service that stops with the server.
struct BackgroundWork: Service {
    let healer: Healer
    let wake: ScannerWake
    let configuration: NodeConfiguration
    /// A cluster node's etcd lease, renewed while the node runs.
    let lease: NodeLease?
    let logger: Logger
    /// A cluster node's coordination, whose bucket records it keeps current (`watchBuckets`).
    var coordination: EtcdCoordination? = nil
    /// A cluster node's cache coherence, whose leases it renews.
    var coherence: CacheCoherence? = nil

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                if let lease { group.addTask { await lease.runKeepAlive(logger: logger) } }
                if let coordination { group.addTask { await coordination.watchBuckets() } }
                if let coherence { group.addTask { await coherence.runLeases() } }
                group.addTask {
                    await healer.runMonitor(interval: configuration.driveCheckInterval) { wake.wake() }
                }
                group.addTask {
                    await healer.runScanner(
                        interval: configuration.scannerInterval, objectsPerSecond: configuration.scannerObjectsPerSecond, wake: wake)
                }
            }
        }
    }
}
