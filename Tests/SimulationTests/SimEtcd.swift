import Cluster
import StowageTesting
import Synchronization

/// etcd in memory, with the semantics the coordination relies on: one revision counter that
/// every change raises, keys with create and mod revisions, conditional creates and deletes,
/// and leases that end `ttl` after their last keep-alive (or when revoked) and take the keys
/// bound to them along. Nodes reach it only through `SimEtcdClient`, across the simulated
/// network, so partitions cut them off from it as from each other.
final class SimEtcdServer: Sendable {
    private struct State {
        var revision: Int64 = 1
        var keys: [String: EtcdClient.KeyValue] = [:]
        /// Live leases: their TTL and when they expire.
        var leases: [Int64: (ttl: Int64, expires: Int64)] = [:]
        var nextLease: Int64 = 0x1000
    }

    let scheduler: SimScheduler
    private let state = Mutex(State())

    init(scheduler: SimScheduler) {
        self.scheduler = scheduler
    }

    /// Runs `body` on the state after ending the leases that ran out.
    private func withState<T>(_ body: (inout State) throws -> T) rethrows -> T {
        let now = scheduler.now
        return try state.withLock { state in
            let expired = state.leases.filter { $0.value.expires < now }.map(\.key)
            for lease in expired { Self.end(lease, &state) }
            return try body(&state)
        }
    }

    private static func end(_ lease: Int64, _ state: inout State) {
        state.leases[lease] = nil
        let bound = state.keys.values.filter { $0.lease == lease }.map(\.key)
        if bound.isEmpty { return }
        state.revision += 1
        for key in bound { state.keys[key] = nil }
    }

    private static func put(_ key: String, _ value: [UInt8], lease: Int64, _ state: inout State) {
        let created = state.keys[key]?.createRevision ?? state.revision
        state.keys[key] = EtcdClient.KeyValue(
            key: key, value: value, createRevision: created, modRevision: state.revision, lease: lease)
    }

    func get(_ key: String) -> EtcdClient.KeyValue? { withState { $0.keys[key] } }

    func list(prefix: String) -> (keys: [EtcdClient.KeyValue], revision: Int64) {
        withState { state in
            (state.keys.values.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }, state.revision)
        }
    }

    func put(_ key: String, value: [UInt8], lease: Int64?) throws -> Int64 {
        try withState { state in
            if let lease, state.leases[lease] == nil { throw EtcdError.unexpected("etcdserver: requested lease not found") }
            state.revision += 1
            Self.put(key, value, lease: lease ?? 0, &state)
            return state.revision
        }
    }

    func createIfAbsent(_ key: String, value: [UInt8]) -> EtcdClient.KeyValue? {
        withState { state in
            if let existing = state.keys[key] { return existing }
            state.revision += 1
            Self.put(key, value, lease: 0, &state)
            return nil
        }
    }

    /// The keys created share one revision, as in one etcd transaction.
    func createIfAbsent(_ keys: [(key: String, reading: String?)], value: [UInt8], lease: Int64) throws
        -> [(revision: Int64?, other: EtcdClient.KeyValue?, holder: EtcdClient.KeyValue?)]
    {
        try withState { state in
            guard state.leases[lease] != nil else { throw EtcdError.unexpected("etcdserver: requested lease not found") }
            let creates = keys.contains { state.keys[$0.key] == nil }
            if creates { state.revision += 1 }
            return keys.map { key, reading in
                if let holder = state.keys[key] {
                    return (nil, nil, EtcdClient.KeyValue(
                        key: key, value: [], createRevision: holder.createRevision, modRevision: holder.modRevision,
                        lease: holder.lease))
                }
                Self.put(key, value, lease: lease, &state)
                return (state.revision, reading.flatMap { state.keys[$0] }, nil)
            }
        }
    }

    func compareAndSwap(_ key: String, modRevision: Int64, value: [UInt8]) -> Bool {
        withState { state in
            guard (state.keys[key]?.modRevision ?? 0) == modRevision else { return false }
            state.revision += 1
            Self.put(key, value, lease: state.keys[key]?.lease ?? 0, &state)
            return true
        }
    }

    func delete(_ key: String, createRevision: Int64) -> Bool {
        withState { state in
            guard state.keys[key]?.createRevision == createRevision else { return false }
            state.revision += 1
            state.keys[key] = nil
            return true
        }
    }

    func delete(_ key: String) -> Int {
        withState { state in
            guard state.keys[key] != nil else { return 0 }
            state.revision += 1
            state.keys[key] = nil
            return 1
        }
    }

    func grantLease(ttl: Int64) -> Int64 {
        let now = scheduler.now
        return withState { state in
            state.nextLease += 1
            state.leases[state.nextLease] = (ttl, now + ttl)
            return state.nextLease
        }
    }

    /// The remaining TTL in seconds; 0 for a lease that ended.
    func keepAlive(_ lease: Int64) -> Int64 {
        let now = scheduler.now
        return withState { state in
            guard let known = state.leases[lease] else { return 0 }
            state.leases[lease] = (known.ttl, now + known.ttl)
            return known.ttl / 1_000_000_000
        }
    }

    func revoke(_ lease: Int64) { withState { Self.end(lease, &$0) } }
}

/// One node process's etcd client: each call a request across the simulated network, with the
/// real client's deadline; no answer in time is `EtcdError.unavailable` (it may have happened).
struct SimEtcdClient: EtcdStore {
    static let deadline: Int64 = 5_000_000_000

    let node: Int
    let generation: Int
    let network: SimNetwork
    let server: SimEtcdServer

    private func call<T: Sendable>(_ request: @escaping @Sendable (SimEtcdServer) throws -> T) async throws -> T {
        let server = self.server
        do {
            return try await network.call(from: node, generation: generation, to: SimNetwork.etcd, deadline: Self.deadline) {
                try request(server)
            }
        } catch let timeout as SimTimeout {
            throw EtcdError.unavailable("\(timeout)")
        }
    }

    func get(_ key: String) async throws -> EtcdClient.KeyValue? { try await call { $0.get(key) } }

    func listWithRevision(prefix: String) async throws -> (keys: [EtcdClient.KeyValue], revision: Int64) {
        try await call { $0.list(prefix: prefix) }
    }

    func put(_ key: String, value: [UInt8], lease: Int64?) async throws -> Int64 {
        try await call { try $0.put(key, value: value, lease: lease) }
    }

    func createIfAbsent(_ key: String, value: [UInt8]) async throws -> EtcdClient.KeyValue? {
        try await call { $0.createIfAbsent(key, value: value) }
    }

    func createIfAbsent(_ keys: [(key: String, reading: String?)], value: [UInt8], lease: Int64) async throws
        -> [(revision: Int64?, other: EtcdClient.KeyValue?, holder: EtcdClient.KeyValue?)]
    {
        let sent = keys.map { SimPair(key: $0.key, reading: $0.reading) }
        return try await call { server in
            try server.createIfAbsent(sent.map { ($0.key, $0.reading) }, value: value, lease: lease)
                .map { SimCreate(revision: $0.revision, other: $0.other, holder: $0.holder) }
        }.map { ($0.revision, $0.other, $0.holder) }
    }

    func compareAndSwap(_ key: String, modRevision: Int64, value: [UInt8]) async throws -> Bool {
        try await call { $0.compareAndSwap(key, modRevision: modRevision, value: value) }
    }

    func delete(_ key: String, createRevision: Int64) async throws -> Bool {
        try await call { $0.delete(key, createRevision: createRevision) }
    }

    func delete(_ keys: [(key: String, createRevision: Int64)]) async throws {
        let sent = keys.map { SimDelete(key: $0.key, createRevision: $0.createRevision) }
        try await call { server in for key in sent { _ = server.delete(key.key, createRevision: key.createRevision) } }
    }

    func delete(_ key: String) async throws -> Int { try await call { $0.delete(key) } }

    /// The simulation runs no bucket watch: reads of bucket records go to etcd.
    func watch(
        prefix: String, after revision: Int64, for duration: Duration,
        _ apply: @escaping @Sendable ([EtcdClient.WatchEvent]) -> Void
    ) async throws {
        throw EtcdError.unavailable("no watch in the simulation")
    }

    func grantLease(ttlSeconds: Int64) async throws -> Int64 {
        try await call { $0.grantLease(ttl: ttlSeconds * 1_000_000_000) }
    }

    func keepAlive(lease: Int64) async throws -> Int64 { try await call { $0.keepAlive(lease) } }
    func revokeLease(_ lease: Int64) async throws { try await call { $0.revoke(lease) } }
}

/// Sendable stand-ins for the tuples that cross the simulated network.
private struct SimPair: Sendable {
    var key: String
    var reading: String?
}

private struct SimCreate: Sendable {
    var revision: Int64?
    var other: EtcdClient.KeyValue?
    var holder: EtcdClient.KeyValue?
}

private struct SimDelete: Sendable {
    var key: String
    var createRevision: Int64
}
