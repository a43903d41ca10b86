import Logging
import NIOCore
import ObjectLayer
import StowageCore
import StowageTesting
import Testing

/// The object layer over drives that fail, hang, return short reads or tear writes (`FaultyDrive`).
@Suite("Faulty drives")
struct FaultyDriveTests {
    struct Fixture {
        let dir: TemporaryDirectory
        let store: ObjectStore
        let drives: [FaultyDrive]
        let slots: [DriveSlot]

        static func make() async throws -> Fixture {
            let dir = TemporaryDirectory()
            let roots = (0..<4).map { "\(dir.path)/d\($0)" }
            let made = Shared<[FaultyDrive]>([])
            let (store, slots) = try await TestStores.store(
                roots: roots, pool: TestThreadPool.shared, blockSize: 4096, inlineThreshold: 100
            ) { local in
                let drive = FaultyDrive(local)
                made.update { $0.append(drive) }
                return drive
            }
            try await store.createBucket("b", region: "us-east-1")
            return Fixture(dir: dir, store: store, drives: made.update { $0 }, slots: slots)
        }

        func put(_ key: String, _ data: [UInt8]) async throws {
            _ = try await store.putObject(
                bucket: "b", key: key, body: Pieces(data: data, piece: 1500), size: Int64(data.count),
                options: ObjectWriteOptions())
        }

        func get(_ key: String) async throws -> [UInt8] {
            let record = try await store.headObject(bucket: "b", key: key)
            var out: [UInt8] = []
            for try await buffer in store.objectBytes(record, range: nil) { out += buffer.readableBytesView }
            return out
        }
    }

    @Test("a delete marker needs a write quorum like any version: with one drive of four taking it, the DELETE fails and leaves none")
    func deleteMarkerNeedsWriteQuorum() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.dir.remove() }
        try await fixture.store.setBucketVersioning("b", .enabled)
        try await fixture.put("k", pattern(100))
        for drive in fixture.drives.dropFirst() { drive.set(.error(.io), on: .commit) }
        await #expect(throws: ObjectLayerError.self) {
            _ = try await fixture.store.deleteObject(bucket: "b", key: "k", versionID: nil)
        }
        for drive in fixture.drives { drive.clearAll() }
        // The object is still current, on every drive: the marker was rolled back where it was taken.
        #expect(try await fixture.get("k") == pattern(100))
        for drive in fixture.drives {
            #expect(try await drive.base.readObject(bucket: "b", key: "k")?.isDeleteMarker == false)
        }
        // With the drives back, a delete leaves a marker on all of them.
        _ = try await fixture.store.deleteObject(bucket: "b", key: "k", versionID: nil)
        for drive in fixture.drives {
            #expect(try await drive.base.readObject(bucket: "b", key: "k")?.isDeleteMarker == true)
        }
    }

    @Test("writes ask each drive's free space once in a while, not each time; only a fresh answer refuses one")
    func spaceAnswersAreReused() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.dir.remove() }
        let start = ContinuousClock.now
        for index in 0..<30 { try await fixture.put("k\(index)", pattern(50)) }
        let elapsed = ContinuousClock.now - start
        let allowed = 2 + Int(elapsed / .milliseconds(250))
        for drive in fixture.drives {
            #expect(drive.callCount(.space) <= allowed, "30 writes in \(elapsed) asked \(drive.callCount(.space)) times")
        }
        // Writes since the last answer took (in this test's pretence) all the space: the
        // remembered answers refuse, so the drives are asked again, and their answers admit it.
        let before = fixture.drives.map { $0.callCount(.space) }
        for slot in fixture.slots { slot.claim(1 << 60) }
        try await fixture.put("after", pattern(50))
        #expect(zip(fixture.drives, before).allSatisfy { $0.callCount(.space) == $1 + 1 })
        // A drive whose space cannot be read is asked at every write until it answers.
        fixture.drives[0].set(.error(.io), on: .space)
        for slot in fixture.slots { slot.claim(1 << 60) }
        try await fixture.put("again", pattern(50))
        try await fixture.put("and again", pattern(50))
        #expect(fixture.drives[0].callCount(.space) >= before[0] + 3)
        #expect(try await fixture.get("and again") == pattern(50))
    }

    @Test("a drive answering short reads is treated as damaged: the bytes come back exact from the others")
    func shortReads() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.dir.remove() }
        let data = pattern(30_000)
        try await fixture.put("k", data)
        // The two drives holding the data shards answer short: the bytes must come from parity.
        let layout = try await fixture.store.headObject(bucket: "b", key: "k").layout
        for shard in 0..<2 { fixture.drives[layout.position(ofShard: shard)!].set(.shortRead, on: .shardRead) }
        #expect(try await fixture.get("k") == data)
        #expect(fixture.store.heal.queuedCount == 1, "the damage was reported for healing")
    }

    @Test("a torn shard write on one drive leaves the write acknowledged by the others, and queued for that drive")
    func tornWrite() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.dir.remove() }
        fixture.drives[1].set(.tornWrite, on: .shardWrite)
        let data = pattern(20_000, seed: 9)
        try await fixture.put("torn", data)
        fixture.drives[1].clearAll()
        #expect(try await fixture.get("torn") == data)
        // The drive without the object reads it from the others; the write is remembered for it.
        #expect(fixture.store.heal.missedCount == 1)
    }

    @Test("commits refused by more drives than parity allows fail the write and leave the old version")
    func failedCommits() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.dir.remove() }
        try await fixture.put("k", pattern(5_000))
        for drive in fixture.drives.prefix(2) { drive.set(.error(.io), on: .commit) }
        do {
            try await fixture.put("k", pattern(6_000, seed: 4))
            Issue.record("a write that only 2 of 4 drives took was acknowledged")
        } catch let error as ObjectLayerError {
            #expect(error.code == .insufficientDrives)
        }
        for drive in fixture.drives { drive.clearAll() }
        #expect(try await fixture.get("k") == pattern(5_000))
    }

    @Test("a write whose answers were lost, and that may have reached a write quorum, is asked again and never undone")
    func lostAnswers() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.dir.remove() }
        try await fixture.put("k", pattern(5_000))
        // Two drives of four take the overwrite, but their answers are lost (twice: the write asks
        // again). Readers serve what three drives hold, so the write cannot be put back: it is
        // left for healing, and its writer answers 503 (it may have happened).
        for drive in fixture.drives.prefix(2) { drive.set(.lostAnswer, on: .commit) }
        let data = pattern(6_000, seed: 4)
        do {
            try await fixture.put("k", data)
            Issue.record("a write that 2 of 4 drives confirmed was acknowledged")
        } catch let error as ObjectLayerError {
            #expect(error.code == .insufficientDrives && error.mayHaveTakenEffect)
        }
        #expect(fixture.drives[0].callCount(.commit) == 3, "the first write, the overwrite, and once more")
        for drive in fixture.drives { drive.clearAll() }
        // Every drive took it, and its shards were kept: it is the object now.
        for drive in fixture.drives { #expect(try await drive.base.readObject(bucket: "b", key: "k")?.size == 6_000) }
        #expect(try await fixture.get("k") == data)

        // Answers lost by one drive of four: asking again confirms the write (no error at all).
        fixture.drives[3].set(.lostAnswer, on: .commit)
        try await fixture.put("k", pattern(7_000, seed: 5))
        fixture.drives[3].clearAll()
        #expect(try await fixture.get("k") == pattern(7_000, seed: 5))

        // A delete marker whose answers were lost on three drives (one confirmed) is not removed
        // again either; asked once more, the drives confirm it.
        try await fixture.store.setBucketVersioning("b", .enabled)
        for drive in fixture.drives.dropFirst() { drive.set(.lostAnswer, on: .commit) }
        await #expect(throws: ObjectLayerError.self) {
            _ = try await fixture.store.deleteObject(bucket: "b", key: "k", versionID: nil)
        }
        for drive in fixture.drives { drive.clearAll() }
        for drive in fixture.drives { #expect(try await drive.base.readObject(bucket: "b", key: "k")?.isDeleteMarker == true) }
    }

    @Test("a read waits for a hanging drive only until the fault clears, then completes exactly")
    func hang() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.dir.remove() }
        try await fixture.put("k", pattern(3_000))
        fixture.drives[3].set(.hang, on: .readRecord)
        let read = Task { try await fixture.get("k") }
        try await Task.sleep(for: .milliseconds(200))
        fixture.drives[3].clearAll()
        #expect(try await read.value == pattern(3_000))
    }
}
