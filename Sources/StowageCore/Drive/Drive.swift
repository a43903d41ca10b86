public import NIOCore

/// One storage root: shard files plus an ordered metadata index.
///
/// Contract for every implementation (local folder, remote node, memory):
/// - Every mutating call returns only once its effect is durable (fsync'd) on this drive.
/// - `commitObject`, `deleteVersion`, `commitPart`, `completeUpload` and `abortUpload` are atomic:
///   after a crash the drive holds the state before the call or after it, never a mix.
/// - Shards written through a `ShardWriter` are invisible and owned by no one until a commit
///   names them; uncommitted shards are removed at the next start.
/// - Shards that a commit replaces or deletes are freed by the drive; callers never delete shards.
/// - Fencing: `commitObject`, `deleteVersion` and `completeUpload` take an optional `fence`, the
///   token of the cluster-wide lock its caller holds on the key. The drive keeps the largest
///   token it has seen per key and refuses (`DriveError.fenced`) a change carrying a smaller
///   one, in the same atomic step as the change: a writer whose lock expired while it stalled
///   cannot overwrite what the lock's next holder wrote. nil (one node, a local lock) checks
///   nothing.
package protocol Drive: Sendable {
    /// A human-readable identity (the folder, or node and folder).
    var name: String { get }

    // MARK: Buckets
    func createBucket(_ bucket: BucketRecord) async throws
    func bucket(named name: String) async throws -> BucketRecord?
    func listBuckets() async throws -> [BucketRecord]
    /// Replaces the record of an existing bucket (its configuration, e.g. versioning).
    func updateBucket(_ bucket: BucketRecord) async throws
    /// Throws `bucketNotEmpty` if any object version, delete marker or upload remains.
    func deleteBucket(named name: String) async throws

    // MARK: Objects
    //
    // Each key has a stack of versions ordered by `ObjectRecord.versionStamp`; the newest is the
    // current version, which may be a delete marker.

    /// The current version of the key (possibly a delete marker), or nil when it has none.
    func readObject(bucket: String, key: String) async throws -> ObjectRecord?
    /// `readObject`, after raising the key's fencing token to `fence`, durably and in one atomic
    /// step with the read; throws `DriveError.fenced` when the drive has seen a newer token. A
    /// change carrying an older token then lands on this drive before the read (which sees it)
    /// or is refused. The lock's holder reads this way where it decides on what it reads (a
    /// conditional write): a holder whose lock expired while it stalled could otherwise commit
    /// between the next holder's check and that holder's commit.
    func readObject(bucket: String, key: String, fence: Int64) async throws -> ObjectRecord?
    /// One version of the key by id ("null" for the null version).
    func readVersion(bucket: String, key: String, versionID: String) async throws -> ObjectRecord?
    /// Stores `record` in its key's version stack by its stamp, replacing the version with the
    /// same id (returned; its shards that `record` does not name are freed).
    func commitObject(_ record: ObjectRecord, fence: Int64?) async throws -> ObjectRecord?
    /// Removes one version (freeing its shards); the next newest becomes current. Returns it.
    func deleteVersion(bucket: String, key: String, versionID: String, fence: Int64?) async throws -> ObjectRecord?
    /// Current versions that are not delete markers, with the given prefix in UTF-8 binary key
    /// order, starting after the key bytes `after` (or at them when `inclusive`), or from the
    /// start of the prefix when nil.
    func listObjects(bucket: String, prefix: String, after: [UInt8]?, inclusive: Bool, limit: Int) async throws
        -> [ObjectRecord]
    /// Every version and delete marker with the given prefix in listing order (key bytes, then
    /// newest first), starting at `after` (from the start of the prefix when nil).
    func listVersions(bucket: String, prefix: String, after: VersionCursor?, limit: Int) async throws -> [ObjectRecord]

    // MARK: Shard data
    /// A writer for a new shard `id` in the drive's staging area, checksummed in blocks of
    /// `blockSize` bytes. The same id is used on every drive of a set (each holds its own shard
    /// index); a staged shard whose id a record already owns replaces that shard at the next
    /// commit naming it (this is how healing rewrites a damaged shard).
    func createShard(id: ShardID, blockSize: Int) async throws -> any ShardWriter
    /// Opens a committed shard for reading. Every block read is verified against its checksum.
    func openShard(_ id: ShardID) async throws -> any ShardReader

    // MARK: Multipart uploads
    func createUpload(_ upload: UploadRecord) async throws
    func upload(id: String) async throws -> UploadRecord?
    /// Uploads of a bucket ordered by (key, uploadID), after the given marker.
    func listUploads(bucket: String, prefix: String, afterKey: String?, afterUploadID: String?, limit: Int)
        async throws -> [UploadRecord]
    /// Stores a part, replacing (and freeing) an earlier part with the same number.
    func commitPart(_ part: PartRecord) async throws
    func listParts(uploadID: String) async throws -> [PartRecord]
    /// Atomically writes the object (as `commitObject` does), removes the upload and its parts,
    /// and frees the shards of parts the object does not use. Returns the version it replaced.
    func completeUpload(uploadID: String, object: ObjectRecord, fence: Int64?) async throws -> ObjectRecord?
    /// Removes the upload and frees all its parts.
    func abortUpload(uploadID: String) async throws

    // MARK: Space and health
    /// Bytes a new write may still use, after the drive's reserve.
    func availableBytes() async throws -> Int64
    /// Throws unless the drive is usable: its format record is present and unchanged, its index
    /// answers, and a small file can be written and synced.
    func healthCheck() async throws
}

extension Drive {
    /// `commitObject` without a fence (one node, healing, roll-back).
    package func commitObject(_ record: ObjectRecord) async throws -> ObjectRecord? {
        try await commitObject(record, fence: nil)
    }

    package func deleteVersion(bucket: String, key: String, versionID: String) async throws -> ObjectRecord? {
        try await deleteVersion(bucket: bucket, key: key, versionID: versionID, fence: nil)
    }

    package func completeUpload(uploadID: String, object: ObjectRecord) async throws -> ObjectRecord? {
        try await completeUpload(uploadID: uploadID, object: object, fence: nil)
    }
}

/// Appends the bytes of one new shard. Not thread-safe: one writer, one task.
package protocol ShardWriter: Sendable {
    var id: ShardID { get }
    /// Appends bytes; the writer blocks them and checksums each block.
    func write(_ buffer: ByteBuffer) async throws
    /// Flushes and fsyncs. After this the shard can be named by a commit.
    func finish() async throws
    /// Discards the staged shard (also after `finish()`, as long as no commit named it).
    func abort() async
}

/// Reads a committed shard. Reads are verified; a checksum failure throws `DriveError.corrupt`.
package protocol ShardReader: Sendable {
    var size: Int64 { get }
    /// Reads `length` bytes at `offset` of the shard's data (not of the file).
    func read(offset: Int64, length: Int) async throws -> ByteBuffer
    func close() async
}
