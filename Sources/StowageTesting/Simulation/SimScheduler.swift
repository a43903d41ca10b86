internal import Dispatch
internal import Foundation
internal import Glibc
package import StowageCore
internal import Synchronization

/// The simulation's only thread of execution: a task executor that runs every job of the tasks
/// given to it, one at a time, on one thread, picking the next among the ready ones with a
/// seeded generator, and a virtual clock that jumps to the next timer whenever no job is ready.
///
/// Given the same seed, the same root task runs the same interleaving of its child tasks and
/// sees the same times, as long as nothing it calls hops to another thread (the object layer
/// over `MemoryDrive`s does not; `externalWakes` counts jobs that arrived from another
/// thread, which would make a run depend on real timing, and a run with any is reported).
package final class SimScheduler: TaskExecutor, SimulatedEnvironment, @unchecked Sendable {
    fileprivate struct Timer {
        var wake: Int64
        var sequence: Int
        var action: @Sendable () -> Void
    }

    private struct Queue {
        var ready: [UnownedJob] = []
        var timers = TimerHeap()
        var sequence = 0
        var externalWakes = 0
    }

    private let queue = Mutex(Queue())
    /// Read and advanced only on the loop thread.
    private var random: SimRandom
    private var clock: Int64 = 0
    private let ids: Mutex<SimRandom>
    private var loopThread: pthread_t?
    /// Signalled by jobs that arrive from another thread.
    private let arrived = DispatchSemaphore(value: 0)

    package init(seed: UInt64) {
        random = SimRandom(seed: seed)
        ids = Mutex(SimRandom(seed: seed ^ 0x6964_7300))
    }

    /// Virtual nanoseconds since the run began (only meaningful on the loop thread).
    package var now: Int64 { clock }
    package var nanoseconds: Int64 { clock }
    /// The run starts at 2026-01-01T00:00:00Z on every wall clock.
    package static let epoch: Int64 = 1_767_225_600 * 1_000_000_000
    package var wallNanoseconds: Int64 { Self.epoch + clock }

    /// Random bits for the code under simulation (version and shard ids), from the seed.
    package func randomBits() -> UInt64 { ids.withLock { $0.next() } }

    package var externalWakes: Int { queue.withLock { $0.externalWakes } }

    package func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let external = loopThread.map { pthread_equal($0, pthread_self()) == 0 } ?? true
        queue.withLock {
            $0.ready.append(unowned)
            if external { $0.externalWakes += 1 }
        }
        if external { arrived.signal() }
    }

    /// Suspends the calling task for `nanoseconds` of virtual time.
    package func sleep(nanoseconds: Int64) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            after(nanoseconds: nanoseconds) { continuation.resume() }
        }
    }

    /// Runs `action` on the loop thread once `nanoseconds` of virtual time have passed.
    package func after(nanoseconds: Int64, _ action: @escaping @Sendable () -> Void) {
        let wake = clock + max(nanoseconds, 0)
        queue.withLock { queue in
            queue.sequence += 1
            queue.timers.push(Timer(wake: wake, sequence: queue.sequence, action: action))
        }
    }

    /// Starts `body` as a new task on this scheduler (a message handled on another node, a
    /// background loop): it runs on, whatever becomes of the task that started it. Task-local
    /// values (the simulated environment among them) are inherited; the executor preference is
    /// not, so it is given again.
    package func spawn(_ body: @escaping @Sendable () async -> Void) {
        Task(executorPreference: self) { await body() }
    }

    /// `spawn`, returning the task (to cancel it).
    package func task(_ body: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        Task(executorPreference: self) { await body() }
    }

    /// What a run ended with.
    package enum Ending: Sendable, Equatable {
        case finished
        /// No job ready and no timer set, and the root has not returned: every task waits for
        /// something that will never come (a lost wake-up, a lock never released).
        case stuck(at: Int64)
        /// The root returned, but timers kept firing past `limit` (a loop that never ends).
        case endless(at: Int64)
    }

    /// Runs `root` on this scheduler until it returns, on a thread of its own; `stuckAfter` is
    /// the real time to wait for a job from another thread before calling the run stuck.
    /// The run ends when the root has returned and nothing is left: no job ready, no timer set
    /// (background tasks must end too), or virtual time passes `limit` nanoseconds.
    package func run(
        stuckAfter seconds: Double = 5, limit: Int64 = 3_600_000_000_000, _ root: @escaping @Sendable () async -> Void
    ) async -> Ending {
        await withCheckedContinuation { (continuation: CheckedContinuation<Ending, Never>) in
            let thread = Thread { [self] in
                continuation.resume(returning: loop(root, stuckAfter: seconds, limit: limit))
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    private func loop(_ root: @escaping @Sendable () async -> Void, stuckAfter seconds: Double, limit: Int64) -> Ending {
        loopThread = pthread_self()
        let done = SimFlag()
        Task(executorPreference: self) {
            // The object layer's clock and pauses are this scheduler's, in every task it starts.
            await LayerEnvironment.$simulated.withValue(self) { await root() }
            done.set()
        }
        while true {
            let next = queue.withLock { queue -> UnownedJob? in
                guard !queue.ready.isEmpty else { return nil }
                let index = queue.ready.count == 1 ? 0 : random.below(queue.ready.count)
                return queue.ready.remove(at: index)
            }
            if let next {
                next.runSynchronously(on: asUnownedTaskExecutor())
                continue
            }
            let timer = queue.withLock { $0.timers.pop() }
            if let timer {
                clock = max(clock, timer.wake)
                if clock > limit { return done.isSet ? .endless(at: clock) : .stuck(at: clock) }
                timer.action()
                continue
            }
            if done.isSet { return .finished }
            if arrived.wait(timeout: .now() + seconds) == .timedOut { return .stuck(at: clock) }
        }
    }
}

/// Timers by wake time, then by the order they were set (a binary min-heap).
private struct TimerHeap {
    private var items: [SimScheduler.Timer] = []

    private static func before(_ a: SimScheduler.Timer, _ b: SimScheduler.Timer) -> Bool {
        a.wake != b.wake ? a.wake < b.wake : a.sequence < b.sequence
    }

    mutating func push(_ timer: SimScheduler.Timer) {
        items.append(timer)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> SimScheduler.Timer? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let first = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count && Self.before(items[left], items[smallest]) { smallest = left }
            if right < items.count && Self.before(items[right], items[smallest]) { smallest = right }
            if smallest == parent { return first }
            items.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

/// A flag set once, read from any thread.
final class SimFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// SplitMix64: a small, fast, seedable generator (the simulation's only source of randomness).
package struct SimRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    package init(seed: UInt64) {
        state = seed
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound.
    package mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    /// True with probability `p`.
    package mutating func chance(_ p: Double) -> Bool {
        Double(next() >> 11) / Double(1 << 53) < p
    }
}
