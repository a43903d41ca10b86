package import NIOCore
package import StowageCore
internal import Synchronization

/// Current versions of small objects (those stored inline in their record), kept in memory so a
/// GET of one needs no index read: the S3 front answers them on the event loop (`FastGetHandler`).
///
/// Coherence: every change to a key's versions goes through `ObjectStore` on this node, which
/// marks the key while the change commits (`beginLocalWrite`, then `endWrite` once it is
/// committed or abandoned) and calls `clear` when a bucket's versioning changes or a bucket is
/// deleted. A reader captures `generation` before its quorum read and inserts only if no mark or
/// clear happened since, so a record read before a write can never be cached after it.
///
/// In a cluster, other nodes change keys too: `CacheCoherence` (Cluster) tells this cache of
/// their writes (`beginWrite` before the commit, `endWrite` after; a key being written is
/// neither served nor cached) and opens it for serving only while every other node has promised
/// to tell it of its writes (`serve(until:)`); a node that missed one of them must `clear` before
/// serving again. This node's own writes mark their key the same way while they commit
/// (`beginLocalWrite`). One node serves without a deadline.
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
        /// Keys being written (by another node, or by this one while it commits): the writes
        /// that began and did not end. Such keys are neither served nor cached.
        var pending: [CacheKey: Set<WriteTag>] = [:]
    }

    /// One write of a key, as its writer names it: the node (empty for this one), the writer
    /// process's incarnation and a number it gives its writes in order.
    package struct WriteTag: Hashable, Sendable {
        package var writer: String
        package var incarnation: Int64
        package var id: Int64

        package init(writer: String, incarnation: Int64, id: Int64) {
            self.writer = writer
            self.incarnation = incarnation
            self.id = id
        }
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
    /// Lookups answer only before this instant (`NIODeadline.uptimeNanoseconds`); `.max` serves
    /// always (one node).
    private let servingUntil: Atomic<UInt64>
    /// Numbers this node's own writes (`beginLocalWrite`).
    private let localWrites = Atomic<Int64>(0)
    package let capacity: Int

    /// - Parameter serving: whether lookups answer from the start (one node) or only once
    ///   `serve(until:)` opens the cache (a cluster node).
    package init(capacity: Int, serving: Bool = true) {
        self.capacity = max(capacity, 0)
        self.servingUntil = Atomic(serving ? .max : 0)
    }

    /// Lets lookups answer until `deadline` (every other node's promise to report its writes
    /// holds until then).
    package func serve(until deadline: NIODeadline) {
        servingUntil.store(deadline.uptimeNanoseconds, ordering: .releasing)
    }

    /// Whether lookups answer now.
    package var isServing: Bool {
        let until = servingUntil.load(ordering: .acquiring)
        return until == .max || NIODeadline.now().uptimeNanoseconds < until
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
        guard capacity > 0, isServing else { return nil }
        return state.withLock { $0.entries[CacheKey(bucket: bucket, key: key)] }
    }

    /// Caches `record` (the key's current version, as read by quorum or just written) unless a
    /// write mark or clear happened after `generation` was read, or it is not a small current object.
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
            // Checked under the lock that marks and clears also take, so no stale insert slips in.
            guard counter.load(ordering: .acquiring) == generation else { return }
            let key = CacheKey(bucket: record.bucket, key: record.key)
            if !state.pending.isEmpty, state.pending[key] != nil { return }
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

    /// Forgets everything (a bucket's versioning changed, or a bucket was deleted, or a node
    /// missed telling this one of a write). Keys being written stay uncacheable.
    package func clear() {
        state.withLock { state in
            counter.wrappingAdd(1, ordering: .releasing)
            let serial = state.nextSerial
            let pending = state.pending
            state = State()
            state.nextSerial = serial
            state.pending = pending
        }
    }

    /// A write of `key` of `bucket` is about to commit: forget the key, and cache it no more
    /// until the write ends (`endWrite`).
    package func beginWrite(bucket: String, key: String, tag: WriteTag) {
        state.withLock { state in
            counter.wrappingAdd(1, ordering: .releasing)
            let key = CacheKey(bucket: bucket, key: key)
            if let old = state.entries.removeValue(forKey: key) { state.bytes -= old.cost }
            state.pending[key, default: []].insert(tag)
        }
    }

    /// The write `tag` of `key` of `bucket` is committed or abandoned: forget what may have been
    /// read before it, and cache the key again once no other write of it is pending. Ends that
    /// write only (an older write's late message cannot end a newer one).
    package func endWrite(bucket: String, key: String, tag: WriteTag) {
        state.withLock { state in
            counter.wrappingAdd(1, ordering: .releasing)
            let key = CacheKey(bucket: bucket, key: key)
            if let old = state.entries.removeValue(forKey: key) { state.bytes -= old.cost }
            guard var tags = state.pending[key] else { return }
            tags.remove(tag)
            state.pending[key] = tags.isEmpty ? nil : tags
        }
    }

    /// This node's own write: `beginWrite` with a tag of its own, returned for `endWrite`.
    package func beginLocalWrite(bucket: String, key: String) -> WriteTag {
        let tag = WriteTag(writer: "", incarnation: 0, id: localWrites.wrappingAdd(1, ordering: .relaxed).newValue)
        beginWrite(bucket: bucket, key: key, tag: tag)
        return tag
    }

    /// Ends the writes of node `writer` that its own word says are over: those of another
    /// incarnation (it restarted) and those numbered below `floor` (each of its writes in
    /// progress has a number at least `floor`). Their end messages may have been lost.
    package func endWrites(of writer: String, incarnation: Int64, below floor: Int64) {
        state.withLock { state in
            var ended: [CacheKey] = []
            for (key, tags) in state.pending
            where tags.contains(where: { $0.writer == writer && ($0.incarnation != incarnation || $0.id < floor) }) {
                ended.append(key)
            }
            guard !ended.isEmpty else { return }
            counter.wrappingAdd(1, ordering: .releasing)
            for key in ended {
                if let old = state.entries.removeValue(forKey: key) { state.bytes -= old.cost }
                let tags = state.pending[key]!.filter { $0.writer != writer || ($0.incarnation == incarnation && $0.id >= floor) }
                state.pending[key] = tags.isEmpty ? nil : tags
            }
        }
    }

    /// The entry of `key` of `bucket` whether or not the cache is serving now (tests).
    package func peek(bucket: String, key: String) -> Entry? {
        state.withLock { $0.entries[CacheKey(bucket: bucket, key: key)] }
    }

    /// Keys being written (for tests and metrics).
    package var pendingKeys: Int { state.withLock { $0.pending.count } }
}
