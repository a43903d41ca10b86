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
    /// Changes some drive missed (it was offline or failed), kept until their set has all its
    /// drives again: healing them earlier could not reach the drive that needs them.
    private let missed = Mutex<MissedWrites>(MissedWrites())

    private struct MissedWrites {
        var targets: [HealTarget] = []
        var queued: Set<HealTarget> = []
        /// Taken for healing and not finished yet: still counted, still in the journal.
        var inFlight = 0
        var overflowed = false
    }

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

    /// Where missed changes are also written, so a node that is killed and restarted still
    /// repairs the drives its writes missed; nil keeps them in memory only.
    let journal: (any MissedWriteJournal)?

    package init(capacity: Int = 10_000, journal: (any MissedWriteJournal)? = nil) {
        self.capacity = capacity
        self.journal = journal
        for (bucket, key) in journal?.load() ?? [] { enqueueMissed(bucket: bucket, key: key, journaled: true) }
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

    /// Remembers a change that some drive of the key's set missed (once per key). Beyond
    /// `capacity` keys, notes the overflow instead: the scanner then finds the rest.
    func enqueueMissed(bucket: String, key: String, journaled: Bool = false) {
        let target = HealTarget(bucket: bucket, key: key)
        let added = missed.withLock { missed -> Bool in
            guard !missed.queued.contains(target) else { return false }
            guard missed.queued.count < capacity else {
                missed.overflowed = true
                return false
            }
            missed.queued.insert(target)
            missed.targets.append(target)
            return true
        }
        if added && !journaled { journal?.append(bucket: bucket, key: key) }
    }

    /// Takes up to `limit` missed changes for which `ready` is true (their set is whole again);
    /// the caller heals them and then calls `finishedMissed` with their count.
    func dequeueMissed(limit: Int, ready: (HealTarget) -> Bool) -> [HealTarget] {
        missed.withLock { missed in
            var taken: [HealTarget] = []
            var kept: [HealTarget] = []
            for target in missed.targets {
                if taken.count < limit && ready(target) { taken.append(target) } else { kept.append(target) }
            }
            missed.targets = kept
            for target in taken { missed.queued.remove(target) }
            missed.inFlight += taken.count
            return taken
        }
    }

    /// Ends the healing of `count` dequeued changes (failed ones were queued again before).
    /// Once nothing is left, queued or in flight, the journal starts over.
    func finishedMissed(count: Int) {
        missed.withLock { missed in
            missed.inFlight -= count
            if missed.targets.isEmpty && missed.inFlight == 0 { journal?.clear() }
        }
    }

    /// Whether missed changes were dropped for lack of room since the last call (then a full
    /// scan is the way to find them).
    func takeMissedOverflow() -> Bool {
        missed.withLock { missed in
            defer { missed.overflowed = false }
            return missed.overflowed
        }
    }

    /// Missed changes waiting, or being healed now.
    package var missedCount: Int { missed.withLock { $0.targets.count + $0.inFlight } }

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

/// A durable list of changes some drive missed (see `HealState.enqueueMissed`), kept by the
/// composition root in a file of its choosing.
package protocol MissedWriteJournal: Sendable {
    /// The entries written since the last `clear`, oldest first.
    func load() -> [(bucket: String, key: String)]
    func append(bucket: String, key: String)
    func clear()
}
