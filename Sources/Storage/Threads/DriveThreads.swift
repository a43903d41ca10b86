package import NIOCore
package import NIOPosix
package import StowageCore
internal import Synchronization

/// The threads a local drive's blocking calls run on, with a deadline per call.
///
/// A disk that stops answering (a frozen filesystem, a dying device, a hung controller) blocks
/// the thread of every call made to it. Without a deadline every request that touches the
/// drive waited with it, for as long as the disk hung: writes and listings of the whole node
/// stopped, although the other drives held a quorum. With one, a call that has not answered
/// within `deadline` fails with `DriveError.io` ("did not answer within …"): the request goes
/// on with the drives that answered, and the drive's health check fails the same way, which
/// takes the drive offline until it answers again. The blocked thread itself cannot be taken
/// back; its call may still complete later, as a remote drive's call may after its deadline.
///
/// Deadlines cost no timer per call: calls in flight are noted in a `DriveWatchdog`, which a
/// sweep checks a few times per deadline (scheduling and cancelling a timer for every call woke
/// an event loop twice per drive call).
package struct DriveThreads: Sendable {
    package let pool: NIOThreadPool
    /// Nil: no deadline (tests that want the old behaviour).
    package let deadline: TimeAmount?
    let watchdog: DriveWatchdog?

    package init(pool: NIOThreadPool, deadline: TimeAmount?) {
        self.pool = pool
        self.deadline = deadline
        self.watchdog = deadline.map(DriveWatchdog.init)
    }

    /// Runs `body` on one of the threads; throws `DriveError.io` if it has not returned within
    /// the deadline (the caller is resumed then; `body` goes on until it returns).
    package func runIfActive<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        guard let watchdog else { return try await pool.runIfActive(body) }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let answer = OnceAnswer(continuation)
            let call = watchdog.watch { answer.resume(with: .failure($0)) }
            pool.submit { state in
                let result: Result<T, any Error> =
                    state == .active ? Result { try body() } : .failure(DriveError(.io, "the drive's threads are shut down"))
                watchdog.done(call)
                answer.resume(with: result)
            }
        }
    }
}

/// The calls in flight on one drive, failed once they are older than the deadline.
final class DriveWatchdog: Sendable {
    let deadline: TimeAmount
    private struct State {
        var next: UInt64 = 0
        var calls: [UInt64: (started: NIODeadline, fail: @Sendable (any Error) -> Void)] = [:]
        var sweeping = false
    }
    private let state = Mutex(State())

    init(deadline: TimeAmount) {
        self.deadline = deadline
    }

    /// Notes a call; `fail` is called (once) if it is still in flight past the deadline.
    func watch(_ fail: @escaping @Sendable (any Error) -> Void) -> UInt64 {
        let (id, startSweeper) = state.withLock { state -> (UInt64, Bool) in
            state.next += 1
            state.calls[state.next] = (.now(), fail)
            let start = !state.sweeping
            state.sweeping = true
            return (state.next, start)
        }
        if startSweeper { Task.detached { await self.sweep() } }
        return id
    }

    func done(_ id: UInt64) {
        state.withLock { _ = $0.calls.removeValue(forKey: id) }
    }

    /// Fails overdue calls, a few times per deadline, while any call is in flight.
    private func sweep() async {
        let pause = Duration.nanoseconds(max(deadline.nanoseconds / 4, 10_000_000))
        while true {
            try? await Task.sleep(for: pause)
            let now = NIODeadline.now()
            let (overdue, idle) = state.withLock { state -> ([@Sendable (any Error) -> Void], Bool) in
                let late = state.calls.filter { now - $0.value.started >= deadline }
                for id in late.keys { state.calls.removeValue(forKey: id) }
                if state.calls.isEmpty { state.sweeping = false }
                return (late.values.map(\.fail), state.calls.isEmpty)
            }
            let error = Self.timeout(deadline)
            for fail in overdue { fail(error) }
            if idle { return }
        }
    }

    /// The error of a call that did not answer in time.
    static func timeout(_ deadline: TimeAmount) -> DriveError {
        DriveError(.io, "the drive did not answer within \(Double(deadline.nanoseconds) / 1e9) s")
    }
}
