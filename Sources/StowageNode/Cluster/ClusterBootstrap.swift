internal import AsyncHTTPClient
internal import Cluster
internal import Hummingbird
internal import Logging
internal import NIOCore
internal import NIOPosix
internal import ObjectLayer
internal import S3Server
internal import StowageCore

/// A node of a cluster, as it starts: the layout agreed in etcd, this node's drives opened
/// (formatted when new) and the other nodes' drives reached over the internode protocol.
struct ClusterBootstrap {
    let configuration: NodeConfiguration
    let settings: ClusterSettings
    let plan: ErasureSetPlan
    let pool: NIOThreadPool
    let logger: Logger

    /// What a started cluster node runs with.
    struct Started {
        let layout: ClusterLayout
        let topology: ClusterTopology
        let slots: [DriveSlot]
        let coordination: EtcdCoordination
        let lease: NodeLease
        let router: InternodeRouter
        /// Serves this node's drives to the others (the internode protocol on the S3 port).
        let drivesServer: DriveRPCServer
        let internode: InternodeClient
        /// Keeps this node's small-object cache coherent with the others' writes.
        let coherence: CacheCoherence
        let etcd: EtcdClient
        let client: HTTPClient
        let signature: InternodeSignature
        /// Reopens a slot for the drive monitor: this node's drives from their folder, the
        /// others' by asking their node.
        let connect: @Sendable (DriveSlot) async -> DriveConnection
    }

    /// - Parameter cache: this node's small-object cache (closed until the other nodes grant
    ///   it leases, see `CacheCoherence`).
    func start(client: HTTPClient, cache: InlineObjectCache) async throws -> Started {
        let topology: ClusterTopology
        do {
            topology = try ClusterTopology(endpoints: configuration.drivePaths, address: settings.address)
        } catch {
            throw DriveBootstrap.StartupError(description: "\(error)")
        }
        var etcd = EtcdClient(endpoints: settings.etcdEndpoints, client: client)
        etcd.timeout = .seconds(5)
        let proposed = ClusterLayout(
            deploymentID: ShardID.random().value, topology: topology, setCount: plan.setCount,
            drivesPerSet: plan.drivesPerSet, parity: plan.parity)
        let layout = try await establish(proposed, etcd: etcd)

        let signature = InternodeSignature(rootUser: configuration.rootUser, rootPassword: configuration.rootPassword)
        let internode = InternodeClient(signature: signature)
        let timeout = TimeAmount.seconds(settings.internodeTimeoutSeconds)
        let local = DriveBootstrap(
            paths: configuration.drivePaths, plan: plan, pool: pool, reserveBytes: configuration.reserveBytes,
            callDeadline: configuration.driveTimeout.map { .nanoseconds(Int64($0 * 1e9)) }, logger: logger)
        let deploymentID = layout.deploymentID
        let connect: @Sendable (DriveSlot) async -> DriveConnection = { slot in
            let index = slot.setIndex * plan.drivesPerSet + slot.position
            let endpoint = topology.slots[index]
            if endpoint.isLocal {
                return await local.connect(slot, deploymentID: deploymentID, freshDeployment: true)
            }
            var drive = RemoteDrive(
                node: endpoint.nodeURL, slot: index, path: endpoint.path, client: internode)
            drive.timeout = timeout
            drive.dataTimeout = timeout * 3
            do {
                try await drive.healthCheck()
                return .online(drive, fresh: false)
            } catch {
                return .offline(reason: "node \(endpoint.node) does not answer for this drive: \(error)")
            }
        }
        var slots: [DriveSlot] = []
        for (index, endpoint) in topology.slots.enumerated() {
            let slot = DriveSlot(
                setIndex: index / plan.drivesPerSet, position: index % plan.drivesPerSet,
                location: endpoint.isLocal ? endpoint.path : endpoint.nodeURL + endpoint.path, state: .offline(reason: "not opened yet"))
            // Only this node's drives are opened now; the others answer once their nodes are up
            // (the drive monitor reaches them at its next check).
            if endpoint.isLocal {
                switch await connect(slot) {
                case .online(let drive, _): slot.setOnline(drive)
                case .offline(let reason):
                    slot.setOffline(reason: reason)
                    logger.error("drive offline", metadata: ["drive": "\(slot.label)", "reason": "\(reason)"])
                }
            } else {
                slot.setOffline(reason: "node \(endpoint.node) not reached yet")
            }
            slots.append(slot)
        }
        let localSlots = Dictionary(uniqueKeysWithValues: topology.localSlots.map { ($0, slots[$0]) })
        let lease = NodeLease(etcd: etcd, recordKey: NodeLease.recordKey(address: settings.address))
        // A previous process of this node that was killed may still hold locks: its lease is
        // noted now, before any lock is taken, and revoked once the server has bound its port
        // (`Started.revokePreviousLease`), rather than left to run out (writes of those keys wait).
        do {
            try await lease.notePrevious()
        } catch {
            logger.warning("could not read the previous process's etcd lease", metadata: ["error": "\(error)"])
        }
        let coordination = EtcdCoordination(etcd: etcd, lease: lease)
        let coherence = CacheCoherence(
            cache: cache, address: settings.address, nodes: topology.nodes, client: internode,
            forgetBucket: { coordination.buckets.forget($0) })
        let rpcServer = DriveRPCServer(
            signature: signature, node: { coherence.serve($0) },
            offline: { index in localSlots[index]?.offlineError }
        ) { index in localSlots[index]?.drive }
        let router = InternodeRouter(
            signature: signature, address: settings.address, started: ContinuousClock.now)
        return Started(
            layout: layout, topology: topology, slots: slots, coordination: coordination,
            lease: lease, router: router, drivesServer: rpcServer, internode: internode, coherence: coherence, etcd: etcd, client: client, signature: signature, connect: connect)
    }

    /// Records the layout or checks this node's against it, waiting up to a minute for etcd
    /// (members starting alongside the nodes).
    private func establish(_ proposed: ClusterLayout, etcd: EtcdClient) async throws -> ClusterLayout {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            do {
                return try await LayoutRegistry(etcd: etcd).establish(proposed)
            } catch let error as EtcdError {
                guard case .unavailable = error, ContinuousClock.now < deadline else {
                    throw DriveBootstrap.StartupError(description: "cannot record or read the cluster layout: \(error)")
                }
                logger.warning("waiting for etcd", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            } catch let mismatch as LayoutRegistry.Mismatch {
                throw DriveBootstrap.StartupError(description: mismatch.description)
            }
        }
    }
}

extension ClusterBootstrap.Started {
    /// Revokes the etcd lease of this node's previous process (noted at start), releasing the
    /// locks it held when it died.
    func revokePreviousLease(logger: Logger) async {
        do {
            if let revoked = try await lease.revokePrevious() {
                logger.notice("revoked the previous process's etcd lease and its locks", metadata: ["lease": "\(revoked)"])
            }
        } catch {
            logger.warning("could not revoke the previous process's etcd lease", metadata: ["error": "\(error)"])
        }
    }

    /// Every node (asked at once, 2 s each), the layout version and each etcd member's health.
    func status() async -> ClusterStatus {
        let own = router.info()
        let nodes = await withTaskGroup(of: (Int, ClusterStatus.Node).self) { group in
            for (index, address) in topology.nodes.enumerated() {
                group.addTask { [client, signature] in
                    if address == own.address {
                        return (index, .init(address: address, state: "up", version: own.version, uptimeSeconds: own.uptimeSeconds, reason: nil))
                    }
                    do {
                        let info = try await NodeInfo.fetch(
                            from: "http://" + address, client: client, signature: signature, timeout: .seconds(2))
                        return (index, .init(address: address, state: "up", version: info.version, uptimeSeconds: info.uptimeSeconds, reason: nil))
                    } catch {
                        return (index, .init(address: address, state: "down", version: nil, uptimeSeconds: nil, reason: "\(error)"))
                    }
                }
            }
            var nodes: [(Int, ClusterStatus.Node)] = []
            for await answer in group { nodes.append(answer) }
            return nodes.sorted { $0.0 < $1.0 }.map(\.1)
        }
        let etcdHealth = await etcd.memberHealth().map { ClusterStatus.EtcdMember(endpoint: $0.endpoint, healthy: $0.healthy, detail: $0.detail) }
        return ClusterStatus(thisNode: own.address, layoutVersion: layout.layoutVersion, nodes: nodes, etcd: etcdHealth)
    }
}
