import Cluster
import HistoryCheck
import Logging
import ObjectLayer
import StowageCore
import StowageTesting
import Synchronization

/// A simulated cluster: nodes with object stores over `SimLinkDrive`s to every drive, and the
/// coordination a node runs (`EtcdCoordination` with its `NodeLease`) over `SimEtcdClient`, all
/// on one `SimScheduler`. Nodes crash (their process ends: what they send afterwards is never
/// delivered, their staged shards are dropped) and start again as a node does: the previous
/// process's lease is noted before the node serves and revoked once it does.
final class SimCluster: Sendable {
    static let bucket = "sim"
    /// Objects up to this many bytes are inline in their record; larger ones are erasure-coded
    /// in blocks of `blockSize`, so runs exercise both paths.
    static let inlineThreshold = 100
    static let blockSize = 64
    /// The node lease's TTL (a node's default).
    static let leaseTTLSeconds: Int64 = 10

    let scheduler: SimScheduler
    let network: SimNetwork
    let etcd: SimEtcdServer
    let drives: SimDrives
    let nodeCount: Int
    private let stores = Mutex<[Int: ObjectStore]>([:])
    /// Each running process's background tasks (its lease's keep-alive), cancelled when it ends.
    private let background = Mutex<[Int: Task<Void, Never>]>([:])
    private let stopped = Mutex(false)
    /// Client requests in flight per node, answered "connection reset" when its process dies.
    private let requests = Mutex<(next: Int, open: [Int: [Int: OnceAnswer<HistoryOperation.Outcome>]])>((0, [:]))
    static let logger = Logger(label: "simulation") { _ in SwiftLogNoOpLogHandler() }

    /// A defect planted on purpose, to show that the simulation finds what it would cause.
    enum Flaw: Sendable, Equatable {
        /// Drives accept commits with stale lock tokens (no fencing).
        case unfencedDrives
        /// Each node locks keys for itself only (no etcd lock).
        case nodeLocalLocks
    }

    let flaw: Flaw?
    /// Each node's wall clock offset (clock skew), nanoseconds.
    let skews = Mutex<[Int: Int64]>([:])

    init(scheduler: SimScheduler, seed: UInt64, nodes: Int, drivesPerNode: Int, flaw: Flaw? = nil) {
        self.scheduler = scheduler
        self.flaw = flaw
        network = SimNetwork(scheduler: scheduler, seed: seed)
        etcd = SimEtcdServer(scheduler: scheduler)
        drives = SimDrives(nodes: nodes, drivesPerNode: drivesPerNode)
        nodeCount = nodes
        if flaw == .unfencedDrives { for drive in drives.drives { drive.checksFences = false } }
    }

    /// What the code running on `node` sees: the scheduler's time and randomness, and the
    /// node's own wall clock.
    func environment(_ node: Int) -> SimNodeEnvironment { SimNodeEnvironment(cluster: self, node: node) }

    /// The store of `node`'s current process once it serves; nil while it is down or starting.
    func store(_ node: Int) -> ObjectStore? { stores.withLock { $0[node] } }

    /// Starts a process on `node` (after a crash, or the first time); it serves once it has
    /// noted its previous process's lease.
    func start(_ node: Int) {
        let generation = network.start(node)
        let slots = drives.drives.indices.map { index in
            DriveSlot(
                setIndex: 0, position: index, location: drives.drives[index].name,
                state: .online(SimLinkDrive(index: index, node: node, generation: generation, network: network, drives: drives)))
        }
        let plan = try! ErasureSetPlan.plan(driveCount: slots.count)
        let set = ErasureSet(
            index: 0, slots: slots, parity: plan.parity, reducedParity: plan.reducedParity, blockSize: Self.blockSize)
        let client = SimEtcdClient(node: node, generation: generation, network: network, server: etcd)
        let lease = NodeLease(
            etcd: client, ttlSeconds: Self.leaseTTLSeconds, recordKey: NodeLease.recordKey(address: "node\(node)"))
        let coordination: any Coordination =
            flaw == .nodeLocalLocks ? LocalCoordination() : EtcdCoordination(etcd: client, lease: lease)
        let store = ObjectStore(
            sets: ErasureSets(deploymentID: "simulation", sets: [set]), inlineThreshold: Self.inlineThreshold,
            inlineCacheBytes: 0, coordination: coordination)
        let environment = self.environment(node)
        let task = scheduler.task { [self] in
            await LayerEnvironment.$simulated.withValue(environment) { await run(lease, store: store, node: node, generation: generation) }
        }
        background.withLock { $0[node] = task }
        if stopped.withLock({ $0 }) { task.cancel() }
    }

    /// A node process's life: it serves once it has noted its previous process's lease, then
    /// revokes that lease and keeps its own alive.
    private func run(_ lease: NodeLease, store: ObjectStore, node: Int, generation: Int) async {
        try? await lease.notePrevious()
        guard network.generation(of: node) == generation else { return }
        stores.withLock { $0[node] = store }
        _ = try? await lease.revokePrevious()
        await lease.runKeepAlive(logger: Self.logger)
    }

    /// Sends a client's request to `node`: `body` runs there; the client gets its answer, or
    /// `unknown` when the process dies first (the connection is reset), or `failed` when the
    /// node does not serve (connection refused).
    func request(
        _ node: Int, _ body: @escaping @Sendable (ObjectStore) async -> HistoryOperation.Outcome
    ) async -> HistoryOperation.Outcome {
        guard let store = store(node) else { return .failed }
        let answered = try? await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HistoryOperation.Outcome, any Error>) in
            let answer = OnceAnswer(continuation)
            let id = requests.withLock { state in
                state.next += 1
                state.open[node, default: [:]][state.next] = answer
                return state.next
            }
            let environment = self.environment(node)
            scheduler.spawn { [self] in
                let outcome = await LayerEnvironment.$simulated.withValue(environment) { await body(store) }
                requests.withLock { _ = $0.open[node]?.removeValue(forKey: id) }
                answer.resume(with: .success(outcome))
            }
        }
        return answered ?? .unknown
    }

    /// Ends `node`'s process at once (kill -9).
    func crash(_ node: Int) {
        for answer in requests.withLock({ $0.open.removeValue(forKey: node)?.values.map { $0 } ?? [] }) {
            answer.resume(with: .success(.unknown))
        }
        network.crash(node)
        stores.withLock { $0[node] = nil }
        background.withLock { $0.removeValue(forKey: node) }?.cancel()
        for (index, owner) in drives.owners.enumerated() where owner == node { drives.drives[index].restart() }
    }

    /// Ends the background loops, so that the run can end.
    func stop() {
        stopped.withLock { $0 = true }
        for task in background.withLock({ Array($0.values) }) { task.cancel() }
    }

    /// A healer for `node`'s store; drives come back as they are.
    func healer(_ node: Int) -> Healer? {
        guard let store = store(node) else { return nil }
        return Healer(store: store, logger: Self.logger) { slot in
            if let drive = slot.drive { return .online(drive, fresh: false) }
            return .offline(reason: "simulation")
        }
    }
}

/// The simulated environment of the code running on one node.
struct SimNodeEnvironment: SimulatedEnvironment {
    let cluster: SimCluster
    let node: Int

    var nanoseconds: Int64 { cluster.scheduler.nanoseconds }
    var wallNanoseconds: Int64 { cluster.scheduler.wallNanoseconds + cluster.skews.withLock { $0[node] ?? 0 } }
    func sleep(nanoseconds: Int64) async { await cluster.scheduler.sleep(nanoseconds: nanoseconds) }
    func randomBits() -> UInt64 { cluster.scheduler.randomBits() }
    func spawn(_ body: @escaping @Sendable () async -> Void) { cluster.scheduler.spawn(body) }
}
