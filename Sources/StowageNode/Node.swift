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
            descriptorLimit: ConnectionBudget.raiseSoftLimit(), driveCount: configuration.drivePaths.count)
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
        do {
            let bootstrap = DriveBootstrap(
                paths: configuration.drivePaths, plan: plan, pool: pool, reserveBytes: configuration.reserveBytes, logger: logger)
            let (deploymentID, slots) = try await bootstrap.start()
            let sets = (0..<plan.setCount).map { index in
                ErasureSet(
                    index: index, slots: Array(slots[(index * plan.drivesPerSet)..<((index + 1) * plan.drivesPerSet)]),
                    parity: plan.parity, reducedParity: plan.reducedParity)
            }
            let store = ObjectStore(
                sets: ErasureSets(deploymentID: deploymentID, sets: sets), inlineCacheBytes: configuration.smallObjectCacheBytes)
            let healer = Healer(store: store, logger: logger) { slot in
                await bootstrap.connect(slot, deploymentID: deploymentID)
            }
            var serverConfiguration = S3ServerConfiguration(
                region: configuration.region, virtualHostDomains: configuration.virtualHostDomains,
                credentials: [configuration.rootUser: configuration.rootPassword])
            serverConfiguration.metricsAccess = configuration.metricsAccess
            let responder = S3Responder(store: store, configuration: serverConfiguration, admin: healer)
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
            let background = BackgroundWork(healer: healer, wake: wake, configuration: configuration)
            let app = Application(
                responder: responder,
                server: .http1(configuration: http, fastGet: fastGet, idleTimeout: idleTimeout),
                configuration: ApplicationConfiguration(
                    address: .hostname(configuration.host, port: configuration.port), serverName: nil,
                    availableConnectionsDelegate: MaximumAvailableConnections(maxConnections)),
                services: [background],
                onServerRunning: { channel in
                    let endpoint = "http://\(configuration.host):\(channel.localAddress?.port ?? configuration.port)"
                    Self.announce(configuration, plan: plan, slots: slots, endpoint: endpoint, maxConnections: maxConnections)
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

    static func announce(
        _ configuration: NodeConfiguration, plan: ErasureSetPlan, slots: [DriveSlot], endpoint: String, maxConnections: Int
    ) {
        var lines = ["Stowage is serving S3 at \(endpoint)"]
        if slots.count == 1 {
            lines.append("  data:   \(slots[0].location)")
        } else {
            lines.append("  drives: \(slots.count), \(plan.summary)")
        }
        for slot in slots {
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

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
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
