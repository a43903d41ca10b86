internal import StowageCore

/// The version stack of a key in the index.
///
/// Two tables hold it: `objects` has the current version when it is not a delete marker (one row
/// per key, so ListObjects and a plain GET read one ordered table, whatever the history), and
/// `versions` has every other version: noncurrent ones and a current delete marker, ordered by
/// (key, -stamp, version id). Invariant, restored by `normalize` after every change: an
/// `objects` row is newer than every `versions` row of its key, and the newest `versions` row is
/// a delete marker when there is no `objects` row.
extension LocalDrive {
    /// A record and the encoded bytes it was read from (moved between tables unchanged).
    struct StoredVersion {
        var record: ObjectRecord
        var bytes: [UInt8]
    }

    /// The one record `sql` selects (first column), decoded, with its bytes.
    private static func storedRow(_ db: SQLiteConnection, _ sql: String, _ arguments: [SQLiteValue]) throws -> StoredVersion? {
        var found: [UInt8]?
        try db.query(sql, arguments) { found = $0.blob(0) }
        return try found.map { StoredVersion(record: try RecordCodec.decode(ObjectRecord.self, from: $0), bytes: $0) }
    }

    static func currentRow(_ db: SQLiteConnection, _ bucket: String, _ key: String) throws -> StoredVersion? {
        try storedRow(db, "SELECT record FROM objects WHERE bucket = ? AND key = ?", [.text(bucket), .blob(Array(key.utf8))])
    }

    static func newestVersionRow(_ db: SQLiteConnection, _ bucket: String, _ key: String) throws -> StoredVersion? {
        try storedRow(
            db, "SELECT record FROM versions WHERE bucket = ? AND key = ? ORDER BY neg_stamp, version_id LIMIT 1",
            [.text(bucket), .blob(Array(key.utf8))])
    }

    static func versionRow(_ db: SQLiteConnection, _ bucket: String, _ key: String, _ versionID: String) throws
        -> StoredVersion?
    {
        try storedRow(
            db, "SELECT record FROM versions WHERE bucket = ? AND key = ? AND version_id = ? LIMIT 1",
            [.text(bucket), .blob(Array(key.utf8)), .text(versionID)])
    }

    /// The newest version of the key, delete markers included.
    static func latest(_ db: SQLiteConnection, _ bucket: String, _ key: String) throws -> ObjectRecord? {
        if let current = try currentRow(db, bucket, key) { return current.record }
        return try newestVersionRow(db, bucket, key)?.record
    }

    static func version(_ db: SQLiteConnection, _ bucket: String, _ key: String, _ versionID: String) throws
        -> ObjectRecord?
    {
        if let current = try currentRow(db, bucket, key), current.record.versionID == versionID { return current.record }
        return try versionRow(db, bucket, key, versionID)?.record
    }

    private static func insertVersionRow(_ db: SQLiteConnection, _ stored: StoredVersion) throws {
        let record = stored.record
        try db.query(
            "INSERT OR REPLACE INTO versions(bucket, key, neg_stamp, version_id, record) VALUES(?, ?, ?, ?, ?)",
            [.text(record.bucket), .blob(Array(record.key.utf8)), .integer(0 &- record.versionStamp),
             .text(record.versionID), .blob(stored.bytes)]
        )
    }

    private static func deleteVersionRow(_ db: SQLiteConnection, _ record: ObjectRecord) throws {
        try db.query(
            "DELETE FROM versions WHERE bucket = ? AND key = ? AND neg_stamp = ? AND version_id = ?",
            [.text(record.bucket), .blob(Array(record.key.utf8)), .integer(0 &- record.versionStamp), .text(record.versionID)]
        )
    }

    private static func setCurrentRow(_ db: SQLiteConnection, _ stored: StoredVersion) throws {
        try db.query(
            "INSERT OR REPLACE INTO objects(bucket, key, record) VALUES(?, ?, ?)",
            [.text(stored.record.bucket), .blob(Array(stored.record.key.utf8)), .blob(stored.bytes)]
        )
    }

    private static func deleteCurrentRow(_ db: SQLiteConnection, _ bucket: String, _ key: String) throws {
        try db.query("DELETE FROM objects WHERE bucket = ? AND key = ?", [.text(bucket), .blob(Array(key.utf8))])
    }

    /// Removes the version with this id; returns it.
    static func removeVersion(_ db: SQLiteConnection, _ bucket: String, _ key: String, _ versionID: String) throws
        -> ObjectRecord?
    {
        if let current = try currentRow(db, bucket, key), current.record.versionID == versionID {
            try deleteCurrentRow(db, bucket, key)
            return current.record
        }
        guard let row = try versionRow(db, bucket, key, versionID) else { return nil }
        try deleteVersionRow(db, row.record)
        return row.record
    }

    /// Puts `record` into its key's stack in stamp order, replacing the version with its id.
    /// Returns the replaced version. Reads the current row once; in a bucket that was never
    /// versioned the `versions` probes find nothing and decode nothing.
    static func place(_ db: SQLiteConnection, _ record: ObjectRecord, bytes: [UInt8]) throws -> ObjectRecord? {
        let current = try currentRow(db, record.bucket, record.key)
        var replaced: ObjectRecord?
        // The current row that stays (as a version or as current) besides `record`.
        var kept = current
        if let current, current.record.versionID == record.versionID {
            replaced = current.record
            kept = nil
        } else if let row = try versionRow(db, record.bucket, record.key, record.versionID) {
            try deleteVersionRow(db, row.record)
            replaced = row.record
        }
        let stored = StoredVersion(record: record, bytes: bytes)
        var nowCurrent: StoredVersion?
        if record.isDeleteMarker {
            if current != nil && kept == nil { try deleteCurrentRow(db, record.bucket, record.key) }
            try insertVersionRow(db, stored)
            nowCurrent = kept
        } else if let kept, !record.isNewer(than: kept.record) {
            try insertVersionRow(db, stored)
            nowCurrent = kept
        } else {
            if let kept { try insertVersionRow(db, kept) }
            try setCurrentRow(db, stored)
            nowCurrent = stored
        }
        // With a kept current row and a new version placed around it, the newest version is
        // current already (the invariant held before: `kept` was newer than every stored
        // version); only a replaced current row or a delete marker can leave a newer one below.
        if kept == nil || record.isDeleteMarker {
            try normalize(db, record.bucket, record.key, current: nowCurrent)
        }
        return replaced
    }

    /// Restores the invariant: the `objects` row, when present, is the newest version.
    static func normalize(_ db: SQLiteConnection, _ bucket: String, _ key: String) throws {
        try normalize(db, bucket, key, current: try currentRow(db, bucket, key))
    }

    /// `normalize` when the caller knows the `objects` row (`current`).
    private static func normalize(_ db: SQLiteConnection, _ bucket: String, _ key: String, current: StoredVersion?) throws {
        guard let top = try newestVersionRow(db, bucket, key) else { return }
        if let current, current.record.isNewer(than: top.record) { return }
        if let current {
            try deleteCurrentRow(db, bucket, key)
            try insertVersionRow(db, current)
        }
        if !top.record.isDeleteMarker {
            try deleteVersionRow(db, top.record)
            try setCurrentRow(db, top)
        }
    }

    /// The shards of `replaced` that no remaining version of the key uses.
    static func freedShards(_ replaced: ObjectRecord?, keeping record: ObjectRecord?) -> [ShardID] {
        guard let replaced else { return [] }
        let kept = Set(record?.shardIDs ?? [])
        return replaced.shardIDs.filter { !kept.contains($0) }
    }

    /// Up to `limit` versions after `cursor` in listing order, from both tables.
    static func versions(_ db: SQLiteConnection, bucket: String, prefix: String, after cursor: VersionCursor?, limit: Int)
        throws -> [ObjectRecord]
    {
        let prefixBytes = Array(prefix.utf8)
        let upper = KeyOrder.upperBound(ofPrefix: prefixBytes)
        var start = VersionCursor(key: prefixBytes, position: .atKey)
        if let cursor, !cursor.key.lexicographicallyPrecedes(prefixBytes) { start = cursor }
        var currentSQL = "SELECT record FROM objects WHERE bucket = ? AND key \(start.position == .afterKey ? ">" : ">=") ?"
        var currentArguments: [SQLiteValue] = [.text(bucket), .blob(start.key)]
        var versionSQL = "SELECT record FROM versions WHERE bucket = ? AND "
        var versionArguments: [SQLiteValue] = [.text(bucket)]
        switch start.position {
        case .atKey:
            versionSQL += "key >= ?"
            versionArguments.append(.blob(start.key))
        case .afterKey:
            versionSQL += "key > ?"
            versionArguments.append(.blob(start.key))
        case .afterVersion(let stamp, let versionID):
            versionSQL += "(key, neg_stamp, version_id) > (?, ?, ?)"
            versionArguments += [.blob(start.key), .integer(0 &- stamp), .text(versionID)]
        }
        if let upper {
            currentSQL += " AND key < ?"
            currentArguments.append(.blob(upper))
            versionSQL += " AND key < ?"
            versionArguments.append(.blob(upper))
        }
        currentSQL += " ORDER BY key LIMIT ?"
        currentArguments.append(.integer(Int64(limit + 1)))
        versionSQL += " ORDER BY key, neg_stamp, version_id LIMIT ?"
        versionArguments.append(.integer(Int64(limit)))
        var currentRows: [[UInt8]] = []
        var versionRows: [[UInt8]] = []
        try db.query(currentSQL, currentArguments) { currentRows.append($0.blob(0)) }
        try db.query(versionSQL, versionArguments) { versionRows.append($0.blob(0)) }
        let currents = try currentRows.map { try RecordCodec.decode(ObjectRecord.self, from: $0) }.filter(start.admits)
        let others = try versionRows.map { try RecordCodec.decode(ObjectRecord.self, from: $0) }
        // Merge two ordered lists; each holds at least the first `limit` of its table.
        var merged: [ObjectRecord] = []
        merged.reserveCapacity(min(limit, currents.count + others.count))
        var i = 0
        var j = 0
        while merged.count < limit && (i < currents.count || j < others.count) {
            if j == others.count || (i < currents.count && VersionCursor.precedes(currents[i], others[j])) {
                merged.append(currents[i])
                i += 1
            } else {
                merged.append(others[j])
                j += 1
            }
        }
        return merged
    }
}
