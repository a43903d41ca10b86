internal import Synchronization

/// Lets the drive monitor start a scanner pass early (when an empty drive was adopted).
package final class ScannerWake: Sendable {
    private let pending = Mutex(false)

    package init() {}

    package func wake() { pending.withLock { $0 = true } }

    /// Returns after `seconds`, or soon after `wake()`. Throws when the task is cancelled.
    func wait(seconds: Double) async throws {
        let step = 0.2
        var waited = 0.0
        while waited < seconds {
            if pending.withLock({ flag in defer { flag = false }; return flag }) { return }
            try await Task.sleep(for: .seconds(min(step, seconds - waited)))
            waited += step
        }
        pending.withLock { $0 = false }
    }
}
