package import Logging
internal import StowageCore
internal import Synchronization

/// This node's etcd lease: every lock it takes is bound to it, so a node that dies or loses
/// etcd loses its locks once the lease runs out (`ttlSeconds`), and the next holder's larger
/// token fences off anything the old holder still tries to write.
///
/// Granted on first use and renewed by `runKeepAlive` (every third of the TTL). A lease that
/// etcd reports expired, or that a call finds unknown, is dropped; the next lock grants a new one.
///
/// With a `recordKey`, the lease's id is recorded in etcd under it, and the node's next process
/// revokes it as it starts (`notePrevious`, then `revokePrevious`): the locks of a node killed in
/// the middle of its writes are released when it restarts, not only when the lease runs out.
package final class NodeLease: Sendable {
    let etcd: any EtcdStore
    package let ttlSeconds: Int64
    /// Where this node records the id of its lease (`/stowage/v1/nodes/<address>/lease`).
    package let recordKey: String?
    private let current = Mutex<Int64?>(nil)
    /// The lease of this node's previous process, until revoked.
    private let previous = Mutex<Int64?>(nil)

    package init(etcd: any EtcdStore, ttlSeconds: Int64 = 10, recordKey: String? = nil) {
        self.etcd = etcd
        self.ttlSeconds = ttlSeconds
        self.recordKey = recordKey
    }

    /// The key under which the node at `address` records its lease.
    package static func recordKey(address: String) -> String { "/stowage/v1/nodes/\(address)/lease" }

    /// The lease to bind a lock to, granted now if there is none.
    func id() async throws -> Int64 {
        if let id = current.withLock({ $0 }) { return id }
        let granted = try await etcd.grantLease(ttlSeconds: ttlSeconds)
        let (id, won) = current.withLock { current in
            if let existing = current { return (existing, false) }
            current = granted
            return (granted, true)
        }
        if !won {
            try? await etcd.revokeLease(granted)  // another task's grant came first
        } else if let recordKey {
            // Before this task binds a lock to it: a process that dies after this leaves its locks
            // to the next one's `revokePrevious`. A record etcd does not take costs only that
            // (the locks then last until the lease runs out), so the lock goes on without it.
            try? await etcd.put(recordKey, value: Array(String(granted).utf8), lease: nil)
        }
        return id
    }

    /// Reads the lease recorded by this node's previous process, if any, for `revokePrevious`.
    /// Call before this process takes any lock (its own lease then replaces the record).
    package func notePrevious() async throws {
        guard let recordKey, let stored = try await etcd.get(recordKey),
            let id = Int64(String(decoding: stored.value, as: UTF8.self))
        else { return }
        previous.withLock { $0 = id }
    }

    /// Revokes the lease `notePrevious` found (the locks bound to it go with it); returns its id.
    /// Call once this process is sure to be the node (it has bound its port): a second process
    /// started by mistake on the address of a running one must not revoke that one's lease.
    package func revokePrevious() async throws -> Int64? {
        guard let id = previous.withLock({ $0 }) else { return nil }
        try await etcd.revokeLease(id)
        previous.withLock { $0 = nil }
        return id
    }

    /// Whether `id` is the lease locks are bound to now.
    func isCurrent(_ id: Int64) -> Bool {
        current.withLock { $0 == id }
    }

    /// Forgets `id` (etcd no longer knows it).
    func drop(_ id: Int64) {
        current.withLock { if $0 == id { $0 = nil } }
    }

    /// Renews the lease until the task is cancelled.
    package func runKeepAlive(logger: Logger) async {
        let interval = Duration.milliseconds(ttlSeconds * 1000 / 3)
        while !Task.isCancelled {
            try? await LayerEnvironment.sleep(for: interval)
            guard let id = current.withLock({ $0 }) else { continue }
            do {
                if try await etcd.keepAlive(lease: id) <= 0 {
                    logger.warning("etcd lease expired; locks held under it are lost", metadata: ["lease": "\(id)"])
                    drop(id)
                }
            } catch {
                logger.warning("etcd lease renewal failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
