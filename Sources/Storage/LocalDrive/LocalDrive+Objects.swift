package import StowageCore
internal import Synchronization

extension LocalDrive {
    // MARK: Buckets

    package func createBucket(_ bucket: BucketRecord) async throws {
        let bytes = try RecordCodec.encode(bucket)
        try await commit { db in
            var exists = false
            try db.query("SELECT 1 FROM buckets WHERE name = ?", [.text(bucket.name)]) { _ in exists = true }
            if exists { throw DriveError(.bucketExists, bucket.name) }
            try db.query("INSERT INTO buckets(name, record) VALUES(?, ?)", [.text(bucket.name), .blob(bytes)])
            return ((), [], [])
        }
        bucketCache.withLock { $0[bucket.name] = bucket }
    }

    package func bucket(named name: String) async throws -> BucketRecord? {
        bucketCache.withLock { $0[name] }
    }

    package func listBuckets() async throws -> [BucketRecord] {
        bucketCache.withLock { Array($0.values) }.sorted { $0.name < $1.name }
    }

    package func updateBucket(_ bucket: BucketRecord) async throws {
        let bytes = try RecordCodec.encode(bucket)
        try await commit { db in
            guard try Self.bucketExists(db, bucket.name) else { throw DriveError(.bucketNotFound, bucket.name) }
            try db.query("UPDATE buckets SET record = ? WHERE name = ?", [.blob(bytes), .text(bucket.name)])
            return ((), [], [])
        }
        bucketCache.withLock { $0[bucket.name] = bucket }
    }

    package func deleteBucket(named name: String) async throws {
        try await commit { db in
            var exists = false
            try db.query("SELECT 1 FROM buckets WHERE name = ?", [.text(name)]) { _ in exists = true }
            guard exists else { throw DriveError(.bucketNotFound, name) }
            var inUse = false
            try db.query("SELECT 1 FROM objects WHERE bucket = ? LIMIT 1", [.text(name)]) { _ in inUse = true }
            try db.query("SELECT 1 FROM versions WHERE bucket = ? LIMIT 1", [.text(name)]) { _ in inUse = true }
            try db.query("SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1", [.text(name)]) { _ in inUse = true }
            if inUse { throw DriveError(.bucketNotEmpty, name) }
            try db.query("DELETE FROM buckets WHERE name = ?", [.text(name)])
            try db.query("DELETE FROM fences WHERE bucket = ?", [.text(name)])
            return ((), [], [])
        }
        bucketCache.withLock { _ = $0.removeValue(forKey: name) }
    }

    /// All bucket records, read once at open into `bucketCache` (buckets are few).
    static func loadBuckets(_ index: MetadataIndex) throws -> [String: BucketRecord] {
        let rows = try index.read { db -> [[UInt8]] in
            var rows: [[UInt8]] = []
            try db.query("SELECT record FROM buckets") { rows.append($0.blob(0)) }
            return rows
        }
        var buckets: [String: BucketRecord] = [:]
        for row in rows {
            let bucket = try RecordCodec.decode(BucketRecord.self, from: row)
            buckets[bucket.name] = bucket
        }
        return buckets
    }

    // MARK: Objects

    package func readObject(bucket: String, key: String) async throws -> ObjectRecord? {
        try await read { db in
            if let current = try Self.currentRow(db, bucket, key) { return current.record }
            // No current object: the newest version, if any, is a delete marker. Both tables are
            // read again in one snapshot, so a version moving between them is not missed.
            return try db.snapshot { try Self.latest(db, bucket, key) }
        }
    }

    package func readObject(bucket: String, key: String, fence: Int64) async throws -> ObjectRecord? {
        // A token already raised this far needs no write (and no sync).
        let seen = try await read { db in try Self.fenceToken(db, bucket, key) }
        if let seen, seen >= fence {
            guard seen == fence else { throw Self.fencedError(bucket, key, fence, seen) }
            return try await readObject(bucket: bucket, key: key)
        }
        return try await commit { db in
            try Self.checkFence(db, bucket, key, fence)
            return (try Self.latest(db, bucket, key), [], [])
        }
    }

    package func readVersion(bucket: String, key: String, versionID: String) async throws -> ObjectRecord? {
        try await readSnapshot { db in try Self.version(db, bucket, key, versionID) }
    }

    package func commitObject(_ record: ObjectRecord, fence: Int64?) async throws -> ObjectRecord? {
        let bytes = try RecordCodec.encode(record)
        return try await commit { db in
            guard try Self.bucketExists(db, record.bucket) else { throw DriveError(.bucketNotFound, record.bucket) }
            try Self.checkFence(db, record.bucket, record.key, fence)
            let stagedNow = try self.requireShards(of: record)
            let replaced = try Self.place(db, record, bytes: bytes)
            let previouslyOwned = Set(replaced?.shardIDs ?? [])
            // A shard the record already owned is staged again when healing rewrote it.
            let staged = record.shardIDs.filter { !previouslyOwned.contains($0) || stagedNow.contains($0) }
            return (replaced, staged, Self.freedShards(replaced, keeping: record))
        }
    }

    package func deleteVersion(bucket: String, key: String, versionID: String, fence: Int64?) async throws
        -> ObjectRecord?
    {
        try await commit { db in
            try Self.checkFence(db, bucket, key, fence)
            let removed = try Self.removeVersion(db, bucket, key, versionID)
            if removed != nil { try Self.normalize(db, bucket, key) }
            return (removed, [], Self.freedShards(removed, keeping: nil))
        }
    }

    package func listVersions(bucket: String, prefix: String, after: VersionCursor?, limit: Int) async throws
        -> [ObjectRecord]
    {
        try await readSnapshot { db in try Self.versions(db, bucket: bucket, prefix: prefix, after: after, limit: limit) }
    }

    package func listObjects(bucket: String, prefix: String, after: [UInt8]?, inclusive: Bool, limit: Int)
        async throws -> [ObjectRecord]
    {
        let rows = try await read { db -> [[UInt8]] in
            var rows: [[UInt8]] = []
            let prefixBytes = Array(prefix.utf8)
            var lower = prefixBytes
            var lowerInclusive = true
            if let after, after.lexicographicallyPrecedes(prefixBytes) == false {
                lower = after
                lowerInclusive = inclusive
            }
            var sql = "SELECT record FROM objects WHERE bucket = ? AND key \(lowerInclusive ? ">=" : ">") ?"
            var arguments: [SQLiteValue] = [.text(bucket), .blob(lower)]
            if let upper = KeyOrder.upperBound(ofPrefix: prefixBytes) {
                sql += " AND key < ?"
                arguments.append(.blob(upper))
            }
            sql += " ORDER BY key LIMIT ?"
            arguments.append(.integer(Int64(limit)))
            try db.query(sql, arguments) { rows.append($0.blob(0)) }
            return rows
        }
        return try rows.map { try RecordCodec.decode(ObjectRecord.self, from: $0) }
    }

    // MARK: Helpers inside transactions

    /// Refuses a record that names a shard this drive does not hold (staged, committed, or in
    /// the trash): the drive cannot serve it, so it must not count towards the write's quorum.
    /// The simulation found a write acknowledged by records on enough drives but its shards on
    /// too few: two drives had restarted between the shard writes and the commit, losing the
    /// staged shards, and took the record anyway.
    /// Returns the shards found staged (the rest are committed or in the trash).
    @discardableResult
    func requireShards(of record: ObjectRecord) throws -> Set<ShardID> {
        var staged = Set<ShardID>()
        for id in record.shardIDs {
            if POSIXFile.exists(stagedPath(id)) {
                staged.insert(id)
            } else if !POSIXFile.exists(committedPath(id)) && !POSIXFile.exists(trashPath(id)) {
                throw DriveError(.notFound, "\(record.bucket)/\(record.key): shard \(id) is not on this drive")
            }
        }
        return staged
    }

    /// Refuses a change whose lock token is older than the newest seen for the key, and
    /// otherwise remembers its token (see the fencing contract of `Drive`). Kept per key even
    /// after the key's last version goes, so a stalled writer cannot bring back a deleted key
    /// on a stale condition.
    static func checkFence(_ db: SQLiteConnection, _ bucket: String, _ key: String, _ fence: Int64?) throws {
        guard let fence else { return }
        let seen = try fenceToken(db, bucket, key)
        if let seen, seen > fence { throw fencedError(bucket, key, fence, seen) }
        if seen != fence {
            try db.query(
                "INSERT OR REPLACE INTO fences(bucket, key, token) VALUES(?, ?, ?)",
                [.text(bucket), .blob(Array(key.utf8)), .integer(fence)])
        }
    }

    /// The newest lock token seen for the key, if any.
    static func fenceToken(_ db: SQLiteConnection, _ bucket: String, _ key: String) throws -> Int64? {
        var seen: Int64?
        try db.query("SELECT token FROM fences WHERE bucket = ? AND key = ?", [.text(bucket), .blob(Array(key.utf8))]) {
            seen = $0.integer(0)
        }
        return seen
    }

    static func fencedError(_ bucket: String, _ key: String, _ fence: Int64, _ seen: Int64) -> DriveError {
        DriveError(.fenced, "\(bucket)/\(key): lock token \(fence) is older than \(seen)")
    }

    static func bucketExists(_ db: SQLiteConnection, _ bucket: String) throws -> Bool {
        var exists = false
        try db.query("SELECT 1 FROM buckets WHERE name = ?", [.text(bucket)]) { _ in exists = true }
        return exists
    }
}
