package import StowageCore

/// What the cluster's coordination (`EtcdCoordination`, `NodeLease`) asks of etcd: keys with
/// revisions, conditional creates and deletes, leases. `EtcdClient` is the real one; the
/// deterministic simulation answers the same calls from an etcd in memory behind a simulated
/// network, so that the coordination code it checks is the code a node runs.
///
/// Every call throws `EtcdError.unavailable` when no member answered in time (it may or may not
/// have taken effect) and `EtcdError.unexpected` for answers that say no.
package protocol EtcdStore: Sendable {
    func get(_ key: String) async throws -> EtcdClient.KeyValue?
    func listWithRevision(prefix: String) async throws -> (keys: [EtcdClient.KeyValue], revision: Int64)
    /// Returns the revision of the change.
    func put(_ key: String, value: [UInt8], lease: Int64?) async throws -> Int64
    /// Creates `key` unless it exists; returns the existing key (nil when created).
    func createIfAbsent(_ key: String, value: [UInt8]) async throws -> EtcdClient.KeyValue?
    /// Creates each key bound to `lease` unless it exists, reading another key with it: per key,
    /// the creation's revision (nil when it existed), the other key, and the existing holder.
    func createIfAbsent(_ keys: [(key: String, reading: String?)], value: [UInt8], lease: Int64) async throws
        -> [(revision: Int64?, other: EtcdClient.KeyValue?, holder: EtcdClient.KeyValue?)]
    /// Replaces the value while the key's mod revision is `modRevision` (0: absent).
    func compareAndSwap(_ key: String, modRevision: Int64, value: [UInt8]) async throws -> Bool
    /// Deletes the key while its create revision is `createRevision`.
    func delete(_ key: String, createRevision: Int64) async throws -> Bool
    func delete(_ keys: [(key: String, createRevision: Int64)]) async throws
    /// Deletes the key; returns how many keys went (0 or 1).
    func delete(_ key: String) async throws -> Int
    func watch(
        prefix: String, after revision: Int64, for duration: Duration,
        _ apply: @escaping @Sendable ([EtcdClient.WatchEvent]) -> Void
    ) async throws
    func grantLease(ttlSeconds: Int64) async throws -> Int64
    /// Returns the lease's remaining TTL (≤ 0: expired).
    func keepAlive(lease: Int64) async throws -> Int64
    /// A lease etcd does not know counts as revoked.
    func revokeLease(_ lease: Int64) async throws
}

extension EtcdStore {
    package func list(prefix: String) async throws -> [EtcdClient.KeyValue] {
        try await listWithRevision(prefix: prefix).keys
    }
}

extension EtcdClient: EtcdStore {}
