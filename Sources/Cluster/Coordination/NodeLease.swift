package import Logging
internal import Synchronization

/// This node's etcd lease: every lock it takes is bound to it, so a node that dies or loses
/// etcd loses its locks once the lease runs out (`ttlSeconds`), and the next holder's larger
/// token fences off anything the old holder still tries to write.
///
/// Granted on first use and renewed by `runKeepAlive` (every third of the TTL). A lease that
/// etcd reports expired, or that a call finds unknown, is dropped; the next lock grants a new one.
package final class NodeLease: Sendable {
    let etcd: EtcdClient
    package let ttlSeconds: Int64
    private let current = Mutex<Int64?>(nil)

    package init(etcd: EtcdClient, ttlSeconds: Int64 = 10) {
        self.etcd = etcd
        self.ttlSeconds = ttlSeconds
    }

    /// The lease to bind a lock to, granted now if there is none.
    func id() async throws -> Int64 {
        if let id = current.withLock({ $0 }) { return id }
        let granted = try await etcd.grantLease(ttlSeconds: ttlSeconds)
        return current.withLock { current in
            if let existing = current { return existing }
            current = granted
            return granted
        }
    }

    /// Forgets `id` (etcd no longer knows it).
    func drop(_ id: Int64) {
        current.withLock { if $0 == id { $0 = nil } }
    }

    /// Renews the lease until the task is cancelled.
    package func runKeepAlive(logger: Logger) async {
        let interval = Duration.milliseconds(ttlSeconds * 1000 / 3)
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
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
