internal import Synchronization

/// A lock per key name on this node: read-modify-write steps on one key (a commit against a
/// concurrent heal) run one at a time. Waiters are resumed in arrival order.
package final class KeyLocks: Sendable {
    private struct Waiting {
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let held = Mutex<[String: Waiting]>([:])

    package init() {}

    package func withLock<T>(_ name: String, _ body: () async throws -> T) async rethrows -> T {
        await acquire(name)
        defer { release(name) }
        return try await body()
    }

    private func acquire(_ name: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = held.withLock { held -> Bool in
                if held[name] == nil {
                    held[name] = Waiting()
                    return true
                }
                held[name]!.waiters.append(continuation)
                return false
            }
            if acquired { continuation.resume() }
        }
    }

    private func release(_ name: String) {
        let next = held.withLock { held -> CheckedContinuation<Void, Never>? in
            guard var waiting = held[name] else { return nil }
            if waiting.waiters.isEmpty {
                held[name] = nil
                return nil
            }
            let next = waiting.waiters.removeFirst()
            held[name] = waiting
            return next
        }
        next?.resume()
    }
}
