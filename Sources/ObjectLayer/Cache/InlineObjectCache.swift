package import NIOCore
package import StowageCore
internal import Synchronization

/// Current versions of small objects (those stored inline in their record), kept in memory so a
/// GET of one needs no index read: the S3 front answers them on the event loop (`FastGetHandler`).
///
/// Coherence: every change to a key's versions goes through `ObjectStore` on this node, which
/// calls `invalidate` once the change is committed or abandoned (and `clear` when a bucket's
/// versioning changes or a bucket is deleted). A reader captures `generation` before its quorum
/// read and inserts only if no invalidation happened since, so a record read before a write can
/// never be cached after it. This holds for one node; a node that shares drives with others must
/// not use the cache (capacity 0).
///
/// Bounded by `capacity` bytes, charged per entry for its data (held once, ready to send), key,
/// metadata and a fixed overhead; when full, the oldest entries go first.
package final class InlineObjectCache: Sendable {
    /// One cached version. A class, so a lookup hands out a reference instead of copying the
    /// record's fields; immutable, so a reader's entry never changes under it (`attach` replaces
    /// the entry instead).
    package final class Entry: Sendable {
        /// The cached version without its bytes (`inlineData` is nil; they are `body`).
        package let recordWithoutData: ObjectRecord
        /// Whether the bucket has versioning configured (GET then sends `x-amz-version-id: null`
        /// for a null version).
        package let bucketVersioned: Bool
        /// The object's bytes, ready to send (a copy shares the storage).
        package let body: ByteBuffer
        /// What the front derived from this entry once (its response headers), opaque here.
        package let attachment: (any Sendable)?
        /// Identifies this insertion: `attach` only reaches the entry it was computed from.
        package let serial: UInt64
        fileprivate let cost: Int

        fileprivate init(
            recordWithoutData: ObjectRecord, bucketVersioned: Bool, body: ByteBuffer, attachment: (any Sendable)?,
            serial: UInt64, cost: Int
        ) {
            self.recordWithoutData = recordWithoutData
            self.bucketVersioned = bucketVersioned
            self.body = body
            self.attachment = attachment
            self.serial = serial
            self.cost = cost
        }

        /// The cached version with its bytes, as the drives hold it (copied out of `body`).
        package var record: ObjectRecord {
            var record = recordWithoutData
            record.inlineData = Array(body.readableBytesView)
            return record
        }
    }

    private struct State {
        var entries: [CacheKey: Entry] = [:]
        var bytes = 0
        var nextSerial: UInt64 = 0
        /// Keys in insertion order from `evictFrom` on (some may have gone or been reinserted).
        var order: [CacheKey] = []
        var evictFrom = 0
    }

    /// A bucket and key, equal only when their bytes are: keys that Swift's String equality
    /// merges (composed and decomposed "é") are different S3 keys.
    private struct CacheKey: Hashable {
        var bucket: String
        var key: String

        static func == (a: CacheKey, b: CacheKey) -> Bool {
            a.bucket.utf8.elementsEqual(b.bucket.utf8) && a.key.utf8.elementsEqual(b.key.utf8)
        }

        func hash(into hasher: inout Hasher) {
            Self.combine(bucket, into: &hasher)
            Self.combine(key, into: &hasher)
        }

        private static func combine(_ text: String, into hasher: inout Hasher) {
            hasher.combine(text.utf8.count)
            var text = text
            text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    /// Bytes charged per entry besides its data, key and metadata (dictionary slot, record fields,
    /// the front's rendered headers).
    package static let entryOverhead = 1024

    private let state = Mutex(State())
    private let counter = Atomic<UInt64>(0)
    private let served = Atomic<Int>(0)
    package let capacity: Int

    package init(capacity: Int) {
        self.capacity = max(capacity, 0)
    }

    /// Counts a response sent from the cache without the full request path (for metrics).
    package func countServed() { served.wrappingAdd(1, ordering: .relaxed) }

    /// Responses sent from the cache, and the bytes charged for what it holds.
    package var statistics: (served: Int, bytes: Int) {
        (served.load(ordering: .relaxed), state.withLock { $0.bytes })
    }

    /// Changes whenever any entry may have become stale.
    package var generation: UInt64 { counter.load(ordering: .acquiring) }

    package func lookup(bucket: String, key: String) -> Entry? {
        guard capacity > 0 else { return nil }
        return state.withLock { $0.entries[CacheKey(bucket: bucket, key: key)] }
    }

    /// Caches `record` (the key's current version, as read by quorum or just written) unless an
    /// invalidation happened after `generation` was read, or it is not a small current object.
    package func insert(_ record: ObjectRecord, bucketVersioned: Bool, readAt generation: UInt64) {
        guard capacity > 0, let data = record.inlineData, !record.isDeleteMarker else { return }
        // Both maps in full (a merge would build a dictionary and drop names present in both).
        let metadata = [record.userMetadata, record.systemMetadata].reduce(0) { total, fields in
            fields.reduce(total) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        }
        let cost = data.count + 2 * record.key.utf8.count + metadata + Self.entryOverhead
        guard cost <= capacity / 64 else { return }
        let body = ByteBuffer(bytes: data)
        var recordWithoutData = record
        recordWithoutData.inlineData = nil
        state.withLock { state in
            // Checked under the lock that `invalidate` also takes, so no stale insert slips in.
            guard counter.load(ordering: .acquiring) == generation else { return }
            let key = CacheKey(bucket: record.bucket, key: record.key)
            if let old = state.entries.removeValue(forKey: key) { state.bytes -= old.cost }
            while state.bytes + cost > capacity, state.evictFrom < state.order.count {
                let victim = state.order[state.evictFrom]
                state.evictFrom += 1
                if let gone = state.entries.removeValue(forKey: victim) { state.bytes -= gone.cost }
            }
            if state.order.count - state.evictFrom > 2 * state.entries.count + 1024 {
                // Reinsertions left many stale keys behind: rebuild the order from the entries.
                state.order = state.entries.sorted { $0.value.serial < $1.value.serial }.map(\.key)
                state.evictFrom = 0
            } else if state.evictFrom > 1024 && state.evictFrom * 2 > state.order.count {
                state.order.removeFirst(state.evictFrom)
                state.evictFrom = 0
            }
            state.nextSerial += 1
            state.entries[key] = Entry(
                recordWithoutData: recordWithoutData, bucketVersioned: bucketVersioned, body: body, attachment: nil, serial: state.nextSerial,
                cost: cost)
            state.order.append(key)
            state.bytes += cost
        }
    }

    /// Keeps `attachment` with the entry of `entry`'s key, if it is still that very insertion.
    package func attach(_ attachment: any Sendable, to entry: Entry) {
        state.withLock { state in
            let key = CacheKey(bucket: entry.recordWithoutData.bucket, key: entry.recordWithoutData.key)
            guard let current = state.entries[key], current.serial == entry.serial else { return }
            state.entries[key] = Entry(
                recordWithoutData: current.recordWithoutData, bucketVersioned: current.bucketVersioned,
                body: current.body, attachment: attachment, serial: current.serial, cost: current.cost)
        }
    }

    /// Forgets `key` of `bucket`; readers that started before cannot cache what they read.
    package func invalidate(bucket: String, key: String) {
        guard capacity > 0 else { return }
        state.withLock { state in
            counter.wrappingAdd(1, ordering: .releasing)
            if let old = state.entries.removeValue(forKey: CacheKey(bucket: bucket, key: key)) {
                state.bytes -= old.cost
            }
        }
    }

    /// Forgets everything (a bucket's versioning changed, or a bucket was deleted).
    package func clear() {
        state.withLock { state in
            counter.wrappingAdd(1, ordering: .releasing)
            let serial = state.nextSerial
            state = State()
            state.nextSerial = serial
        }
    }
}
