#if canImport(Glibc)
internal import Glibc
#endif
internal import FoundationEssentials
package import NIOCore
package import NIOPosix
package import StowageCore
internal import Synchronization

/// A drive on one local folder: shard files plus a SQLite metadata index.
///
/// Layout of the folder:
/// ```
/// stowage.format          format record (JSON: format version, drive identity; see DriveFormatFile)
/// index.sqlite (+ -wal)   the metadata index
/// tmp/<shard>             shards being written; garbage unless an index row names them
/// shards/<xx>/<shard>     committed shards, xx = first two hex digits of the id
/// trash/<shard>           shards a commit dropped, kept for `trashRetention` (see below)
/// ```
/// Commit protocol: a shard is written and fsync'd in `tmp/`; the index transaction that names
/// it also records it in `pending_shards`; after the commit it is renamed into `shards/`.
/// Shards that a commit drops are listed in `garbage_shards` in the same transaction and
/// moved to `trash/` after it. Startup replays both tables and empties `tmp/` and `trash/`, so a
/// crash at any point leaves no visible partial object and no garbage after the next start.
///
/// The trash lets a write that failed be undone whole: when a write replaced a version on some
/// drives and then missed its quorum, the object layer commits the replaced version again
/// (`ErasureSet.rollBack`), and a commit that names a shard found in the trash takes it back.
/// Without it the replaced version came back without its data on those drives; the
/// deterministic simulation found an acknowledged object lost that way, once a failed
/// overwrite had reached every drive late. Trashed shards are removed after `trashRetention`
/// (by the health check), or at once when less than 1 GiB beyond the reserve is free.
package final class LocalDrive: Drive {
    package let name: String
    let root: String
    /// The identity the format record must keep; checked by `healthCheck()`.
    package let identity: DriveIdentity
    let index: MetadataIndex
    let pool: DriveThreads
    /// Bytes kept free so that deletes and metadata updates can always proceed.
    let reserveBytes: Int64
    /// Renames and unlinks done since the last transaction; their rows are removed in the next one.
    let settled = Mutex(SettledShards())
    /// Shards in `trash/` and when they went there (monotonic nanoseconds).
    let trashed = Mutex<[ShardID: Int64]>([:])
    /// How long a dropped shard can still be taken back by a commit naming it.
    static let trashRetention: Int64 = 120_000_000_000
    /// Free space (beyond the reserve) under which the drive keeps no trash.
    static let trashNeedsFree: Int64 = 1 << 30
    /// Every bucket, kept in memory; changed only after the index commit that changes it.
    let bucketCache: Mutex<[String: BucketRecord]>

    struct SettledShards {
        var renamed: [ShardID] = []
        var deleted: [ShardID] = []
    }

    /// Opens a formatted drive at `root` (see `DriveFormatFile`), creating its folders and index
    /// if needed, and recovers from any earlier crash. Throws unless the format record names
    /// exactly `identity`.
    /// - Parameter reserveBytes: free space kept back from new writes; nil picks 1% of the
    ///   filesystem, clamped to 1 MiB … 256 MiB.
    package static func open(
        root: String, identity: DriveIdentity, pool: NIOThreadPool, reserveBytes: Int64? = nil,
        callDeadline: TimeAmount? = nil
    ) async throws -> LocalDrive {
        let pool = DriveThreads(pool: pool, deadline: callDeadline)
        return try await pool.runIfActive {
            try DriveFormatFile.verify(root: root, identity: identity)
            try POSIXFile.makeDirectory(root + "/tmp")
            try POSIXFile.makeDirectory(root + "/trash")
            try POSIXFile.makeDirectory(root + "/shards")
            let hex = Array("0123456789abcdef")
            for a in hex { for b in hex { try POSIXFile.makeDirectory(root + "/shards/\(a)\(b)") } }
            let index = try MetadataIndex(path: root + "/index.sqlite")
            let total = try POSIXFile.space(root).total
            let reserve = reserveBytes ?? min(max(total / 100, 1 << 20), 256 << 20)
            let buckets = try Self.loadBuckets(index)
            let drive = LocalDrive(
                root: root, identity: identity, index: index, pool: pool, reserveBytes: reserve,
                buckets: buckets)
            try drive.recover()
            return drive
        }
    }

    private init(
        root: String, identity: DriveIdentity, index: MetadataIndex, pool: DriveThreads, reserveBytes: Int64,
        buckets: [String: BucketRecord]
    ) {
        self.bucketCache = Mutex(buckets)
        self.name = root
        self.root = root
        self.identity = identity
        self.index = index
        self.pool = pool
        self.reserveBytes = reserveBytes
    }

    // MARK: Paths

    func stagedPath(_ id: ShardID) -> String { "\(root)/tmp/\(id.value)" }

    func trashPath(_ id: ShardID) -> String { "\(root)/trash/\(id.value)" }

    func committedPath(_ id: ShardID) -> String {
        let v = id.value
        return "\(root)/shards/\(v.prefix(2))/\(v)"
    }

    // MARK: Recovery

    /// Finishes renames of committed shards, frees dropped ones, and removes staged leftovers.
    private func recover() throws {
        let (pending, garbage) = try index.with { db -> ([String], [String]) in
            var pending: [String] = []
            var garbage: [String] = []
            try db.query("SELECT shard FROM pending_shards") { pending.append($0.text(0)) }
            try db.query("SELECT shard FROM garbage_shards") { garbage.append($0.text(0)) }
            return (pending, garbage)
        }
        for raw in pending {
            guard let id = ShardID(raw) else { continue }
            if POSIXFile.exists(stagedPath(id)) {
                try POSIXFile.rename(stagedPath(id), committedPath(id))
            } else if !POSIXFile.exists(committedPath(id)) && POSIXFile.exists(trashPath(id)) {
                try POSIXFile.rename(trashPath(id), committedPath(id))
            }
        }
        for raw in garbage {
            guard let id = ShardID(raw) else { continue }
            try POSIXFile.unlinkIfPresent(committedPath(id))
            try POSIXFile.unlinkIfPresent(stagedPath(id))
        }
        for folder in ["/tmp", "/trash"] {
            for name in try POSIXFile.listDirectory(root + folder) {
                try POSIXFile.unlinkIfPresent(root + folder + "/" + name)
            }
            try POSIXFile.fsyncDirectory(root + folder)
        }
        try index.transaction { db in
            try db.execute("DELETE FROM pending_shards; DELETE FROM garbage_shards;")
        }
    }

    // MARK: Transactions

    /// Runs a mutating transaction. `body` returns the staged shards it committed and the
    /// shards it dropped; after the commit they are renamed / unlinked.
    func commit<T>(_ body: @escaping @Sendable (SQLiteConnection) throws -> (T, staged: [ShardID], dropped: [ShardID])) async throws -> T
    where T: Sendable {
        let settledNow = settled.withLock { s -> SettledShards in
            defer { s = SettledShards() }
            return s
        }
        let outcome: (T, staged: [ShardID], dropped: [ShardID])
        do {
            outcome = try await index.groupCommit(threads: pool) { db in
                for id in settledNow.renamed { try db.query("DELETE FROM pending_shards WHERE shard = ?", [.text(id.value)]) }
                for id in settledNow.deleted { try db.query("DELETE FROM garbage_shards WHERE shard = ?", [.text(id.value)]) }
                let outcome = try body(db)
                for id in outcome.staged { try db.query("INSERT OR IGNORE INTO pending_shards(shard) VALUES(?)", [.text(id.value)]) }
                for id in outcome.dropped { try db.query("INSERT OR IGNORE INTO garbage_shards(shard) VALUES(?)", [.text(id.value)]) }
                return outcome
            }
        } catch {
            // The rows were not deleted; keep them for the next transaction.
            settled.withLock { s in
                s.renamed += settledNow.renamed
                s.deleted += settledNow.deleted
            }
            throw error
        }
        let (result, staged, dropped) = outcome
        if !staged.isEmpty || !dropped.isEmpty {
            try await pool.runIfActive { [self] in
                var renamedDirectories = Set<String>()
                for id in staged {
                    if POSIXFile.exists(stagedPath(id)) {
                        try POSIXFile.rename(stagedPath(id), committedPath(id))
                    } else if !POSIXFile.exists(committedPath(id)) && POSIXFile.exists(trashPath(id)) {
                        // A version put back (a rollback) takes back the shard its replacement dropped.
                        try POSIXFile.rename(trashPath(id), committedPath(id))
                        trashed.withLock { _ = $0.removeValue(forKey: id) }
                    } else {
                        continue
                    }
                    renamedDirectories.insert(String(committedPath(id).dropLast(33)))
                }
                // The renames must be durable before the pending rows may go.
                for directory in renamedDirectories { try POSIXFile.fsyncDirectory(directory) }
                let now = LayerEnvironment.now()
                for id in dropped where POSIXFile.exists(committedPath(id)) {
                    try POSIXFile.rename(committedPath(id), trashPath(id))
                    trashed.withLock { $0[id] = now }
                }
                settled.withLock { s in
                    s.renamed += staged
                    s.deleted += dropped
                }
            }
        }
        return result
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await pool.runIfActive { [index] in try index.read(body) }
    }

    /// `read` in one snapshot of the index (for reads of more than one statement).
    func readSnapshot<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await pool.runIfActive { [index] in try index.readSnapshot(body) }
    }

    // MARK: Shards

    package func createShard(id: ShardID, blockSize: Int) async throws -> any ShardWriter {
        try await LocalShardWriter.create(id: id, path: stagedPath(id), pool: pool, blockSize: blockSize)
    }

    package func openShard(_ id: ShardID) async throws -> any ShardReader {
        // A shard named by a commit may still be in tmp/ for the instant before its rename.
        do {
            return try await LocalShardReader.open(path: committedPath(id), pool: pool)
        } catch let error as DriveError where error.code == .notFound {
            do {
                return try await LocalShardReader.open(path: stagedPath(id), pool: pool)
            } catch let error as DriveError where error.code == .notFound {
                return try await LocalShardReader.open(path: committedPath(id), pool: pool)
            }
        }
    }

    // MARK: Space and health

    package func availableBytes() async throws -> Int64 {
        let root = self.root
        let available = try await pool.runIfActive { try POSIXFile.space(root).available }
        guard available - reserveBytes < Self.trashNeedsFree, !trashed.withLock({ $0.isEmpty }) else {
            return available - reserveBytes
        }
        // Short of space: the trash goes first.
        try await pool.runIfActive { try self.emptyTrash(olderThan: .max) }
        return try await pool.runIfActive { try POSIXFile.space(root).available } - reserveBytes
    }

    /// Removes the shards that have been in the trash for at least `age` nanoseconds.
    func emptyTrash(olderThan age: Int64) throws {
        let now = LayerEnvironment.now()
        let due = trashed.withLock { trashed in
            let due = trashed.filter { age == .max || now - $0.value >= age }.map(\.key)
            for id in due { trashed[id] = nil }
            return due
        }
        for id in due { try POSIXFile.unlinkIfPresent(trashPath(id)) }
    }

    package func healthCheck() async throws {
        try await pool.runIfActive { [self] in
            try DriveFormatFile.verify(root: root, identity: identity)
            _ = try index.read { db in try db.execute("SELECT 1") }
            let probe = root + "/tmp/.health-probe"
            let fd = try POSIXFile.open(probe, O_WRONLY | O_CREAT | O_TRUNC)
            defer {
                close(fd)
                try? POSIXFile.unlinkIfPresent(probe)
            }
            try [UInt8](repeating: 0x5A, count: 64).withUnsafeBytes { try POSIXFile.writeAll(fd, $0, path: probe) }
            try POSIXFile.fsync(fd, path: probe)
            try emptyTrash(olderThan: Self.trashRetention)
        }
        if try await availableBytes() < 0 { throw DriveError(.full, "\(root): below its reserve of free space") }
    }
}
