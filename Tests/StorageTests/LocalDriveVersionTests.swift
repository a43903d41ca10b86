import Foundation
import NIOCore
import Storage
import StowageCore
import StowageTesting
import Testing

/// The version stack of a key on one drive: placement by stamp, the null version, delete
/// markers, removal by id, and ListObjectVersions order and cursors.
@Suite("LocalDrive versions")
struct LocalDriveVersionTests {
    static let pool = TestThreadPool.shared

    func version(_ key: String, _ id: String, stamp: Int64, marker: Bool = false, shard: ShardID? = nil) -> ObjectRecord {
        ObjectRecord(
            bucket: "b", key: key, versionID: id, size: marker ? 0 : 3, etag: marker ? "" : "e\(stamp)",
            lastModified: stamp / 1_000_000, inlineData: marker || shard != nil ? nil : [1, 2, 3],
            parts: shard.map { [PartLayout(number: 1, size: 3, etag: "e", shardID: $0)] } ?? [],
            versionStamp: stamp, isDeleteMarker: marker)
    }

    func open(_ dir: TemporaryDirectory) async throws -> LocalDrive {
        let drive = try await TestStores.openDrive(root: dir.path, pool: Self.pool)
        if try await drive.bucket(named: "b") == nil {
            try await drive.createBucket(BucketRecord(name: "b", created: 0, region: "us-east-1"))
        }
        return drive
    }

    func ids(_ records: [ObjectRecord]) -> [String] { records.map { "\($0.key):\($0.versionID)" } }

    @Test("The newest version is current whatever the order of commits; a delete marker on top hides the key")
    func placementByStamp() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let drive = try await open(dir)
        _ = try await drive.commitObject(version("k", "v2", stamp: 2_000))
        // An older version arriving later (healing, a slow replica) goes below, not on top.
        _ = try await drive.commitObject(version("k", "v1", stamp: 1_000))
        #expect(try await drive.readObject(bucket: "b", key: "k")?.versionID == "v2")
        #expect(try await drive.listObjects(bucket: "b", prefix: "", after: nil, inclusive: false, limit: 10).map(\.versionID) == ["v2"])
        _ = try await drive.commitObject(version("k", "m3", stamp: 3_000, marker: true))
        let latest = try await drive.readObject(bucket: "b", key: "k")
        #expect(latest?.versionID == "m3" && latest?.isDeleteMarker == true)
        #expect(try await drive.listObjects(bucket: "b", prefix: "", after: nil, inclusive: false, limit: 10).isEmpty)
        #expect(try await drive.readVersion(bucket: "b", key: "k", versionID: "v1")?.etag == "e1000")
        // Removing the marker makes v2 current again; removing v2 then makes v1 current.
        #expect(try await drive.deleteVersion(bucket: "b", key: "k", versionID: "m3")?.isDeleteMarker == true)
        #expect(try await drive.readObject(bucket: "b", key: "k")?.versionID == "v2")
        _ = try await drive.deleteVersion(bucket: "b", key: "k", versionID: "v2")
        #expect(try await drive.readObject(bucket: "b", key: "k")?.versionID == "v1")
        #expect(try await drive.deleteVersion(bucket: "b", key: "k", versionID: "gone") == nil)
    }

    @Test("A null version replaces the null version wherever it is in the stack, and frees its shards")
    func nullVersionIsReplaced() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let drive = try await open(dir)
        let writer = try await drive.createShard(id: .random(), blockSize: 1024)
        try await writer.write(ByteBuffer(bytes: [1, 2, 3]))
        try await writer.finish()
        _ = try await drive.commitObject(version("k", "null", stamp: 1_000, shard: writer.id))
        _ = try await drive.commitObject(version("k", "v2", stamp: 2_000))
        let replaced = try await drive.commitObject(version("k", "null", stamp: 3_000))
        #expect(replaced?.versionStamp == 1_000)
        let all = try await drive.listVersions(bucket: "b", prefix: "", after: nil, limit: 10)
        #expect(all.map(\.versionID) == ["null", "v2"])
        #expect(all.first?.versionStamp == 3_000)
        await #expect(throws: DriveError.self) { _ = try await drive.openShard(writer.id) }
    }

    @Test("ListVersions orders keys by bytes, newest first, and resumes after any cursor")
    func listingOrderAndCursors() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let drive = try await open(dir)
        var stamp: Int64 = 1_000
        for key in ["b", "a", "a/x", "c"] {
            for n in 1...3 {
                stamp += 1
                _ = try await drive.commitObject(version(key, "\(key)\(n)", stamp: stamp, marker: key == "c" && n == 3))
            }
        }
        let all = try await drive.listVersions(bucket: "b", prefix: "", after: nil, limit: 100)
        #expect(ids(all) == ["a:a3", "a:a2", "a:a1", "a/x:a/x3", "a/x:a/x2", "a/x:a/x1", "b:b3", "b:b2", "b:b1", "c:c3", "c:c2", "c:c1"])
        // Every cursor position, page sizes 1...5: pages join into the whole listing.
        for size in 1...5 {
            var joined: [ObjectRecord] = []
            var cursor: VersionCursor?
            while true {
                let page = try await drive.listVersions(bucket: "b", prefix: "", after: cursor, limit: size)
                joined += page
                guard page.count == size, let last = page.last else { break }
                cursor = VersionCursor(after: last)
            }
            #expect(ids(joined) == ids(all), "page size \(size)")
        }
        let afterKey = try await drive.listVersions(bucket: "b", prefix: "", after: VersionCursor(key: Array("a".utf8), position: .afterKey), limit: 2)
        #expect(ids(afterKey) == ["a/x:a/x3", "a/x:a/x2"])
        #expect(ids(try await drive.listVersions(bucket: "b", prefix: "a/", after: nil, limit: 10)) == ["a/x:a/x3", "a/x:a/x2", "a/x:a/x1"])
    }

    @Test("A bucket holding only noncurrent versions or delete markers is not empty; versions survive a restart")
    func versionsKeepBucketAndSurviveRestart() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        do {
            let drive = try await open(dir)
            _ = try await drive.commitObject(version("k", "v1", stamp: 1_000))
            _ = try await drive.commitObject(version("k", "m2", stamp: 2_000, marker: true))
            await #expect(throws: DriveError.self) { try await drive.deleteBucket(named: "b") }
        }
        let reopened = try await open(dir)
        #expect(ids(try await reopened.listVersions(bucket: "b", prefix: "", after: nil, limit: 10)) == ["k:m2", "k:v1"])
        _ = try await reopened.deleteVersion(bucket: "b", key: "k", versionID: "m2")
        _ = try await reopened.deleteVersion(bucket: "b", key: "k", versionID: "v1")
        try await reopened.deleteBucket(named: "b")
    }
}
