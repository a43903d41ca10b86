import Foundation
import NIOCore
import ObjectLayer
import StowageCore
import StowageTesting
import Testing

/// Healing covers every version of a key: noncurrent versions and delete markers are rewritten
/// on drives that missed them, their damaged shards rebuilt, and versions deleted while a drive
/// was away removed from it.
@Suite("Healing versions")
struct VersionHealingTests {
    func versions(_ fixture: ErasureFixture, on position: Int) async throws -> [String] {
        try await fixture.slots[position].drive!.listVersions(bucket: "b", prefix: "", after: nil, limit: 100)
            .map { "\($0.key) \($0.versionID) \($0.isDeleteMarker ? "marker" : $0.etag)" }
    }

    func read(_ fixture: ErasureFixture, _ key: String, _ versionID: String) async throws -> [UInt8] {
        let record = try await fixture.store.headObject(bucket: "b", key: key, versionID: versionID)
        var out: [UInt8] = []
        for try await buffer in fixture.store.objectBytes(record) { out += buffer.readableBytesView }
        return out
    }

    @Test("A drive that missed versions, markers and version deletes is healed to match, and damaged noncurrent shards are rebuilt")
    func noncurrentVersionsAreHealed() async throws {
        let fixture = try await ErasureFixture.make()
        defer { fixture.dir.remove() }
        try await fixture.store.setBucketVersioning("b", .enabled)
        var written: [(key: String, id: String, bytes: [UInt8])] = []
        func put(_ key: String, _ bytes: [UInt8]) async throws {
            let record = try await fixture.store.putObject(
                bucket: "b", key: key, body: Pieces(data: bytes, piece: 1500), size: Int64(bytes.count),
                options: ObjectWriteOptions())
            written.append((key, record.versionID, bytes))
        }
        try await put("k", pattern(50_001, seed: 1))
        try await put("k", pattern(10, seed: 2))
        try await put("gone", pattern(20_000, seed: 3))
        _ = try await fixture.store.deleteObject(bucket: "b", key: "gone", versionID: nil)
        // Drive 1 goes away; meanwhile a version is added, a marker is added, one version removed.
        let away = fixture.slots[1].drive!
        fixture.slots[1].setOffline(reason: "test")
        try await put("k", pattern(30_000, seed: 4))
        _ = try await fixture.store.deleteObject(bucket: "b", key: "k", versionID: nil)
        _ = try await fixture.store.deleteObject(bucket: "b", key: "k", versionID: written[1].id)
        written.remove(at: 1)
        fixture.slots[1].setOnline(away)
        // Noncurrent shards of drive 2 are damaged.
        for file in fixture.shardFiles(2) {
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: file))
            try handle.seek(toOffset: 100)
            try handle.write(contentsOf: Data([0xFF, 0x00, 0xAA]))
            try handle.close()
        }
        let expected = try await versions(fixture, on: 0)
        #expect(expected.count == 5)
        #expect(try await versions(fixture, on: 1) != expected)

        let report = try await fixture.healer.heal(bucket: "b", prefix: "")
        #expect(report.corruptionsFound == 3)
        for position in 1...3 { #expect(try await versions(fixture, on: position) == expected, "drive \(position)") }
        let again = try await fixture.healer.heal(bucket: "b", prefix: "")
        #expect(again.corruptionsFound == 0 && again.shardsHealed == 0 && again.recordsHealed == 0)
        // The healed drives alone (with one more) read every version exactly.
        fixture.slots[0].setOffline(reason: "test")
        fixture.slots[3].setOffline(reason: "test")
        for version in written { #expect(try await read(fixture, version.key, version.id) == version.bytes, "\(version.key) \(version.id)") }
    }

    @Test("A delete marker reaches a drive that missed the bucket's creation (the bucket is put there first, as for a PUT)")
    func deleteMarkerRepairsTheBucket() async throws {
        let fixture = try await ErasureFixture.make()
        defer { fixture.dir.remove() }
        let away = fixture.slots[1].drive!
        fixture.slots[1].setOffline(reason: "test")
        try await fixture.store.createBucket("c", region: "us-east-1")
        try await fixture.store.setBucketVersioning("c", .enabled)
        fixture.slots[1].setOnline(away)
        let outcome = try await fixture.store.deleteObject(bucket: "c", key: "k", versionID: nil)
        #expect(outcome.deleteMarker)
        for position in 0..<4 {
            let listed = try await fixture.slots[position].drive!.listVersions(bucket: "c", prefix: "", after: nil, limit: 10)
            #expect(listed.map(\.versionID) == [outcome.versionID].compactMap { $0 }, "drive \(position)")
            #expect(listed.allSatisfy { $0.isDeleteMarker }, "drive \(position)")
        }
    }

    @Test("A drive that missed a versioning change decides neither the listed configuration nor what healing writes")
    func staleBucketConfigurationIsOutvoted() async throws {
        let fixture = try await ErasureFixture.make()
        defer { fixture.dir.remove() }
        // The first drive listed is the one that misses the change.
        let away = fixture.slots[0].drive!
        fixture.slots[0].setOffline(reason: "test")
        try await fixture.store.setBucketVersioning("b", .suspended)
        fixture.slots[0].setOnline(away)
        #expect(try await away.bucket(named: "b")?.versioning == nil)
        #expect(try await fixture.store.listBuckets().map(\.versioning) == [.suspended])
        _ = try await fixture.healer.heal(bucket: nil, prefix: "")
        for slot in fixture.slots { #expect(try await slot.drive!.bucket(named: "b")?.versioning == .suspended) }
        // Suspended versioning: a delete leaves a null delete marker.
        _ = try await fixture.store.putObject(
            bucket: "b", key: "k", body: Pieces(data: [1, 2, 3], piece: 3), size: 3, options: ObjectWriteOptions())
        let deleted = try await fixture.store.deleteObject(bucket: "b", key: "k", versionID: nil)
        #expect(deleted.deleteMarker && deleted.versionID == "null")
    }
}
