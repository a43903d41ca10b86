internal import CSQLite

/// A thin, synchronous wrapper over one SQLite connection.
///
/// Not thread-safe by itself: `MetadataIndex` serialises all use behind a lock and calls it
/// from the drive's IO thread pool, never from an event loop.
final class SQLiteConnection {
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]

    init(path: String) throws {
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "open failed"
            sqlite3_close_v2(handle)
            throw SQLiteError(code: rc, message: message)
        }
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? "exec failed"
            sqlite3_free(error)
            throw SQLiteError(code: rc, message: message)
        }
    }

    /// Runs a cached prepared statement, binding `arguments`, and calls `row` for each result row.
    func query(_ sql: String, _ arguments: [SQLiteValue] = [], row: (SQLiteRow) throws -> Void = { _ in }) throws {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (index, argument) in arguments.enumerated() {
            let position = Int32(index + 1)
            let rc: Int32
            switch argument {
            case .null:
                rc = sqlite3_bind_null(statement, position)
            case .integer(let value):
                rc = sqlite3_bind_int64(statement, position, value)
            case .text(let value):
                rc = sqlite3_bind_text(statement, position, value, -1, stowage_sqlite_transient())
            case .blob(let bytes):
                rc = bytes.withUnsafeBytes { raw in
                    // A zero-length blob must still bind as a blob, not NULL.
                    sqlite3_bind_blob(statement, position, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(raw.count), stowage_sqlite_transient())
                }
            }
            guard rc == SQLITE_OK else { throw SQLiteError(code: rc, message: errorMessage) }
        }
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_ROW {
                try row(SQLiteRow(statement: statement!))
            } else if rc == SQLITE_DONE {
                return
            } else {
                throw SQLiteError(code: rc, message: errorMessage)
            }
        }
    }

    /// Runs `body` in an IMMEDIATE transaction; commits if it returns, rolls back if it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` in a read transaction: every query in it sees the same committed state (in WAL
    /// mode, the snapshot taken at its first read).
    func snapshot<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        defer { try? execute("COMMIT") }
        return try body()
    }

    /// False when no transaction is open (SQLite may roll one back by itself, e.g. on SQLITE_FULL).
    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    private var errorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    private func prepared(_ sql: String) throws -> OpaquePointer? {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK else { throw SQLiteError(code: rc, message: errorMessage) }
        statements[sql] = statement
        return statement
    }
}

enum SQLiteValue {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])
}

/// One result row; valid only inside the `row` callback.
struct SQLiteRow {
    let statement: OpaquePointer

    func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(statement, column) else { return "" }
        return String(cString: pointer)
    }

    func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(statement, column))
        guard count > 0, let pointer = sqlite3_column_blob(statement, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

struct SQLiteError: Error, CustomStringConvertible {
    var code: Int32
    var message: String

    /// SQLITE_FULL, or an IO error caused by a full disk.
    var isFull: Bool { code & 0xFF == SQLITE_FULL || message.contains("disk is full") }

    var description: String { "SQLite error \(code): \(message)" }
}
