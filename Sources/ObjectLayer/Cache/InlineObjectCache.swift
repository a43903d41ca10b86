package import NIOCore
package import StowageCore
internal import Synchronization

/// Current versions of small objects (those stored inline in their record), kept in memory so a
/// GET of one needs no index read: the S3 front answers them on the event loop (`FastGetHandler`).
///
/// Coherence: every change to a key's versions goes through `ObjectStore` on this node, which
/// calls `invalidate` once the change is committed or abandoned (and `clear` when a bucket's
/// versioning changes). A reader captures `generation` before its quorum read and inserts only if
/// no invalidation happened since, so a record read before a write can never be cached after it.
/// This holds for one node; a node that shares drives with others must not use the cache.
///
/// Bounded by `capacity` bytes of object data; when full, arbitrary entries are dropped.
package final class InlineObjectCache: Sendable {
    package struct Entry: Sendable {
        package var record: ObjectRecord
        /// Whether the bucket has versioning configured (GET then sends `x-amz-version-id: null`
        /// for a null version).
        package var bucketVersioned: Bool
        /// The object's bytes, ready to send (a copy shares the storage).
        package var body: ByteBuffer
        /// What the front derived from the record once (its response headers), opaque here.
        package var attachment: (any Sendable)?
    }

    private struct State {
        var entries: [CacheKey: Entry] = [:]
        var bytes = 0
    }

    private struct CacheKey: Hashable {
        var bucket: String
        /// The key's bytes: keys that Swift's String equality merges are different S3 keys.
        var key: [UInt8]
    }

    private let state = Mutex(State())
    private let counter = Atomic<UInt64>(0)
    private let served = Atomic<Int>(0)
    package let capacity: Int

    package init(capacity: Int) {
        self.capacity = capacity
    }

    /// Counts a response sent from the cache without the full request path (for metrics).
    package func countServed() { served.wrappingAdd(1, ordering: .relaxed) }

    /// Responses sent from the cache, and the object bytes it holds.
    package var statistics: (served: Int, bytes: Int) {
        (served.load(ordering: .relaxed), state.withLock { $0.bytes })
    }

    /// Changes whenever any entry may have become stale.
    package var generation: UInt64 { counter.load(ordering: .acquiring) }

    package func lookup(bucket: String, key: String) -> Entry? {
        guard capacity > 0 else { return nil }
        return state.withLock { $0.entries[CacheKey(bucket: bucket, key: Array(key.utf8))] }
    }

    /// Caches `record` (the key's current version, as read by quorum) unless an invalidation
    /// happened after `generation` was read, or it is not a small current object.
    package func insert(_ record: ObjectRecord, bucketVersioned: Bool, readAt generation: UInt64) {
        guard capacity > 0, let data = record.inlineData, !record.isDeleteMarker, data.count <= capacity / 64 else { return }
        state.withLock { state in
            // Checked under the lock that `invalidate` also takes, so no stale insert slips in.
            guard counter.load(ordering: .acquiring) == generation else { return }
            let key = CacheKey(bucket: record.bucket, key: Array(record.key.utf8))
            if let old = state.entries[key] { state.bytes -= old.record.inlineData?.count ?? 0 }
            while state.bytes + data.count > capacity, let victim = state.entries.first {
                state.bytes -= victim.value.record.inlineData?.count ?? 0
                state.entries.removeValue(forKey: victim.key)
            }
            state.entries[key] = Entry(
                record: record, bucketVersioned: bucketVersioned, body: ByteBuffer(bytes: data), attachment: nil)
            state.bytes += data.count
        }
    }

    /// Keeps `attachment` with the entry of `record`'s key, if that entry still holds `record`.
    package func attach(_ attachment: any Sendable, to record: ObjectRecord) {
        state.withLock { state in
            let key = CacheKey(bucket: record.bucket, key: Array(record.key.utf8))
            guard var entry = state.entries[key], entry.record.versionStamp == record.versionStamp,
                entry.record.versionID == record.versionID
            else { return }
            entry.attachment = attachment
            state.entries[key] = entry
        }
    }

    /// Forgets `key` of `bucket`; readers that started before cannot cache what they read.
    package func invalidate(bucket: String, key: String) {
        guard capacity > 0 else { return }
        state.withLock { state in
            counter.wrappingAdd(1, ordering: .releasing)
            if let old = state.entries.removeValue(forKey: CacheKey(bucket: bucket, key: Array(key.utf8))) {
                state.bytes -= old.record.inlineData?.count ?? 0
            }
        }
    }

    /// Forgets everything (a bucket's versioning changed, or a bucket was deleted).
    package func clear() {
        state.withLock { state in
            counter.wrappingAdd(1, ordering: .releasing)
            state = State()
        }
    }
}
