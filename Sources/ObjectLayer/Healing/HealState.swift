internal import Synchronization

/// One object to look at again.
struct HealTarget: Hashable, Sendable {
    var bucket: String
    var key: String
}

/// Objects found damaged by reads, waiting for the background healer, and the healing counters
/// that metrics and the admin status report. Shared by every copy of the `ObjectStore` value.
package final class HealState: Sendable {
    /// Most objects remembered at once; beyond this the scanner finds them on its next pass.
    let capacity: Int
    private let queue = Mutex<[HealTarget]>([])
    private let queued = Mutex<Set<HealTarget>>([])
    private let counters = Mutex(Counters())

    package struct Counters: Sendable, Equatable {
        package var shardsHealed = 0
        package var recordsHealed = 0
        package var objectsHealed = 0
        package var corruptionsFound = 0
        package var missingShardsFound = 0
        package var objectsScanned = 0
        package var scannerPasses = 0
        package var healFailures = 0
    }

    package init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// Queues an object for repair (once, however many reads report it).
    func enqueue(bucket: String, key: String) {
        let target = HealTarget(bucket: bucket, key: key)
        let added = queued.withLock { set -> Bool in
            guard set.count < capacity, !set.contains(target) else { return false }
            set.insert(target)
            return true
        }
        if added { queue.withLock { $0.append(target) } }
    }

    /// Takes up to `limit` queued objects.
    func dequeue(limit: Int) -> [HealTarget] {
        let taken = queue.withLock { queue -> [HealTarget] in
            let taken = Array(queue.prefix(limit))
            queue.removeFirst(taken.count)
            return taken
        }
        queued.withLock { set in for target in taken { set.remove(target) } }
        return taken
    }

    package var queuedCount: Int { queue.withLock { $0.count } }

    package var snapshot: Counters { counters.withLock { $0 } }

    func count(_ update: (inout Counters) -> Void) {
        counters.withLock { update(&$0) }
    }
}
