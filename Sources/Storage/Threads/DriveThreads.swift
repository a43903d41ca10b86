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
package struct DriveThreads: Sendable {
    package let pool: NIOThreadPool
    /// Nil: no deadline (tests that want the old behaviour, and `stowage format`).
    package let deadline: TimeAmount?

    package init(pool: NIOThreadPool, deadline: TimeAmount?) {
        self.pool = pool
        self.deadline = deadline
    }

    /// Runs `body` on one of the threads; throws `DriveError.io` if it has not returned within
    /// the deadline (the caller is resumed then; `body` goes on until it returns).
    package func runIfActive<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        guard let deadline else { return try await pool.runIfActive(body) }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let answer = OnceAnswer(continuation)
            let timer = Self.timerLoop.scheduleTask(in: deadline) {
                answer.resume(with: .failure(Self.timeout(deadline)))
            }
            pool.submit { state in
                let result: Result<T, any Error> =
                    state == .active ? Result { try body() } : .failure(DriveError(.io, "the drive's threads are shut down"))
                timer.cancel()
                answer.resume(with: result)
            }
        }
    }

    /// The error of a call that did not answer in time.
    package static func timeout(_ deadline: TimeAmount) -> DriveError {
        DriveError(.io, "the drive did not answer within \(Double(deadline.nanoseconds) / 1e9) s")
    }

    /// Timers for deadlines: one event loop, which only schedules and fires them.
    static let timerLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any()
}

/// A continuation that the first of two racers resumes (the call or its deadline).
final class OnceAnswer<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func resume(with result: Result<T, any Error>) {
        let taken = continuation.withLock { value -> CheckedContinuation<T, any Error>? in
            defer { value = nil }
            return value
        }
        taken?.resume(with: result)
    }
}
