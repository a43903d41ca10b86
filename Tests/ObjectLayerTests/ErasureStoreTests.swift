import Foundation
import Logging
import NIOCore
import ObjectLayer
import Storage
import StowageCore
import StowageTesting
import Testing

/// An object store over 4 real drives (2 data + 2 parity, 4 KiB blocks) in temporary folders.
struct ErasureFixture {
    let dir: TemporaryDirectory
    let store: ObjectStore
    let slots: [DriveSlot]
    let healer: Healer

    static func make(drives: Int = 4, parity: Int? = nil) async throws -> ErasureFixture {
        let dir = TemporaryDirectory()
        let roots = (0..<drives).map { "\(dir.path)/d\($0)" }
        let (store, slots) = try await TestStores.store(
            roots: roots, pool: TestThreadPool.shared, parity: parity, blockSize: 4096, inlineThreshold: 1000)
        let healer = Healer(store: store, logger: Logger(label: "test")) { _ in .offline(reason: "test") }
        try await store.createBucket("b", region: "us-east-1")
        return ErasureFixture(dir: dir, store: store, slots: slots, healer: healer)
    }

    func root(_ position: Int) -> String { slots[position].location }

    /// Committed shard files on the drive at `position`.
    func shardFiles(_ position: Int) -> [String] {
        dir.files(in: "d\(position)/shards").map { root(position) + "/shards/" + $0 }
    }

    func put(_ key: String, _ data: [UInt8]) async throws {
        _ = try await store.putObject(
            bucket: "b", key: key, body: Pieces(data: data, piece: 1500), size: Int64(data.count), options: ObjectWriteOptions())
    }

    func get(_ key: String, range: ClosedRange<Int64>? = nil) async throws -> [UInt8] {
        let record = try await store.headObject(bucket: "b", key: key)
        var out: [UInt8] = []
        for try await buffer in store.objectBytes(record, range: range) { out += buffer.readableBytesView }
        return out
    }
}

func pattern(_ count: Int, seed: Int = 3) -> [UInt8] {
    var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
}

@Suite("Erasure-coded object store")
struct ErasureStoreTests {
    static let sizes = [0, 1, 999, 1000, 1001, 4095, 4096, 4097, 20_000, 50_001]

    @Test("Objects of every size round trip over 2+2, whole and by range")
    func roundTrip() async throws {
        let fixture = try await ErasureFixture.make()
        defer { fixture.dir.remove() }
        for size in Self.sizes {
            let data = pattern(size, seed: size)
            try await fixture.put("k\(size)", data)
            #expect(try await fixture.get("k\(size)") == data, "size \(size)")
            if size > 10 {
                let range: ClosedRange<Int64> = 3...Int64(size - 2)
                #expect(try await fixture.get("k\(size)", range: range) == Array(data[3...(size - 2)]), "range of \(size)")
            }
        }
        // Each shard holds half the data (rounded up per block), on every drive.
        let record = try await fixture.store.headObject(bucket: "b", key: "k50001")
        #expect(record.erasure?.dataShards == 2 && record.erasure?.parityShards == 2)
        for position in 0..<4 { #expect(fixture.shardFiles(position).count == 6) }
    }

    @Test("Losing the shards of M drives still returns the original bytes, and healing restores them")
    func missingShardsAreRebuilt() async throws {
        let fixture = try await ErasureFixture.make()
        defer { fixture.dir.remove() }
        for size in Self.sizes { try await fixture.put("k\(size)", pattern(size, seed: size)) }
        for position in [0, 3] { for file in fixture.shardFiles(position) { try FileManager.default.removeItem(atPath: file) } }
        for size in Self.sizes { #expect(try await fixture.get("k\(size)") == pattern(size, seed: size)) }
        let report = try await fixture.healer.heal(bucket: nil, prefix: "")
        #expect(report.objectsScanned == Self.sizes.count)
        #expect(report.shardsHealed == 2 * 6)
        #expect(report.failures.isEmpty)
        for position in 0..<4 { #expect(fixture.shardFiles(position).count == 6) }
        // With the healed drives alone plus one more, every object still reads.
        fixture.slots[1].setOffline(reason: "test")
        fixture.slots[2].setOffline(reason: "test")
        for size in Self.sizes { #expect(try await fixture.get("k\(size)") == pattern(size, seed: size)) }
    }

    @Test("Flipped bytes in M drives' shards are detected, never served, and healed")
    func corruptShardsAreDetected() async throws {
        let fixture = try await ErasureFixture.make()
        defer { fixture.dir.remove() }
        let data = pattern(50_001)
        try await fixture.put("big", data)
        for position in [1, 2] {
            for file in fixture.shardFiles(position) {
                let handle = try FileHandle(forUpdating: URL(fileURLWithPath: file))
                try handle.seek(toOffset: 100)
                try handle.write(contentsOf: Data([0xFF, 0x00, 0xAA]))
                try handle.close()
            }
        }
        #expect(try await fixture.get("big") == data)
        let report = try await fixture.healer.heal(bucket: "b", prefix: "")
        #expect(report.corruptionsFound == 2)
        #expect(report.shardsHealed == 2)
        let again = try await fixture.healer.heal(bucket: "b", prefix: "")
        #expect(again.corruptionsFound == 0 && again.shardsHealed == 0)
        fixture.slots[0].setOffline(reason: "test")
        fixture.slots[3].setOffline(reason: "test")
        #expect(try await fixture.get("big") == data)
    }

    @Test("Past the parity limit a read fails clearly instead of returning wrong bytes")
    func tooManyLossesFail() async throws {
        let fixture = try await ErasureFixture.make()
        defer { fixture.dir.remove() }
        try await fixture.put("big", pattern(20_000))
        for position in [0, 1, 2] { for file in fixture.shardFiles(position) { try FileManager.default.removeItem(atPath: file) } }
        await #expect(throws: ObjectLayerError.self) { _ = try await fixture.get("big") }
    }

    @Test("A write without write quorum fails and leaves nothing behind")
    func writeQuorum() async throws {
        let fixture = try await ErasureFixture.make()
        defer { fixture.dir.remove() }
        fixture.slots[0].setOffline(reason: "test")
        fixture.slots[1].setOffline(reason: "test")
        for size in [10, 20_000] {
            do {
                try await fixture.put("k", pattern(size))
                Issue.record("write of \(size) bytes succeeded with 2 of 4 drives")
            } catch let error as ObjectLayerError {
                #expect(error.code == .insufficientDrives)
            }
        }
        for position in [2, 3] {
            #expect(fixture.shardFiles(position).isEmpty)
            #expect(fixture.dir.files(in: "d\(position)/tmp").isEmpty)
            let drive = try #require(fixture.slots[position].drive)
            #expect(try await drive.readObject(bucket: "b", key: "k") == nil)
        }
        // With three drives (K + 1 when K = M) the write goes through.
        let drive0 = try await TestStores.openDrive(root: fixture.root(0), pool: TestThreadPool.shared, position: 0, drivesPerSet: 4)
        fixture.slots[0].setOnline(drive0)
        try await fixture.put("k", pattern(20_000))
        #expect(try await fixture.get("k") == pattern(20_000))
    }

    @Test("A drive that missed an overwrite and a delete is outvoted, listed correctly and healed")
    func staleDriveIsOutvoted() async throws {
        let fixture = try await ErasureFixture.make()
        defer { fixture.dir.remove() }
        try await fixture.put("a", pattern(3000, seed: 1))
        try await fixture.put("gone", pattern(10, seed: 2))
        let drive3 = try #require(fixture.slots[3].drive)
        fixture.slots[3].setOffline(reason: "test")
        try await fixture.put("a", pattern(5000, seed: 9))
        _ = try await fixture.store.deleteObject(bucket: "b", key: "gone", versionID: nil)
        fixture.slots[3].setOnline(drive3)
        #expect(try await fixture.get("a") == pattern(5000, seed: 9))
        let page = try await fixture.store.listObjects(bucket: "b", prefix: "", delimiter: nil, after: nil, maxKeys: 10)
        #expect(page.objects.map(\.key) == ["a"])
        let report = try await fixture.healer.heal(bucket: nil, prefix: "")
        #expect(report.recordsHealed == 2)
        #expect(try await drive3.readObject(bucket: "b", key: "gone") == nil)
        #expect(try await drive3.readObject(bucket: "b", key: "a")?.size == 5000)
        // The stale drive now holds the new version's shard: readable with it and one other.
        fixture.slots[0].setOffline(reason: "test")
        fixture.slots[1].setOffline(reason: "test")
        #expect(try await fixture.get("a") == pattern(5000, seed: 9))
    }

    @Test("Multipart objects are erasure-coded per part and survive M lost drives")
    func multipart() async throws {
        let fixture = try await ErasureFixture.make(drives: 8)
        defer { fixture.dir.remove() }
        let store = fixture.store
        let upload = try await store.createMultipartUpload(bucket: "b", key: "mp", options: ObjectWriteOptions(), checksumAlgorithm: nil)
        var completed: [CompletedPart] = []
        var all: [UInt8] = []
        for number in 1...2 {
            let data = pattern(number == 1 ? 5 << 20 : 12_345, seed: number)
            all += data
            let part = try await store.uploadPart(
                bucket: "b", key: "mp", uploadID: upload.uploadID, partNumber: number, body: Pieces(data: data, piece: 65536),
                size: Int64(data.count), options: ObjectWriteOptions())
            completed.append(CompletedPart(number: number, etag: part.etag))
        }
        _ = try await store.completeMultipartUpload(bucket: "b", key: "mp", uploadID: upload.uploadID, parts: completed) { _, _ in [:] }
        for position in [0, 2, 5, 7] { for file in fixture.shardFiles(position) { try FileManager.default.removeItem(atPath: file) } }
        #expect(try await fixture.get("mp") == all)
        let report = try await fixture.healer.heal(bucket: "b", prefix: "m")
        #expect(report.shardsHealed == 4 * 2)
        for position in 0..<8 { #expect(fixture.shardFiles(position).count == 2) }
    }
}

@Suite("Erasure set plan")
struct ErasureSetPlanTests {
    @Test("Set sizes and default parity follow the drive count")
    func defaults() throws {
        let expectations: [(Int, Int, Int, Int)] = [
            (1, 1, 1, 0), (2, 1, 2, 1), (3, 1, 3, 1), (4, 1, 4, 2), (6, 1, 6, 3), (8, 1, 8, 4), (16, 1, 16, 4),
            (32, 2, 16, 4), (24, 2, 12, 4), (18, 2, 9, 4), (20, 2, 10, 4),
        ]
        for (drives, sets, perSet, parity) in expectations {
            let plan = try ErasureSetPlan.plan(driveCount: drives)
            #expect(plan.setCount == sets && plan.drivesPerSet == perSet && plan.parity == parity, "\(drives) drives")
        }
        #expect(throws: ErasureSetPlan.PlanError.self) { try ErasureSetPlan.plan(driveCount: 17) }
        #expect(throws: ErasureSetPlan.PlanError.self) { try ErasureSetPlan.plan(driveCount: 4, parity: 3) }
        #expect(try ErasureSetPlan.plan(driveCount: 8, parity: 2).parity == 2)
    }

    @Test("Placement spreads similar keys evenly over sets and drive rotations")
    func placementIsBalanced() {
        for sets in [2, 3, 5, 8] {
            var counts = [Int](repeating: 0, count: sets)
            for i in 0..<12_000 { counts[Int((Placement.hash(bucket: "b", key: "big-\(i)") >> 32) % UInt64(sets))] += 1 }
            let even = 12_000 / sets
            #expect(counts.allSatisfy { abs($0 - even) < even / 10 }, "\(sets) sets: \(counts)")
        }
        // Keys differing only in their last character still reach every set.
        let lastCharacter = Set((0..<10).map { (Placement.hash(bucket: "b", key: "big-\($0)") >> 32) % 2 })
        #expect(lastCharacter.count == 2)
    }
}

