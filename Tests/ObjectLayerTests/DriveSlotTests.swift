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

/// Drives taken offline for want of space make a write a 507, not a 503.
@Suite("Full drives offline")
struct FullDrivesOfflineTests {
    func attempt(_ fixture: ErasureFixture) async -> ObjectLayerError.Code? {
        do {
            try await fixture.put("k", pattern(3_000))
            return nil
        } catch let error as ObjectLayerError {
            return error.code
        } catch {
            return nil
        }
    }

    @Test("4 of 8 drives offline because full: storageFull; offline for another cause: insufficientDrives")
    func fullOfflineDrivesAnswerFull() async throws {
        let fixture = try await ErasureFixture.make(drives: 8, parity: 4)
        defer { fixture.dir.remove() }
        let drives = (4...7).map { (position: $0, drive: fixture.slots[$0].onlineDrive!) }
        for (position, online) in drives {
            #expect(fixture.slots[position].markOffline(generation: online.generation, reason: "full", full: true))
            #expect(fixture.slots[position].isOfflineFull)
        }
        #expect(await attempt(fixture) == .storageFull)
        // Reopening keeps failing: still offline for want of space.
        fixture.slots[4].setOffline(reason: "full; reopening: database or disk is full")
        #expect(fixture.slots[4].isOfflineFull)
        #expect(await attempt(fixture) == .storageFull)
        for (position, online) in drives { fixture.slots[position].setOnline(online.drive) }
        #expect(!fixture.slots[4].isOfflineFull)
        for (position, _) in drives {
            let generation = fixture.slots[position].onlineDrive!.generation
            fixture.slots[position].markOffline(generation: generation, reason: "read-only file system")
        }
        #expect(await attempt(fixture) == .insufficientDrives)
        for (position, online) in drives { fixture.slots[position].setOnline(online.drive) }
        #expect(await attempt(fixture) == nil)
    }
}
