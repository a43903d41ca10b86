import ObjectLayer
import StowageCore
import StowageTesting
import Testing

/// The slot's health state: a failed check takes offline only the drive it checked.
@Suite("Drive slot")
struct DriveSlotTests {
    @Test("markOffline acts on the generation it saw: a drive put back meanwhile stays online")
    func generations() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let drive = try await TestStores.openDrive(root: dir.path, pool: TestThreadPool.shared)
        let slot = DriveSlot(setIndex: 0, position: 0, location: dir.path, state: .offline(reason: "not opened yet"))
        #expect(slot.onlineDrive == nil)
        slot.setOnline(drive)
        let checked = try #require(slot.onlineDrive)
        // The same drive object is reopened (a new generation) before the failed check reports.
        slot.setOnline(drive)
        #expect(!slot.markOffline(generation: checked.generation, reason: "stale check"))
        #expect(slot.drive != nil)
        let current = try #require(slot.onlineDrive)
        #expect(slot.markOffline(generation: current.generation, reason: "check failed"))
        #expect(slot.offlineReason == "check failed")
        // Already offline: nothing more to do.
        #expect(!slot.markOffline(generation: current.generation, reason: "again"))
        #expect(slot.offlineReason == "check failed")
    }
}

/// What `stowage admin status` says about a drive that stays offline.
@Suite("Offline reasons")
struct OfflineReasonTests {
    @Test("the cause a drive went offline for stays first; the latest reopening failure follows it once")
    func causeStaysFirst() {
        let cause = "DriveError.io(open /d/tmp/.health-probe: Read-only file system)"
        let first = Healer.offlineReason(keeping: cause, reopening: "SQLite error 5: database is locked")
        #expect(first == cause + "; reopening: SQLite error 5: database is locked")
        let later = Healer.offlineReason(keeping: first, reopening: "SQLite error 14: unable to open database file")
        #expect(later == cause + "; reopening: SQLite error 14: unable to open database file")
        #expect(Healer.offlineReason(keeping: "folder is missing", reopening: "folder is missing") == "folder is missing")
        #expect(Healer.offlineReason(keeping: nil, reopening: "folder is missing") == "folder is missing")
    }
}
