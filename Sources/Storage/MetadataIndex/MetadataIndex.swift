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
    private let connection: Mutex<SQLiteConnectionBox>

    static let schemaVersion: Int64 = 1

    init(path: String) throws {
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
            CREATE TABLE IF NOT EXISTS uploads(upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL,
                record BLOB NOT NULL);
            CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads(bucket, key, upload_id);
            CREATE TABLE IF NOT EXISTS parts(upload_id TEXT NOT NULL, number INTEGER NOT NULL, record BLOB NOT NULL,
                PRIMARY KEY(upload_id, number)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS pending_shards(shard TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS garbage_shards(shard TEXT PRIMARY KEY) WITHOUT ROWID;
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
        connection = Mutex(SQLiteConnectionBox(db))
    }

    /// Runs `body` with exclusive use of the connection, mapping SQLite errors to drive errors.
    func with<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try connection.withLock { box in
            do {
                return try body(box.connection)
            } catch let error as SQLiteError {
                throw error.isFull ? DriveError(.full, error.description) : DriveError(.io, error.description)
            }
        }
    }

    /// Runs `body` in one durable transaction.
    func transaction<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try with { db in try db.transaction { try body(db) } }
    }
}

/// Lets the non-Sendable connection live inside a `Mutex`.
struct SQLiteConnectionBox: @unchecked Sendable {
    let connection: SQLiteConnection
    init(_ connection: SQLiteConnection) { self.connection = connection }
}
