internal import Synchronization

/// A continuation that the first of several racers resumes (a call or its deadline); later
/// answers are dropped.
package final class OnceAnswer<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    package init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    package func resume(with result: Result<T, any Error>) {
        let taken = continuation.withLock { value -> CheckedContinuation<T, any Error>? in
            defer { value = nil }
            return value
        }
        taken?.resume(with: result)
    }
}
