import Dispatch
import NIOCore
import NIOPosix
import Storage
import StowageCore
import StowageTesting
import Testing

/// The deadline of a local drive's calls: a call that does not return in time fails, one that
/// does returns its value; the blocked thread finishes on its own later.
@Suite("Drive threads with a deadline")
struct DriveThreadsTests {
    @Test("a call that blocks past the deadline fails with 'did not answer'; a quick one returns its value")
    func deadline() async throws {
        // (The shared test pool may be busy with other tests: calls meant to answer get a long deadline.)
        let patient = DriveThreads(pool: TestThreadPool.shared, deadline: .seconds(60))
        #expect(try await patient.runIfActive { 42 } == 42)
        let hasty = DriveThreads(pool: TestThreadPool.shared, deadline: .milliseconds(200))
        // The call blocks until the test has seen it fail (at most 60 s), however late the sweep
        // that fails it runs on a loaded machine.
        let gate = DispatchSemaphore(value: 0)
        let error = await #expect(throws: DriveError.self) {
            try await hasty.runIfActive { _ = gate.wait(timeout: .now() + 60) }
        }
        gate.signal()
        #expect(error?.code == .io)
        #expect(error?.detail.contains("did not answer within") == true)
        // An error the call throws itself is passed on as it is.
        let passed = await #expect(throws: DriveError.self) {
            try await patient.runIfActive { throw DriveError(.corrupt, "bad") }
        }
        #expect(passed?.code == .corrupt)
        #expect(try await DriveThreads(pool: TestThreadPool.shared, deadline: nil).runIfActive { "no deadline" } == "no deadline")
    }
}
