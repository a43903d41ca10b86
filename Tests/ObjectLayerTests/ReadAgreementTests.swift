import Foundation
import ObjectLayer
import StowageCore
import StowageTesting
import Testing

/// A read answers only what enough drives agree on: one more than a write quorum leaves out.
/// Fewer could outvote an acknowledged change with stale copies; more would refuse reads that are
/// safe on sets with more data than parity shards.
@Suite("Read agreement")
struct ReadAgreementTests {
    /// Takes the drives at `positions` offline; returns them to bring back.
    func takeOffline(_ fixture: ErasureFixture, _ positions: some Sequence<Int>) -> [(Int, any Drive)] {
        positions.map { position in
            let drive = fixture.slots[position].drive!
            fixture.slots[position].setOffline(reason: "test")
            return (position, drive)
        }
    }

    func bringBack(_ fixture: ErasureFixture, _ drives: [(Int, any Drive)]) {
        for (position, drive) in drives { fixture.slots[position].setOnline(drive) }
    }

    @Test("4 of 8 drives, two stale copies and two absences after a delete: 503, never the deleted bytes")
    func staleCopiesDoNotOutvoteADelete() async throws {
        let fixture = try await ErasureFixture.make(drives: 8, parity: 4)
        defer { fixture.dir.remove() }
        try await fixture.put("k", pattern(5_000))
        // Drives 6 and 7 miss an overwrite and the delete (6 of 8 take them: write quorum 5).
        let away = takeOffline(fixture, 6...7)
        try await fixture.put("k", pattern(6_000, seed: 2))
        _ = try await fixture.store.deleteObject(bucket: "b", key: "k", versionID: nil)
        bringBack(fixture, away)
        // Only drives 0, 1 (without the key) and 6, 7 (stale) answer.
        let cut = takeOffline(fixture, 2...5)
        do {
            let bytes = try await fixture.get("k")
            Issue.record("read \(bytes.count) bytes of a deleted object")
        } catch let error as ObjectLayerError {
            #expect(error.code == .insufficientDrives)
        }
        bringBack(fixture, cut)
        do {
            _ = try await fixture.get("k")
            Issue.record("a deleted object was read with every drive back")
        } catch let error as ObjectLayerError {
            #expect(error.code == .noSuchKey)
        }
    }

    @Test("16 drives (12 + 4): 8 current records and 4 stale ones among 12 answering are enough")
    func widerSetsNeedFewerToAgree() async throws {
        let fixture = try await ErasureFixture.make(drives: 16, parity: 4)
        defer { fixture.dir.remove() }
        try await fixture.put("k", pattern(5_000))
        let away = takeOffline(fixture, 12...15)
        try await fixture.put("k", pattern(7_000, seed: 3))
        bringBack(fixture, away)
        // The record is answered (the object's data needs 12 current shards, which only 8 of these
        // hold: reading the bytes is another matter, and answers 503).
        let cut = takeOffline(fixture, 0...3)
        #expect(try await fixture.store.headObject(bucket: "b", key: "k").size == 7_000)
        bringBack(fixture, cut)
    }

    @Test("A delete that misses quorum is put back on the drives that took it")
    func refusedDeleteIsRolledBack() async throws {
        let fixture = try await ErasureFixture.make(drives: 8, parity: 4)
        defer { fixture.dir.remove() }
        try await fixture.put("k", pattern(5_000))
        let away = takeOffline(fixture, 4...7)
        do {
            _ = try await fixture.store.deleteObject(bucket: "b", key: "k", versionID: nil)
            Issue.record("a delete reached 4 of 8 drives and succeeded")
        } catch let error as ObjectLayerError {
            #expect(error.code == .insufficientDrives)
        }
        bringBack(fixture, away)
        // Drives 0-3 took the delete; alone they must still hold the record.
        let cut = takeOffline(fixture, 4...7)
        #expect(try await fixture.store.headObject(bucket: "b", key: "k").size == 5_000)
        bringBack(fixture, cut)
        #expect(try await fixture.get("k") == pattern(5_000))
    }

    @Test("A delete left on half the drives (its writer died) is written back before it is served: time never runs back")
    func halfAppliedDeleteIsWrittenBackBeforeServing() async throws {
        let fixture = try await ErasureFixture.make(drives: 8, parity: 4)
        defer { fixture.dir.remove() }
        try await fixture.put("k", pattern(5_000))
        let versionID = try await fixture.store.headObject(bucket: "b", key: "k").versionID
        for position in 0..<4 {
            _ = try await fixture.slots[position].drive!.deleteVersion(bucket: "b", key: "k", versionID: versionID, fence: nil)
        }
        // Drive 7 away: 4 absent against 3 copies. Served as it stands, NoSuchKey here would turn into
        // the object once drive 7 is back (4 against 4, and a record wins a tie).
        let away = takeOffline(fixture, 7...7)
        do {
            _ = try await fixture.store.headObject(bucket: "b", key: "k")
            Issue.record("served the object")
        } catch let error as ObjectLayerError {
            #expect(error.code == .noSuchKey)
        }
        bringBack(fixture, away)
        do {
            _ = try await fixture.store.headObject(bucket: "b", key: "k")
            Issue.record("the key came back after a read had said it was gone")
        } catch let error as ObjectLayerError {
            #expect(error.code == .noSuchKey)
        }
        for position in 4..<7 {
            #expect(try await fixture.slots[position].drive!.readObject(bucket: "b", key: "k") == nil)
        }
    }

    @Test("A read held by fewer than a write quorum waits for the key's writer: a refused delete is never served")
    func degradedReadWaitsForTheWriter() async throws {
        let fixture = try await ErasureFixture.make(drives: 8, parity: 4)
        defer { fixture.dir.remove() }
        try await fixture.put("k", pattern(5_000))
        let record = try await fixture.store.headObject(bucket: "b", key: "k")
        let away = takeOffline(fixture, 4...7)
        let drives = (0..<4).map { fixture.slots[$0].drive! }
        let removed = AsyncFlag()
        // A writer, holding the key's lock, removes the version from the 4 drives it reaches, is
        // refused (4 < 5) and puts it back, as `deleteVersion` does.
        let writer = Task {
            try await fixture.store.coordination.withKeyLock("b/k") { _ in
                for drive in drives { _ = try await drive.deleteVersion(bucket: "b", key: "k", versionID: record.versionID, fence: nil) }
                await removed.set()
                try await Task.sleep(for: .milliseconds(300))
                for drive in drives { _ = try await drive.commitObject(record, fence: nil) }
            }
        }
        await removed.wait()
        // 4 drives say absent, 4 are away: served as it stands, that would be a 404 for a delete
        // that never happened.
        #expect(try await fixture.store.headObject(bucket: "b", key: "k").etag == record.etag)
        try await writer.value
        bringBack(fixture, away)
    }
}

/// Set once; waited for.
actor AsyncFlag {
    private var isSet = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func set() {
        isSet = true
        for waiter in waiters { waiter.resume() }
        waiters = []
    }

    func wait() async {
        if isSet { return }
        await withCheckedContinuation { waiters.append($0) }
    }
}
