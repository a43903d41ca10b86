import NIOCore
import ObjectLayer
import Synchronization
import StowageCore
import StowageTesting
import Testing

/// The inline-object cache never holds a version older than one whose write has returned.
@Suite("Inline-object cache")
struct InlineObjectCacheTests {
    func record(_ key: String, _ body: String, stamp: Int64 = 1) -> ObjectRecord {
        ObjectRecord(
            bucket: "b", key: key, size: Int64(body.utf8.count), etag: body, lastModified: 0,
            inlineData: Array(body.utf8), versionStamp: stamp)
    }

    @Test("A read that started before a write cannot insert what it read; capacity is respected")
    func generationProtocol() {
        let cache = InlineObjectCache(capacity: 64 * 4000)
        let before = cache.generation
        cache.endWrite(bucket: "b", key: "k", tag: cache.beginLocalWrite(bucket: "b", key: "k"))
        cache.insert(record("k", "old"), bucketVersioned: false, readAt: before)
        #expect(cache.lookup(bucket: "b", key: "k") == nil)
        cache.insert(record("k", "new"), bucketVersioned: false, readAt: cache.generation)
        #expect(cache.lookup(bucket: "b", key: "k")?.record.etag == "new")
        #expect(cache.lookup(bucket: "b", key: "k")?.body.readableBytes == 3)
        // The bytes are held once (the body); the record handed to the full path carries them again.
        #expect(cache.lookup(bucket: "b", key: "k")?.record.inlineData == Array("new".utf8))
        #expect(cache.lookup(bucket: "b", key: "k")?.recordWithoutData.inlineData == nil)
        #expect(cache.statistics.bytes == 3 + 2 * 1 + InlineObjectCache.entryOverhead)
        // Keys are compared by their bytes: composed and decomposed "é" are two keys.
        cache.insert(record("\u{E9}", "composed"), bucketVersioned: false, readAt: cache.generation)
        #expect(cache.lookup(bucket: "b", key: "\u{E9}")?.record.etag == "composed")
        #expect(cache.lookup(bucket: "b", key: "e\u{301}") == nil)
        // An entry charged over capacity / 64 is not cached; the total stays under capacity, the
        // oldest entries going first, also when keys are inserted again and again.
        cache.insert(record("big", String(repeating: "x", count: 3000)), bucketVersioned: false, readAt: cache.generation)
        #expect(cache.lookup(bucket: "b", key: "big") == nil)
        for round in 0..<3 {
            for n in 0..<400 {
                cache.insert(record("k\(n)", String(repeating: "y", count: 100), stamp: Int64(round)), bucketVersioned: false,
                             readAt: cache.generation)
            }
        }
        #expect(cache.statistics.bytes <= 64 * 4000)
        #expect(cache.lookup(bucket: "b", key: "k399") != nil && cache.lookup(bucket: "b", key: "k0") == nil)
        cache.clear()
        #expect(cache.statistics.bytes == 0 && cache.lookup(bucket: "b", key: "k399") == nil)
    }

    @Test("Concurrent writers and readers of one key: a read never returns a version older than the last acknowledged write")
    func readsFollowWrites() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let (store, _) = try await TestStores.store(roots: [dir.path + "/d0"], pool: TestThreadPool.shared)
        try await store.createBucket("b", region: "us-east-1")
        let acknowledged = AcknowledgedCounter()
        let reads = AcknowledgedCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for n in 1...200 {
                    let bytes = Array((String(repeating: "0", count: 6 - String(n).count) + String(n)).utf8)
                    _ = try await store.putObject(
                        bucket: "b", key: "k", body: Pieces(data: bytes, piece: 6), size: 6, options: ObjectWriteOptions())
                    acknowledged.set(n)
                }
            }
            for _ in 0..<3 {
                group.addTask {
                    while acknowledged.value < 200 {
                        // Cache hits do not suspend; yield so that the writer gets a thread.
                        await Task.yield()
                        let floor = acknowledged.value
                        let record: ObjectRecord
                        do {
                            record = try await store.headObject(bucket: "b", key: "k")
                        } catch {
                            // Only before the first write is acknowledged may the key be missing.
                            #expect(floor == 0, "read failed after write \(floor) was acknowledged: \(error)")
                            continue
                        }
                        reads.increment()
                        let seen = Int(String(decoding: record.inlineData ?? [], as: UTF8.self)) ?? -1
                        #expect(seen >= floor, "read \(seen) after write \(floor) was acknowledged")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(reads.value > 0, "the readers never read the key")
        _ = try await store.deleteObject(bucket: "b", key: "k", versionID: nil)
        await #expect(throws: ObjectLayerError.self) { _ = try await store.headObject(bucket: "b", key: "k") }
        #expect(store.inlineCache.lookup(bucket: "b", key: "k") == nil)
    }

    @Test("A write's mark keeps its key neither served nor cached from its begin to its own end; clearing keeps marks; floors end old writes")
    func writeMarks() {
        let cache = InlineObjectCache(capacity: 64 * 4000)
        let w1 = InlineObjectCache.WriteTag(writer: "n2:1", incarnation: 7, id: 1)
        let w2 = InlineObjectCache.WriteTag(writer: "n2:1", incarnation: 7, id: 2)
        let other = InlineObjectCache.WriteTag(writer: "n3:1", incarnation: 9, id: 1)
        cache.insert(record("k", "old"), bucketVersioned: false, readAt: cache.generation)
        let before = cache.generation
        cache.beginWrite(bucket: "b", key: "k", tag: w1)
        #expect(cache.lookup(bucket: "b", key: "k") == nil)
        // A read after the begin saw the old or the new version: it is not cached either way.
        cache.insert(record("k", "old"), bucketVersioned: false, readAt: cache.generation)
        #expect(cache.peek(bucket: "b", key: "k") == nil)
        #expect(cache.pendingKeys == 1)
        cache.endWrite(bucket: "b", key: "k", tag: w1)
        #expect(cache.pendingKeys == 0)
        // A read that began before the end cannot insert; one after it can.
        cache.insert(record("k", "old"), bucketVersioned: false, readAt: before)
        #expect(cache.peek(bucket: "b", key: "k") == nil)
        cache.insert(record("k", "new"), bucketVersioned: false, readAt: cache.generation)
        #expect(cache.lookup(bucket: "b", key: "k")?.record.etag == "new")
        // A late end of an older write does not end a newer write's mark.
        cache.beginWrite(bucket: "b", key: "k", tag: w2)
        cache.endWrite(bucket: "b", key: "k", tag: w1)
        cache.insert(record("k", "x"), bucketVersioned: false, readAt: cache.generation)
        #expect(cache.peek(bucket: "b", key: "k") == nil)
        // Clearing forgets entries but keeps the marks of writes in progress.
        cache.beginWrite(bucket: "b", key: "j", tag: other)
        cache.insert(record("o", "o"), bucketVersioned: false, readAt: cache.generation)
        cache.clear()
        #expect(cache.peek(bucket: "b", key: "o") == nil)
        #expect(cache.pendingKeys == 2)
        // The writer's floor passed write 2 (its end was lost): the mark goes, and a read that
        // began before cannot insert.
        let beforeFloor = cache.generation
        cache.endWrites(of: "n2:1", incarnation: 7, below: 2)
        #expect(cache.pendingKeys == 2, "write 2 is not below floor 2")
        cache.endWrites(of: "n2:1", incarnation: 7, below: 3)
        #expect(cache.pendingKeys == 1)
        cache.insert(record("k", "x"), bucketVersioned: false, readAt: beforeFloor)
        #expect(cache.peek(bucket: "b", key: "k") == nil)
        cache.insert(record("k", "y"), bucketVersioned: false, readAt: cache.generation)
        #expect(cache.peek(bucket: "b", key: "k")?.record.etag == "y")
        // Another incarnation of a writer: its earlier marks all go.
        cache.endWrites(of: "n3:1", incarnation: 10, below: 0)
        #expect(cache.pendingKeys == 0)
        // This node's own writes mark their key too.
        let local = cache.beginLocalWrite(bucket: "b", key: "y")
        cache.insert(record("y", "y"), bucketVersioned: false, readAt: cache.generation)
        #expect(cache.peek(bucket: "b", key: "y") == nil)
        cache.endWrite(bucket: "b", key: "y", tag: local)
        cache.insert(record("y", "y"), bucketVersioned: false, readAt: cache.generation)
        #expect(cache.peek(bucket: "b", key: "y")?.record.etag == "y")
    }

    @Test("A cluster node's cache answers only until the deadline its leases allow")
    func servingDeadline() {
        let cache = InlineObjectCache(capacity: 64 * 4000, serving: false)
        cache.insert(record("k", "v"), bucketVersioned: false, readAt: cache.generation)
        #expect(!cache.isServing)
        #expect(cache.lookup(bucket: "b", key: "k") == nil)
        cache.serve(until: .now() + .seconds(60))
        #expect(cache.lookup(bucket: "b", key: "k")?.record.etag == "v")
        cache.serve(until: .now() - .milliseconds(1))
        #expect(cache.lookup(bucket: "b", key: "k") == nil)
        #expect(InlineObjectCache(capacity: 100).isServing)
    }
}

/// The last acknowledged write's number, shared between tasks.
final class AcknowledgedCounter: Sendable {
    private let current = Atomic<Int>(0)
    var value: Int { current.load(ordering: .sequentiallyConsistent) }
    func set(_ value: Int) { current.store(value, ordering: .sequentiallyConsistent) }
    func increment() { current.wrappingAdd(1, ordering: .sequentiallyConsistent) }
}
