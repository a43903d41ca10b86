import Foundation
import NIOCore
import NIOPosix
import Storage
import StowageCore
import StowageTesting
import Testing

@Suite("LocalDrive")
struct LocalDriveTests {
    static let pool = TestThreadPool.shared

    func bytes(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) }
    }

    func writeShard(_ drive: LocalDrive, _ data: [UInt8]) async throws -> ShardID {
        let writer = try await drive.createShard(id: .random(), blockSize: 1024)
        var offset = 0
        while offset < data.count {
            let n = min(700, data.count - offset)
            try await writer.write(ByteBuffer(bytes: data[offset..<(offset + n)]))
            offset += n
        }
        try await writer.finish()
        return writer.id
    }

    func record(_ key: String, shard: ShardID?, size: Int64) -> ObjectRecord {
        ObjectRecord(
            bucket: "b", key: key, size: size, etag: "e", lastModified: 0,
            parts: shard.map { [PartLayout(number: 1, size: size, etag: "e", shardID: $0)] } ?? [])
    }

    @Test("A shard reads back exactly, across block boundaries and at any range")
    func shardRoundTripsAcrossBlocks() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let drive = try await TestStores.openDrive(root: dir.path, pool: Self.pool)
        let data = bytes(2600)
        let id = try await writeShard(drive, data)
        try await drive.createBucket(BucketRecord(name: "b", created: 0, region: "us-east-1"))
        _ = try await drive.commitObject(record("k", shard: id, size: 2600))
        let reader = try await drive.openShard(id)
        #expect(reader.size == 2600)
        for (offset, length) in [(0, 2600), (0, 1), (1023, 2), (1000, 1100), (2048, 552), (2599, 1), (5, 0)] {
            let buffer = try await reader.read(offset: Int64(offset), length: length)
            #expect(Array(buffer.readableBytesView) == Array(data[offset..<(offset + length)]), "range \(offset)+\(length)")
        }
        await reader.close()
    }

    @Test("A flipped byte in a shard is detected on read, never returned")
    func corruptedShardBlockIsDetected() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let drive = try await TestStores.openDrive(root: dir.path, pool: Self.pool)
        try await drive.createBucket(BucketRecord(name: "b", created: 0, region: "us-east-1"))
        let id = try await writeShard(drive, bytes(3000))
        _ = try await drive.commitObject(record("k", shard: id, size: 3000))
        let path = dir.path + "/shards/" + id.value.prefix(2) + "/" + id.value
        var file = try Data(contentsOf: URL(fileURLWithPath: path))
        file[16 + 1028 + 10] ^= 0xFF  // a byte in block 1
        try file.write(to: URL(fileURLWithPath: path))
        let reader = try await drive.openShard(id)
        let first = try await reader.read(offset: 0, length: 1024)
        #expect(first.readableBytes == 1024)
        await #expect(throws: DriveError.self) { _ = try await reader.read(offset: 1024, length: 10) }
    }

    @Test("A truncated shard file is reported as corrupt")
    func truncatedShardIsCorrupt() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let drive = try await TestStores.openDrive(root: dir.path, pool: Self.pool)
        try await drive.createBucket(BucketRecord(name: "b", created: 0, region: "us-east-1"))
        let id = try await writeShard(drive, bytes(3000))
        _ = try await drive.commitObject(record("k", shard: id, size: 3000))
        let path = dir.path + "/shards/" + id.value.prefix(2) + "/" + id.value
        #expect(truncate(path, 16 + 1028 + 2) == 0)
        await #expect(throws: DriveError.self) { _ = try await drive.openShard(id) }
    }

    @Test("Staged shards that no commit named are gone after a restart")
    func uncommittedShardsAreRemovedAtStart() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        do {
            let drive = try await TestStores.openDrive(root: dir.path, pool: Self.pool)
            _ = try await writeShard(drive, bytes(5000))
            #expect(dir.files(in: "tmp").count == 1)
        }
        _ = try await TestStores.openDrive(root: dir.path, pool: Self.pool)
        #expect(dir.files(in: "tmp").isEmpty)
        #expect(dir.files(in: "shards").isEmpty)
    }

    @Test("Replacing and deleting an object frees its shard files")
    func replacedShardsAreFreed() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let drive = try await TestStores.openDrive(root: dir.path, pool: Self.pool)
        try await drive.createBucket(BucketRecord(name: "b", created: 0, region: "us-east-1"))
        let first = try await writeShard(drive, bytes(100))
        _ = try await drive.commitObject(record("k", shard: first, size: 100))
        #expect(dir.files(in: "shards").map { String($0.suffix(32)) } == [first.value])
        let second = try await writeShard(drive, bytes(200))
        let previous = try await drive.commitObject(record("k", shard: second, size: 200))
        #expect(previous?.shardIDs == [first])
        #expect(dir.files(in: "shards").map { String($0.suffix(32)) } == [second.value])
        _ = try await drive.deleteVersion(bucket: "b", key: "k", versionID: "null")
        #expect(dir.files(in: "shards").isEmpty)
        #expect(try await drive.readObject(bucket: "b", key: "k") == nil)
    }

    @Test("Objects survive a restart, and keys list in UTF-8 binary order")
    func objectsPersistAndListInBinaryOrder() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let keys = ["a/b/c", "a/b", "a/b/", "Zebra", "é", "😀", "a b", "../x", "a//b", "%41"]
        do {
            let drive = try await TestStores.openDrive(root: dir.path, pool: Self.pool)
            try await drive.createBucket(BucketRecord(name: "b", created: 0, region: "us-east-1"))
            for key in keys { _ = try await drive.commitObject(record(key, shard: nil, size: 0)) }
        }
        let drive = try await TestStores.openDrive(root: dir.path, pool: Self.pool)
        let listed = try await drive.listObjects(bucket: "b", prefix: "", after: nil, inclusive: false, limit: 100).map(\.key)
        let expected = keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        #expect(listed == expected)
        let underA = try await drive.listObjects(bucket: "b", prefix: "a/", after: nil, inclusive: false, limit: 100).map(\.key)
        #expect(underA == ["a//b", "a/b", "a/b/", "a/b/c"])
        let afterAB = try await drive.listObjects(bucket: "b", prefix: "a/", after: Array("a/b".utf8), inclusive: false, limit: 100).map(\.key)
        #expect(afterAB == ["a/b/", "a/b/c"])
    }

    @Test("A bucket with objects or uploads cannot be deleted")
    func nonEmptyBucketIsNotDeleted() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let drive = try await TestStores.openDrive(root: dir.path, pool: Self.pool)
        try await drive.createBucket(BucketRecord(name: "b", created: 0, region: "us-east-1"))
        _ = try await drive.commitObject(record("k", shard: nil, size: 0))
        await #expect(throws: DriveError.self) { try await drive.deleteBucket(named: "b") }
        _ = try await drive.deleteVersion(bucket: "b", key: "k", versionID: "null")
        try await drive.createUpload(UploadRecord(
            uploadID: "u1", bucket: "b", key: "k", initiated: 0, systemMetadata: [:], userMetadata: [:],
            checksumAlgorithm: nil, checksumType: nil, storageClass: "STANDARD"))
        await #expect(throws: DriveError.self) { try await drive.deleteBucket(named: "b") }
        try await drive.abortUpload(uploadID: "u1")
        try await drive.deleteBucket(named: "b")
        #expect(try await drive.listBuckets().isEmpty)
    }

    @Test("Concurrent writes share commits, and a write that fails inside a group leaves no trace")
    func groupCommitIsolatesFailures() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let drive = try await TestStores.openDrive(root: dir.path, pool: Self.pool)
        try await drive.createBucket(BucketRecord(name: "b", created: 0, region: "us-east-1"))
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for i in 0..<200 {
                group.addTask {
                    var r = record("k\(i)", shard: nil, size: 0)
                    // Every fifth write names a bucket that does not exist and must fail alone.
                    if i % 5 == 0 { r.bucket = "missing" }
                    do {
                        _ = try await drive.commitObject(r)
                        return (i, true)
                    } catch {
                        return (i, false)
                    }
                }
            }
            var outcomes: [Int: Bool] = [:]
            for await (i, ok) in group { outcomes[i] = ok }
            return outcomes
        }
        for i in 0..<200 { #expect(outcomes[i] == (i % 5 != 0), "write \(i)") }
        let listed = try await drive.listObjects(bucket: "b", prefix: "", after: nil, inclusive: false, limit: 1000)
        #expect(listed.count == 160)
        #expect(try await drive.listObjects(bucket: "missing", prefix: "", after: nil, inclusive: false, limit: 10).isEmpty)
    }
}
