import StowageCore
import StowageTesting
import Synchronization

/// The simulated network between nodes, and between nodes and etcd: every message takes a
/// seeded latency, and may be lost (a partition, a crashed receiver, a lossy link). A call is
/// a request and a reply, like the internode protocol's: the receiver works on a request it
/// got whatever happens to the caller, and the caller waits for the reply up to its deadline
/// and then fails with a timeout, not knowing whether the request took effect. Calls within a
/// node cross no network but keep the deadline (a drive that hangs fails its caller in time,
/// as `DriveThreads`' watchdog makes it).
final class SimNetwork: Sendable {
    /// The endpoint number of etcd (nodes are 0, 1, ...).
    static let etcd = -1

    /// A pair of endpoints: undirected (for cuts) unless made `directed`.
    struct Link: Hashable {
        let a: Int
        let b: Int
        init(_ x: Int, _ y: Int) {
            a = min(x, y)
            b = max(x, y)
        }

        init(directed from: Int, _ to: Int) {
            a = from
            b = to
        }
    }

    private struct State {
        var random: SimRandom
        /// Cut links, counted: faults that overlap each cut and restore their own.
        var cut: [Link: Int] = [:]
        /// Nodes whose process is down (crashed, not restarted yet).
        var down: Set<Int> = []
        /// Each node's process generation: a crash ends one; messages of an ended one are never sent.
        var generation: [Int: Int] = [:]
        /// Paused nodes (SIGSTOP): messages from and to them wait until they resume.
        var paused: Set<Int> = []
        /// Nodes to pause, for this long, as soon as etcd grants them a lock.
        var armed: [Int: Int64] = [:]
        /// Probability that a message is lost on an uncut link.
        var loss = 0.0
        /// Added latency on every message while set (a slow network), nanoseconds.
        var slow: Int64 = 0
    }

    let scheduler: SimScheduler
    private let state: Mutex<State>
    /// The suspended tasks of dead processes, never resumed (an unsafe continuation dropped
    /// unresumed is not a misuse, only a task that never ends, as a killed process's).
    private let graveyard = Mutex<[UnsafeContinuation<Void, Never>]>([])
    private let links = SimLinkOrder()

    init(scheduler: SimScheduler, seed: UInt64) {
        self.scheduler = scheduler
        state = Mutex(State(random: SimRandom(seed: seed ^ 0x6E65_7477_6F72_6B00)))
    }

    // MARK: Faults

    func cut(_ links: [Link]) { state.withLock { for link in links { $0.cut[link, default: 0] += 1 } } }

    func restore(_ links: [Link]) {
        state.withLock { state in
            for link in links {
                state.cut[link, default: 0] -= 1
                if state.cut[link]! <= 0 { state.cut[link] = nil }
            }
        }
    }

    func setLoss(_ loss: Double, slow: Int64) {
        state.withLock {
            $0.loss = loss
            $0.slow = slow
        }
    }

    func pause(_ node: Int) { state.withLock { _ = $0.paused.insert(node) } }

    /// Pauses `node` for `duration` the next time it sends a commit: it stalls inside its
    /// critical section (its condition checked, its commit not yet sent), its lease runs out, and
    /// another node may take the lock and write while it still means to. Only the drives'
    /// fencing keeps its late commit out.
    func armPause(_ node: Int, for duration: Int64) { state.withLock { $0.armed[node] = duration } }
    func disarmPause(_ node: Int) { state.withLock { _ = $0.armed.removeValue(forKey: node) } }

    /// Called as `node` sends a commit.
    func committing(_ node: Int) {
        guard let duration = state.withLock({ $0.armed.removeValue(forKey: node) }) else { return }
        pause(node)
        scheduler.after(nanoseconds: duration) { [self] in resume(node) }
    }
    func resume(_ node: Int) { state.withLock { _ = $0.paused.remove(node) } }

    /// Waits while either end of a message is paused.
    private func waitWhilePaused(_ from: Int, _ to: Int) async {
        while state.withLock({ $0.paused.contains(from) || $0.paused.contains(to) }) {
            await scheduler.sleep(nanoseconds: 50_000_000)
        }
    }

    /// Ends `node`'s process: its messages in flight are still delivered, but nothing it sends
    /// afterwards is, and nothing reaches it until `start`.
    func crash(_ node: Int) {
        state.withLock {
            $0.down.insert(node)
            $0.generation[node, default: 0] += 1
        }
    }

    /// Starts `node`'s process again; returns its new generation.
    func start(_ node: Int) -> Int {
        state.withLock {
            $0.down.remove(node)
            return $0.generation[node, default: 0]
        }
    }

    func generation(of node: Int) -> Int { state.withLock { $0.generation[node, default: 0] } }
    func isDown(_ node: Int) -> Bool { state.withLock { $0.down.contains(node) } }

    /// Whether a message from `from` to `to` would be lost now (and draws the loss).
    private func lost(_ from: Int, _ to: Int) -> Bool {
        state.withLock { state in
            if state.down.contains(to) || state.down.contains(from) { return true }
            if from == to { return false }
            if state.cut[Link(from, to)] != nil { return true }
            return state.loss > 0 && state.random.chance(state.loss)
        }
    }

    /// A message's latency: mostly a fraction of a millisecond, sometimes much more, so that
    /// messages overtake each other.
    private func latency(_ from: Int, _ to: Int) -> Int64 {
        if from == to { return 0 }
        return state.withLock { state in
            let base: Int64 = state.random.chance(0.03) ? 5_000_000 + Int64(state.random.below(30_000_000)) : 50_000 + Int64(state.random.below(450_000))
            return base + state.slow
        }
    }

    /// Sends `request` from `from` (whose process is in `generation`) to `to` and waits for its
    /// reply up to `deadline` nanoseconds; `request` runs on the receiver.
    func call<T: Sendable>(
        from: Int, generation: Int, to: Int, deadline: Int64, _ request: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        guard self.generation(of: from) == generation, !isDown(from) else {
            // The caller's process is dead: its task does nothing more, ever (kill -9).
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                graveyard.withLock { $0.append(continuation) }
            }
            throw SimTimeout(detail: "unreachable: a dead process's task never resumes")
        }
        // A paused process (SIGSTOP) starts nothing until it resumes, and then goes on at once
        // with what it was doing: under a lock that may have passed to another node meanwhile.
        await waitWhilePaused(from, from)
        let scheduler = self.scheduler
        let sent = links.ticket(from, to)
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let reply = OnceAnswer(continuation)
            scheduler.after(nanoseconds: deadline) {
                reply.resume(with: .failure(SimTimeout(detail: "\(Self.name(to)) did not answer within \(deadline / 1_000_000) ms")))
            }
            scheduler.spawn { [self] in
                guard await deliver(from, to, ticket: sent) else { return }
                let result: Result<T, any Error>
                do {
                    result = .success(try await request())
                } catch {
                    result = .failure(error)
                }
                // The reply is lost too when the caller's process ended meanwhile.
                guard await deliver(to, from, ticket: links.ticket(to, from)), self.generation(of: from) == generation
                else { return }
                reply.resume(with: result)
            }
        }
    }

    /// Carries one message from `from` to `to`: it waits while either end is paused, travels
    /// its latency, and arrives after every message sent before it on that link (a TCP stream:
    /// a commit never overtakes the shard data sent ahead of it). False when it is lost.
    private func deliver(_ from: Int, _ to: Int, ticket: Int) async -> Bool {
        await waitWhilePaused(from, to)
        await scheduler.sleep(nanoseconds: latency(from, to))
        await links.turn(from, to, ticket)
        let arrived = !lost(from, to)
        links.done(from, to, ticket)
        return arrived
    }

    static func name(_ endpoint: Int) -> String { endpoint == etcd ? "etcd" : "node \(endpoint)" }
}

/// A call that got no answer in time: it may or may not have taken effect.
struct SimTimeout: Error, CustomStringConvertible {
    var detail: String
    var description: String { "timeout: \(detail)" }
}

/// The order of messages on each directed link: tickets are handed out as messages are sent,
/// and a message is delivered (or dropped) only after every earlier ticket of its link.
final class SimLinkOrder: Sendable {
    private struct Link {
        var sent = 0
        var next = 0
        var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let links = Mutex<[SimNetwork.Link: Link]>([:])

    private static func key(_ from: Int, _ to: Int) -> SimNetwork.Link {
        // Directed: (from, to) and (to, from) are different links.
        SimNetwork.Link(directed: from, to)
    }

    func ticket(_ from: Int, _ to: Int) -> Int {
        links.withLock { links in
            defer { links[Self.key(from, to), default: Link()].sent += 1 }
            return links[Self.key(from, to), default: Link()].sent
        }
    }

    /// Returns once every earlier ticket of the link is done.
    func turn(_ from: Int, _ to: Int, _ ticket: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = links.withLock { links -> Bool in
                if links[Self.key(from, to), default: Link()].next == ticket { return true }
                links[Self.key(from, to), default: Link()].waiting[ticket] = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    func done(_ from: Int, _ to: Int, _ ticket: Int) {
        let next = links.withLock { links -> CheckedContinuation<Void, Never>? in
            links[Self.key(from, to), default: Link()].next = ticket + 1
            return links[Self.key(from, to)]!.waiting.removeValue(forKey: ticket + 1)
        }
        next?.resume()
    }
}
