package import StowageCore

extension LocalDrive {
    package func createUpload(_ upload: UploadRecord) async throws {
        let bytes = try RecordCodec.encode(upload)
        try await commit { db in
            guard try Self.bucketExists(db, upload.bucket) else { throw DriveError(.bucketNotFound, upload.bucket) }
            try db.query(
                "INSERT INTO uploads(upload_id, bucket, key, record) VALUES(?, ?, ?, ?)",
                [.text(upload.uploadID), .text(upload.bucket), .blob(Array(upload.key.utf8)), .blob(bytes)]
            )
            return ((), [], [])
        }
    }

    package func upload(id: String) async throws -> UploadRecord? {
        let bytes = try await read { db in try Self.uploadBytes(db, id) }
        return try bytes.map { try RecordCodec.decode(UploadRecord.self, from: $0) }
    }

    package func listUploads(bucket: String, prefix: String, afterKey: String?, afterUploadID: String?, limit: Int)
        async throws -> [UploadRecord]
    {
        let rows = try await read { db -> [[UInt8]] in
            var rows: [[UInt8]] = []
            var sql = "SELECT record FROM uploads WHERE bucket = ? AND key >= ?"
            var arguments: [SQLiteValue] = [.text(bucket), .blob(Array(prefix.utf8))]
            if let upper = KeyOrder.upperBound(ofPrefix: Array(prefix.utf8)) {
                sql += " AND key < ?"
                arguments.append(.blob(upper))
            }
            if let afterKey {
                if let afterUploadID {
                    sql += " AND (key > ? OR (key = ? AND upload_id > ?))"
                    arguments += [.blob(Array(afterKey.utf8)), .blob(Array(afterKey.utf8)), .text(afterUploadID)]
                } else {
                    sql += " AND key > ?"
                    arguments.append(.blob(Array(afterKey.utf8)))
                }
            }
            sql += " ORDER BY key, upload_id LIMIT ?"
            arguments.append(.integer(Int64(limit)))
            try db.query(sql, arguments) { rows.append($0.blob(0)) }
            return rows
        }
        return try rows.map { try RecordCodec.decode(UploadRecord.self, from: $0) }
    }

    package func commitPart(_ part: PartRecord) async throws {
        let bytes = try RecordCodec.encode(part)
        try await commit { db in
            guard try Self.uploadBytes(db, part.uploadID) != nil else { throw DriveError(.uploadNotFound, part.uploadID) }
            var previous: PartRecord?
            try db.query("SELECT record FROM parts WHERE upload_id = ? AND number = ?", [.text(part.uploadID), .integer(Int64(part.number))]) {
                previous = try RecordCodec.decode(PartRecord.self, from: $0.blob(0))
            }
            try db.query(
                "INSERT OR REPLACE INTO parts(upload_id, number, record) VALUES(?, ?, ?)",
                [.text(part.uploadID), .integer(Int64(part.number)), .blob(bytes)]
            )
            let dropped = previous.map { $0.shardID == part.shardID ? [] : [$0.shardID] } ?? []
            return ((), [part.shardID], dropped)
        }
    }

    package func listParts(uploadID: String) async throws -> [PartRecord] {
        let rows = try await read { db -> [[UInt8]] in
            var rows: [[UInt8]] = []
            try db.query("SELECT record FROM parts WHERE upload_id = ? ORDER BY number", [.text(uploadID)]) { rows.append($0.blob(0)) }
            return rows
        }
        return try rows.map { try RecordCodec.decode(PartRecord.self, from: $0) }
    }

    package func completeUpload(uploadID: String, object: ObjectRecord, fence: Int64?) async throws -> ObjectRecord? {
        let bytes = try RecordCodec.encode(object)
        return try await commit { db in
            guard try Self.uploadBytes(db, uploadID) != nil else { throw DriveError(.uploadNotFound, uploadID) }
            guard try Self.bucketExists(db, object.bucket) else { throw DriveError(.bucketNotFound, object.bucket) }
            try Self.checkFence(db, object.bucket, object.key, fence)
            try self.requireShards(of: object)
            var partShards: [ShardID] = []
            try db.query("SELECT record FROM parts WHERE upload_id = ?", [.text(uploadID)]) {
                partShards.append(try RecordCodec.decode(PartRecord.self, from: $0.blob(0)).shardID)
            }
            let replaced = try Self.place(db, object, bytes: bytes)
            try db.query("DELETE FROM parts WHERE upload_id = ?", [.text(uploadID)])
            try db.query("DELETE FROM uploads WHERE upload_id = ?", [.text(uploadID)])
            let used = Set(object.shardIDs)
            let dropped = partShards.filter { !used.contains($0) } + Self.freedShards(replaced, keeping: object)
            return (replaced, [], dropped)
        }
    }

    package func abortUpload(uploadID: String) async throws {
        try await commit { db in
            guard try Self.uploadBytes(db, uploadID) != nil else { throw DriveError(.uploadNotFound, uploadID) }
            var partShards: [ShardID] = []
            try db.query("SELECT record FROM parts WHERE upload_id = ?", [.text(uploadID)]) {
                partShards.append(try RecordCodec.decode(PartRecord.self, from: $0.blob(0)).shardID)
            }
            try db.query("DELETE FROM parts WHERE upload_id = ?", [.text(uploadID)])
            try db.query("DELETE FROM uploads WHERE upload_id = ?", [.text(uploadID)])
            return ((), [], partShards)
        }
    }

    static func uploadBytes(_ db: SQLiteConnection, _ id: String) throws -> [UInt8]? {
        var found: [UInt8]?
        try db.query("SELECT record FROM uploads WHERE upload_id = ?", [.text(id)]) { found = $0.blob(0) }
        return found
    }
}
