package import NIOCore
package import StowageCore
internal import Synchronization

/// A drive in memory: the `Drive` contract with no files, for the deterministic simulation and
/// for object-layer tests that need many drives fast. It answers every call at once and never
/// suspends, so the order of its effects is the order of the calls. The drive conformance suite
/// holds it to the same tests as `LocalDrive`.
///
/// `restart()` is a crash and a new start of the drive's process: committed state stays (it was
/// "durable"), shards staged but not yet named by a commit are gone, as `LocalDrive` removes
/// them at its next start. Dropped shards wait in a trash, as `LocalDrive`'s do. `corrupt(_:)` flips a committed shard's bytes: reads of it then
/// throw `corrupt`, as a checksum failure does. `isFull` makes shard writes and the space
/// check fail as a full disk does.
package final class MemoryDrive: Drive {
    private struct State {
        var buckets: [String: BucketRecord] = [:]
        /// Per bucket and key (its UTF-8 bytes): the versions, newest first (`ObjectRecord.isNewer`).
        var stacks: [String: [[UInt8]: [ObjectRecord]]] = [:]
        /// The largest lock token seen per bucket and key (`Drive`'s fencing contract).
        var fences: [String: [[UInt8]: Int64]] = [:]
        var uploads: [String: UploadRecord] = [:]
        var parts: [String: [Int: PartRecord]] = [:]
        var shards: [ShardID: [UInt8]] = [:]
        var staged: [ShardID: [UInt8]] = [:]
        /// Shards a commit dropped, and when (monotonic nanoseconds): a commit naming one takes
        /// it back (a rollback), as `LocalDrive`'s trash does.
        var trash: [ShardID: (bytes: [UInt8], at: Int64)] = [:]
        var corrupt: Set<ShardID> = []
        var full = false
        var checksFences = true
    }

    package let name: String
    private let state = Mutex(State())

    package init(name: String) {
        self.name = name
    }

    // MARK: Faults and inspection

    /// A crash and restart: staged and trashed shards are dropped, everything committed stays.
    package func restart() {
        state.withLock {
            $0.staged.removeAll()
            $0.trash.removeAll()
        }
    }

    /// Makes every later read of the committed shard `id` fail its checksum.
    package func corrupt(_ id: ShardID) {
        state.withLock { _ = $0.corrupt.insert(id) }
    }

    /// Off only to show that a test finds what fencing prevents (a planted flaw).
    package var checksFences: Bool {
        get { state.withLock { $0.checksFences } }
        set { state.withLock { $0.checksFences = newValue } }
    }

    package var isFull: Bool {
        get { state.withLock { $0.full } }
        set { state.withLock { $0.full = newValue } }
    }

    /// Every version of every key of `bucket`, in listing order (for comparing drives).
    package func allVersions(bucket: String) -> [ObjectRecord] {
        state.withLock { state in
            let stacks = state.stacks[bucket] ?? [:]
            return stacks.keys.sorted { $0.lexicographicallyPrecedes($1) }.flatMap { stacks[$0]! }
        }
    }

    /// The committed shards' ids, sorted.
    package var committedShards: [ShardID] {
        state.withLock { $0.shards.keys.sorted { $0.value < $1.value } }
    }

    /// Committed and staged shard ids (for leak checks).
    package var shardCounts: (committed: Int, staged: Int) {
        state.withLock { ($0.shards.count, $0.staged.count) }
    }

    // MARK: Buckets

    package func createBucket(_ bucket: BucketRecord) async throws {
        try state.withLock { state in
            if state.buckets[bucket.name] != nil { throw DriveError(.bucketExists, bucket.name) }
            state.buckets[bucket.name] = bucket
        }
    }

    package func bucket(named name: String) async throws -> BucketRecord? {
        state.withLock { $0.buckets[name] }
    }

    package func listBuckets() async throws -> [BucketRecord] {
        state.withLock { Array($0.buckets.values) }.sorted { $0.name < $1.name }
    }

    package func updateBucket(_ bucket: BucketRecord) async throws {
        try state.withLock { state in
            guard state.buckets[bucket.name] != nil else { throw DriveError(.bucketNotFound, bucket.name) }
            state.buckets[bucket.name] = bucket
        }
    }

    package func deleteBucket(named name: String) async throws {
        try state.withLock { state in
            guard state.buckets[name] != nil else { throw DriveError(.bucketNotFound, name) }
            let hasVersions = state.stacks[name]?.values.contains { !$0.isEmpty } ?? false
            if hasVersions || state.uploads.values.contains(where: { $0.bucket == name }) {
                throw DriveError(.bucketNotEmpty, name)
            }
            state.buckets[name] = nil
            state.stacks[name] = nil
            state.fences[name] = nil
        }
    }

    // MARK: Objects

    package func readObject(bucket: String, key: String) async throws -> ObjectRecord? {
        state.withLock { $0.stacks[bucket]?[Array(key.utf8)]?.first }
    }

    package func readObject(bucket: String, key: String, fence: Int64) async throws -> ObjectRecord? {
        try state.withLock { state in
            try Self.checkFence(state, bucket, key, fence)
            Self.noteFence(&state, bucket, key, fence)
            return state.stacks[bucket]?[Array(key.utf8)]?.first
        }
    }

    package func readVersion(bucket: String, key: String, versionID: String) async throws -> ObjectRecord? {
        state.withLock { $0.stacks[bucket]?[Array(key.utf8)]?.first { $0.versionID == versionID } }
    }

    package func commitObject(_ record: ObjectRecord, fence: Int64?) async throws -> ObjectRecord? {
        try state.withLock { state in
            guard state.buckets[record.bucket] != nil else { throw DriveError(.bucketNotFound, record.bucket) }
            try Self.checkFence(state, record.bucket, record.key, fence)
            try Self.requireShards(state, record)
            Self.noteFence(&state, record.bucket, record.key, fence)
            return Self.place(&state, record)
        }
    }

    package func deleteVersion(bucket: String, key: String, versionID: String, fence: Int64?) async throws
        -> ObjectRecord?
    {
        try state.withLock { state in
            try Self.checkFence(state, bucket, key, fence)
            Self.noteFence(&state, bucket, key, fence)
            let bytes = Array(key.utf8)
            guard var stack = state.stacks[bucket]?[bytes], let index = stack.firstIndex(where: { $0.versionID == versionID })
            else { return nil }
            let removed = stack.remove(at: index)
            state.stacks[bucket]![bytes] = stack.isEmpty ? nil : stack
            Self.free(&state, removed.shardIDs)
            return removed
        }
    }

    package func listObjects(bucket: String, prefix: String, after: [UInt8]?, inclusive: Bool, limit: Int) async throws
        -> [ObjectRecord]
    {
        let prefixBytes = Array(prefix.utf8)
        return state.withLock { state in
            let stacks = state.stacks[bucket] ?? [:]
            return stacks.keys
                .filter { key in
                    guard key.starts(with: prefixBytes) else { return false }
                    guard let after, !after.lexicographicallyPrecedes(prefixBytes) else { return true }
                    return after.lexicographicallyPrecedes(key) || (inclusive && key == after)
                }
                .sorted { $0.lexicographicallyPrecedes($1) }
                .compactMap { key in stacks[key]!.first.flatMap { $0.isDeleteMarker ? nil : $0 } }
                .prefix(limit)
                .map { $0 }
        }
    }

    package func listVersions(bucket: String, prefix: String, after: VersionCursor?, limit: Int) async throws
        -> [ObjectRecord]
    {
        let prefixBytes = Array(prefix.utf8)
        var start = VersionCursor(key: prefixBytes, position: .atKey)
        if let after, !after.key.lexicographicallyPrecedes(prefixBytes) { start = after }
        let cursor = start
        return state.withLock { state in
            let stacks = state.stacks[bucket] ?? [:]
            var listed: [ObjectRecord] = []
            for key in stacks.keys.filter({ $0.starts(with: prefixBytes) }).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                for record in stacks[key]! where cursor.admits(record) {
                    if listed.count == limit { return listed }
                    listed.append(record)
                }
            }
            return listed
        }
    }

    /// Refuses a token older than the newest seen for the key.
    private static func checkFence(_ state: State, _ bucket: String, _ key: String, _ fence: Int64?) throws {
        guard let fence, state.checksFences, let seen = state.fences[bucket]?[Array(key.utf8)], seen > fence else { return }
        throw DriveError(.fenced, "\(bucket)/\(key): lock token \(fence) is older than \(seen)")
    }

    /// Remembers the token of a change that is being made (with the change, as one step).
    private static func noteFence(_ state: inout State, _ bucket: String, _ key: String, _ fence: Int64?) {
        guard let fence else { return }
        state.fences[bucket, default: [:]][Array(key.utf8)] = fence
    }

    /// Refuses a record naming a shard the drive does not hold, as `LocalDrive` does.
    private static func requireShards(_ state: State, _ record: ObjectRecord) throws {
        for id in record.shardIDs where state.staged[id] == nil && state.shards[id] == nil && state.trash[id] == nil {
            throw DriveError(.notFound, "\(record.bucket)/\(record.key): shard \(id) is not on this drive")
        }
    }

    /// Puts `record` into its key's stack in version order, replacing the version with its id;
    /// commits the staged shards it names and frees those of the replaced version it does not.
    private static func place(_ state: inout State, _ record: ObjectRecord) -> ObjectRecord? {
        let bytes = Array(record.key.utf8)
        var stack = state.stacks[record.bucket]?[bytes] ?? []
        var replaced: ObjectRecord?
        if let index = stack.firstIndex(where: { $0.versionID == record.versionID }) {
            replaced = stack.remove(at: index)
        }
        let position = stack.firstIndex { record.isNewer(than: $0) } ?? stack.count
        stack.insert(record, at: position)
        state.stacks[record.bucket, default: [:]][bytes] = stack
        for id in record.shardIDs {
            if let staged = state.staged.removeValue(forKey: id) {
                state.shards[id] = staged
                state.corrupt.remove(id)
            } else if state.shards[id] == nil, let trashed = state.trash.removeValue(forKey: id) {
                state.shards[id] = trashed.bytes
            }
        }
        let kept = Set(record.shardIDs)
        free(&state, (replaced?.shardIDs ?? []).filter { !kept.contains($0) })
        return replaced
    }

    private static func free(_ state: inout State, _ ids: [ShardID]) {
        let now = LayerEnvironment.now()
        for id in ids {
            if let bytes = state.shards.removeValue(forKey: id), !state.corrupt.contains(id) { state.trash[id] = (bytes, now) }
            state.corrupt.remove(id)
        }
    }

    // MARK: Shard data

    package func createShard(id: ShardID, blockSize: Int) async throws -> any ShardWriter {
        try state.withLock { state in
            if state.full { throw DriveError(.full, "\(name): full") }
            state.staged[id] = []
        }
        return Writer(id: id, drive: self)
    }

    package func openShard(_ id: ShardID) async throws -> any ShardReader {
        try state.withLock { state in
            guard let bytes = state.shards[id] ?? state.staged[id] else {
                throw DriveError(.notFound, "\(name): no shard \(id)")
            }
            return Reader(id: id, drive: self, size: Int64(bytes.count))
        }
    }

    private final class Writer: ShardWriter {
        let id: ShardID
        let drive: MemoryDrive

        init(id: ShardID, drive: MemoryDrive) {
            self.id = id
            self.drive = drive
        }

        func write(_ buffer: ByteBuffer) async throws {
            try drive.state.withLock { state in
                if state.full { throw DriveError(.full, "\(drive.name): full") }
                guard state.staged[id] != nil else { throw DriveError(.io, "\(drive.name): shard \(id) is not staged") }
                state.staged[id]!.append(contentsOf: buffer.readableBytesView)
            }
        }

        func finish() async throws {
            try drive.state.withLock { state in
                guard state.staged[id] != nil else { throw DriveError(.io, "\(drive.name): shard \(id) is not staged") }
            }
        }

        func abort() async {
            drive.state.withLock { _ = $0.staged.removeValue(forKey: id) }
        }
    }

    private final class Reader: ShardReader {
        let id: ShardID
        let drive: MemoryDrive
        let size: Int64

        init(id: ShardID, drive: MemoryDrive, size: Int64) {
            self.id = id
            self.drive = drive
            self.size = size
        }

        func read(offset: Int64, length: Int) async throws -> ByteBuffer {
            precondition(offset >= 0 && length >= 0, "negative shard read")
            guard offset + Int64(length) <= size else {
                throw DriveError(.corrupt, "\(drive.name): read past end of shard (\(offset)+\(length) > \(size))")
            }
            return try drive.state.withLock { state in
                guard let bytes = state.shards[id] ?? state.staged[id] else {
                    throw DriveError(.notFound, "\(drive.name): shard \(id) is gone")
                }
                if state.corrupt.contains(id) { throw DriveError(.corrupt, "\(drive.name): shard \(id) fails its checksum") }
                return ByteBuffer(bytes: bytes[Int(offset)..<Int(offset) + length])
            }
        }

        func close() async {}
    }

    // MARK: Multipart uploads

    package func createUpload(_ upload: UploadRecord) async throws {
        try state.withLock { state in
            guard state.buckets[upload.bucket] != nil else { throw DriveError(.bucketNotFound, upload.bucket) }
            state.uploads[upload.uploadID] = upload
        }
    }

    package func upload(id: String) async throws -> UploadRecord? {
        state.withLock { $0.uploads[id] }
    }

    package func listUploads(bucket: String, prefix: String, afterKey: String?, afterUploadID: String?, limit: Int)
        async throws -> [UploadRecord]
    {
        func precedes(_ a: UploadRecord, _ b: UploadRecord) -> Bool {
            if a.key != b.key { return a.key.utf8.lexicographicallyPrecedes(b.key.utf8) }
            return a.uploadID < b.uploadID
        }
        return state.withLock { state in
            state.uploads.values
                .filter { upload in
                    guard upload.bucket == bucket, upload.key.utf8.starts(with: prefix.utf8) else { return false }
                    guard let afterKey else { return true }
                    if upload.key == afterKey { return afterUploadID.map { upload.uploadID > $0 } ?? false }
                    return afterKey.utf8.lexicographicallyPrecedes(upload.key.utf8)
                }
                .sorted(by: precedes)
                .prefix(limit)
                .map { $0 }
        }
    }

    package func commitPart(_ part: PartRecord) async throws {
        try state.withLock { state in
            guard state.uploads[part.uploadID] != nil else { throw DriveError(.uploadNotFound, part.uploadID) }
            let previous = state.parts[part.uploadID]?[part.number]
            state.parts[part.uploadID, default: [:]][part.number] = part
            if let staged = state.staged.removeValue(forKey: part.shardID) { state.shards[part.shardID] = staged }
            if let previous, previous.shardID != part.shardID { Self.free(&state, [previous.shardID]) }
        }
    }

    package func listParts(uploadID: String) async throws -> [PartRecord] {
        state.withLock { ($0.parts[uploadID] ?? [:]).values.sorted { $0.number < $1.number } }
    }

    package func completeUpload(uploadID: String, object: ObjectRecord, fence: Int64?) async throws -> ObjectRecord? {
        try state.withLock { state in
            guard state.uploads[uploadID] != nil else { throw DriveError(.uploadNotFound, uploadID) }
            guard state.buckets[object.bucket] != nil else { throw DriveError(.bucketNotFound, object.bucket) }
            try Self.checkFence(state, object.bucket, object.key, fence)
            try Self.requireShards(state, object)
            Self.noteFence(&state, object.bucket, object.key, fence)
            let partShards = (state.parts[uploadID] ?? [:]).values.map(\.shardID)
            let replaced = Self.place(&state, object)
            state.parts[uploadID] = nil
            state.uploads[uploadID] = nil
            let used = Set(object.shardIDs)
            Self.free(&state, partShards.filter { !used.contains($0) })
            return replaced
        }
    }

    package func abortUpload(uploadID: String) async throws {
        try state.withLock { state in
            guard state.uploads[uploadID] != nil else { throw DriveError(.uploadNotFound, uploadID) }
            Self.free(&state, (state.parts[uploadID] ?? [:]).values.map(\.shardID))
            state.parts[uploadID] = nil
            state.uploads[uploadID] = nil
        }
    }

    // MARK: Space and health

    package func availableBytes() async throws -> Int64 {
        state.withLock { $0.full ? 0 : 1 << 40 }
    }

    package func healthCheck() async throws {
        if isFull { throw DriveError(.full, "\(name): below its reserve of free space") }
        let now = LayerEnvironment.now()
        state.withLock { $0.trash = $0.trash.filter { now - $0.value.at < Self.trashRetention } }
    }

    static let trashRetention: Int64 = 120_000_000_000
}
