#if canImport(Glibc)
internal import Glibc
#endif
internal import NIOPosix
internal import StowageCore
internal import Synchronization

/// The ordered metadata index of one drive, in SQLite (WAL mode, `synchronous=FULL`).
///
/// Guarantees: every method that changes state has committed durably when it returns; each
/// is one transaction, so a crash leaves the state before or after it. Keys are stored as
/// BLOBs of their UTF-8 bytes, so the index order is S3's binary order. Every record carries
/// its own checksum (`RecordCodec`); SQLite's WAL frames carry theirs.
///
/// Thread safety: all calls are serialised by an internal lock; call from IO threads only.
final class MetadataIndex: Sendable {
    private let writer: Mutex<SQLiteConnectionBox>
    /// Read-only connections: in WAL mode they read the last committed state while the
    /// writer is busy, so lookups and listings never wait for a commit's fsync.
    private let readers: [LockedConnection]
    private let nextReader = Atomic<Int>(0)
    private let group = Mutex(GroupState())

    static let schemaVersion: Int64 = 1
    /// At most this many writes share one commit, which bounds a commit's latency.
    /// `STOWAGE_GROUP_COMMIT_MAX=1` turns group commit off (one fsync per write), for measuring.
    static let maxGroupSize: Int = {
        if let text = getenv("STOWAGE_GROUP_COMMIT_MAX"), let value = Int(String(cString: text)), value >= 1 {
            return value
        }
        return 256
    }()

    init(path: String, readerCount: Int = 4) throws {
        let db = try SQLiteConnection(path: path)
        try db.execute("PRAGMA journal_mode=WAL")
        try db.execute("PRAGMA synchronous=FULL")
        try db.execute("PRAGMA busy_timeout=5000")
        try db.execute("PRAGMA cell_size_check=ON")
        try db.execute(
            """
            CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS buckets(name TEXT PRIMARY KEY, record BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS objects(bucket TEXT NOT NULL, key BLOB NOT NULL, record BLOB NOT NULL,
                PRIMARY KEY(bucket, key)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS versions(bucket TEXT NOT NULL, key BLOB NOT NULL, neg_stamp INTEGER NOT NULL,
                version_id TEXT NOT NULL, record BLOB NOT NULL,
                PRIMARY KEY(bucket, key, neg_stamp, version_id)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS versions_by_id ON versions(bucket, key, version_id);
            CREATE TABLE IF NOT EXISTS uploads(upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL,
                record BLOB NOT NULL);
            CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads(bucket, key, upload_id);
            CREATE TABLE IF NOT EXISTS parts(upload_id TEXT NOT NULL, number INTEGER NOT NULL, record BLOB NOT NULL,
                PRIMARY KEY(upload_id, number)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS pending_shards(shard TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS garbage_shards(shard TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS fences(bucket TEXT NOT NULL, key BLOB NOT NULL, token INTEGER NOT NULL,
                PRIMARY KEY(bucket, key)) WITHOUT ROWID;
            """
        )
        var version: Int64?
        try db.query("SELECT value FROM meta WHERE name = 'schema'") { version = $0.integer(0) }
        if let version, version != Self.schemaVersion {
            throw DriveError(.corrupt, "index schema version \(version) is not supported")
        }
        if version == nil {
            try db.query("INSERT INTO meta(name, value) VALUES('schema', ?)", [.integer(Self.schemaVersion)])
        }
        writer = Mutex(SQLiteConnectionBox(db))
        var readers: [LockedConnection] = []
        for _ in 0..<max(readerCount, 1) {
            let reader = try SQLiteConnection(path: path)
            try reader.execute("PRAGMA busy_timeout=5000")
            try reader.execute("PRAGMA query_only=ON")
            readers.append(LockedConnection(reader))
        }
        self.readers = readers
    }

    /// Runs `body` on the writer connection (exclusive), mapping SQLite errors to drive errors.
    func with<T: Sendable>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try writer.withLock { box in try Self.mapErrors { try body(box.connection) } }
    }

    /// Runs a read on one of the reader connections; it sees every commit that has returned.
    func read<T: Sendable>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let index = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
        return try readers[index % readers.count].lock.withLock { box in try Self.mapErrors { try body(box.connection) } }
    }

    /// `read`, with every query of `body` seeing one committed state (for reads of more than one
    /// statement, e.g. a key's two version tables).
    func readSnapshot<T: Sendable>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try read { db in try db.snapshot { try body(db) } }
    }

    /// Runs `body` in one durable transaction of its own.
    func transaction<T: Sendable>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try with { db in try db.transaction { try body(db) } }
    }

    /// Group commit: runs `body` inside a transaction shared with the other writes queued at the
    /// same moment. Each body runs under its own savepoint, so one that throws leaves no trace
    /// and fails alone; a single COMMIT (one WAL fsync) makes the group durable, and only then
    /// does any caller resume. Under load this turns N fsyncs into one.
    ///
    /// With `threads.deadline`, a caller whose group has not committed in time is resumed with
    /// "did not answer within …" (its write may still commit later, when the disk answers).
    func groupCommit<T: Sendable>(threads: DriveThreads, _ body: @escaping @Sendable (SQLiteConnection) throws -> T)
        async throws -> T
    {
        let pool = threads.pool
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let answer = OnceAnswer(continuation)
            let watchdog = threads.watchdog
            let call = watchdog?.watch { answer.resume(with: .failure($0)) }
            let result = ResultSlot<T>()
            let member = GroupMember(
                run: { db in result.value = try body(db) },
                finish: { error in
                    if let call { watchdog?.done(call) }
                    if let error {
                        answer.resume(with: .failure(error))
                    } else {
                        answer.resume(with: .success(result.value!))
                    }
                })
            let startCommitter = group.withLock { state -> Bool in
                state.queue.append(member)
                if state.committing { return false }
                state.committing = true
                return true
            }
            if startCommitter { pool.submit { _ in self.commitGroups() } }
        }
    }

    /// Drains the queue of writes, one group (one transaction) at a time, on an IO thread.
    private func commitGroups() {
        while true {
            let batch = group.withLock { state -> [GroupMember] in
                if state.queue.isEmpty {
                    state.committing = false
                    return []
                }
                let batch = Array(state.queue.prefix(Self.maxGroupSize))
                state.queue.removeFirst(batch.count)
                return batch
            }
            if batch.isEmpty { return }
            var errors = [(any Error)?](repeating: nil, count: batch.count)
            var commitError: (any Error)?
            writer.withLock { box in
                let db = box.connection
                do {
                    try db.execute("BEGIN IMMEDIATE")
                    for (position, member) in batch.enumerated() {
                        do {
                            try db.execute("SAVEPOINT member")
                            do {
                                try member.run(db)
                                try db.execute("RELEASE member")
                            } catch {
                                try? db.execute("ROLLBACK TO member")
                                try? db.execute("RELEASE member")
                                throw error
                            }
                        } catch {
                            errors[position] = error
                            // SQLite can abandon the whole transaction (e.g. on SQLITE_FULL); the
                            // group then fails as one, rather than later members autocommitting.
                            if !db.isInTransaction { throw error }
                        }
                    }
                    try db.execute("COMMIT")
                } catch {
                    try? db.execute("ROLLBACK")
                    commitError = error
                }
            }
            for (position, member) in batch.enumerated() {
                member.finish((commitError ?? errors[position]).map(Self.mapError))
            }
        }
    }

    private static func mapErrors<T: Sendable>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw mapError(error)
        }
    }

    private static func mapError(_ error: any Error) -> any Error {
        guard let error = error as? SQLiteError else { return error }
        return error.isFull ? DriveError(.full, error.description) : DriveError(.io, error.description)
    }
}

/// Queue state of group commit.
struct GroupState {
    var queue: [GroupMember] = []
    var committing = false
}

/// One write waiting in a group: its transaction body and how to resume its caller.
struct GroupMember: Sendable {
    let run: @Sendable (SQLiteConnection) throws -> Void
    let finish: @Sendable ((any Error)?) -> Void
}

/// Carries a group member's result from the IO thread to its continuation (written once,
/// before `finish`, read once after it).
final class ResultSlot<T: Sendable>: @unchecked Sendable {
    var value: T?
}

/// A reader connection behind its own lock (a class, so that several fit in an array).
final class LockedConnection: Sendable {
    let lock: Mutex<SQLiteConnectionBox>
    init(_ connection: SQLiteConnection) { lock = Mutex(SQLiteConnectionBox(connection)) }
}

/// Lets the non-Sendable connection live inside a `Mutex`.
struct SQLiteConnectionBox: @unchecked Sendable {
    let connection: SQLiteConnection
    init(_ connection: SQLiteConnection) { self.connection = connection }
}
