package import StowageCore

/// What a DeleteObject did, for its response headers.
package struct DeleteOutcome: Sendable {
    /// The version removed, or of the delete marker created; nil in a never-versioned bucket.
    package var versionID: String?
    /// True when a delete marker was created, or the version removed was one.
    package var deleteMarker: Bool
}

/// One entry of a ListObjectVersions page.
package struct VersionEntry: Sendable {
    package var record: ObjectRecord
    package var isLatest: Bool
}

/// One page of a ListObjectVersions answer.
package struct ListVersionsPage: Sendable {
    package var entries: [VersionEntry] = []
    package var commonPrefixes: [String] = []
    package var isTruncated = false
    package var nextKeyMarker: String?
    package var nextVersionIDMarker: String?
}

extension ObjectStore {
    // MARK: Bucket versioning

    /// PutBucketVersioning. Once set, a bucket is never unversioned again (only suspended).
    package func setBucketVersioning(_ name: String, _ state: BucketVersioning) async throws {
        var record = try await bucket(name)
        record.versioning = state
        record.updated = Self.nowMilliseconds()
        defer { inlineCache.clear() }
        try await translate { try await sets.updateBucket(record) }
    }

    // MARK: Reads

    /// The current version (not a delete marker) or, with `versionID`, that version.
    /// A deleted key throws `noSuchKey` carrying its delete marker; a delete marker named by id
    /// throws `deleteMarkerVersion` (S3's 405).
    package func headObject(bucket: String, key: String, versionID: String?) async throws -> ObjectRecord {
        guard let versionID else { return try await headObject(bucket: bucket, key: key) }
        guard VersionClock.isWellFormed(versionID) else {
            throw ObjectLayerError(.invalidArgument, "Invalid version id specified")
        }
        let resolved = try await sets.set(bucket: bucket, key: key).readVersion(bucket: bucket, key: key, versionID: versionID)
        guard let record = resolved.record else {
            try await requireBucket(bucket)
            throw ObjectLayerError(.noSuchVersion, "\(key) \(versionID)")
        }
        if record.isDeleteMarker { throw ObjectLayerError(.deleteMarkerVersion, key, deleteMarker: record) }
        return record
    }

    // MARK: Deletes

    /// DeleteObject. Without a version id: removes the key in a never-versioned bucket, else puts
    /// a delete marker on top (id "null", replacing the null version, when suspended). With one:
    /// removes exactly that version; the next newest becomes current. Deleting what is not there
    /// succeeds, as in S3.
    package func deleteObject(bucket: String, key: String, versionID: String?) async throws -> DeleteOutcome {
        let record = try await self.bucket(bucket)
        let set = sets.set(bucket: bucket, key: key)
        if let versionID {
            guard VersionClock.isWellFormed(versionID) else {
                throw ObjectLayerError(.invalidArgument, "Invalid version id specified")
            }
            let removed = try await locks.withLock(bucket + "/" + key) {
                defer { inlineCache.invalidate(bucket: bucket, key: key) }
                return try await translate { try await set.deleteVersion(bucket: bucket, key: key, versionID: versionID) }
            }
            return DeleteOutcome(versionID: versionID, deleteMarker: removed?.isDeleteMarker ?? false)
        }
        guard record.versioning != nil else {
            try await locks.withLock(bucket + "/" + key) {
                defer { inlineCache.invalidate(bucket: bucket, key: key) }
                _ = try await translate { try await set.deleteVersion(bucket: bucket, key: key, versionID: "null") }
            }
            return DeleteOutcome(versionID: nil, deleteMarker: false)
        }
        let marker = ObjectRecord.deleteMarker(bucket: bucket, key: key, lastModified: Self.nowMilliseconds())
        let committed = try await commit(marker, set: set, discarding: nil)
        return DeleteOutcome(versionID: committed.versionID, deleteMarker: true)
    }

    // MARK: Listing

    /// ListObjectVersions: versions and delete markers in key order, newest first within a key,
    /// after (`keyMarker`, `versionIDMarker`), with common prefixes rolled up as in ListObjects.
    package func listObjectVersions(
        bucket: String, prefix: String, delimiter: String?, keyMarker: String?, versionIDMarker: String?, maxKeys: Int
    ) async throws -> ListVersionsPage {
        try await requireBucket(bucket)
        var page = ListVersionsPage()
        guard maxKeys > 0 else { return page }
        let prefixBytes = Array(prefix.utf8)
        let delimiterBytes = delimiter.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        var cursor: VersionCursor?
        var previousKey: [UInt8]?
        if let keyMarker {
            let markerBytes = Array(keyMarker.utf8)
            // A marker inside a rolled-up prefix continues after that whole prefix.
            if let delimiterBytes, let rolled = Self.commonPrefix(of: markerBytes, prefix: prefixBytes, delimiter: delimiterBytes),
                let bound = KeyOrder.upperBound(ofPrefix: rolled)
            {
                cursor = VersionCursor(key: bound, position: .atKey)
            } else {
                cursor = try await startCursor(bucket: bucket, key: keyMarker, versionIDMarker: versionIDMarker)
                if versionIDMarker != nil { previousKey = markerBytes }
            }
        } else if versionIDMarker != nil {
            throw ObjectLayerError(.invalidArgument, "A version-id marker cannot be specified without a key marker.")
        }
        var count = 0
        var last: (key: String, versionID: String?)?
        var batch = 1000
        scanning: while count < maxKeys {
            let limit = min(batch, maxKeys - count + 1)
            let records = try await translate {
                try await sets.listVersions(bucket: bucket, prefix: prefix, after: cursor, limit: limit)
            }
            if records.isEmpty { break }
            for record in records {
                let keyBytes = Array(record.key.utf8)
                if let delimiterBytes, let rolled = Self.commonPrefix(of: keyBytes, prefix: prefixBytes, delimiter: delimiterBytes) {
                    let text = String(decoding: rolled, as: UTF8.self)
                    page.commonPrefixes.append(text)
                    last = (text, nil)
                    count += 1
                    guard let bound = KeyOrder.upperBound(ofPrefix: rolled) else { break scanning }
                    cursor = VersionCursor(key: bound, position: .atKey)
                    previousKey = nil
                    batch = 2
                    continue scanning
                }
                page.entries.append(VersionEntry(record: record, isLatest: previousKey != keyBytes))
                previousKey = keyBytes
                last = (record.key, record.versionID)
                count += 1
                cursor = VersionCursor(after: record)
                if count == maxKeys { break scanning }
            }
            if records.count < limit { break }
            batch = min(batch * 4, 1000)
        }
        if count == maxKeys {
            let more = try await translate { try await sets.listVersions(bucket: bucket, prefix: prefix, after: cursor, limit: 1) }
            page.isTruncated = !more.isEmpty
        }
        if page.isTruncated, let last {
            page.nextKeyMarker = last.key
            page.nextVersionIDMarker = last.versionID
        }
        return page
    }

    /// Where a listing resumes after `key` (and the version `versionIDMarker` of it).
    private func startCursor(bucket: String, key: String, versionIDMarker: String?) async throws -> VersionCursor {
        let keyBytes = Array(key.utf8)
        guard let versionIDMarker, !versionIDMarker.isEmpty else { return VersionCursor(key: keyBytes, position: .afterKey) }
        guard VersionClock.isWellFormed(versionIDMarker) else {
            throw ObjectLayerError(.invalidArgument, "Invalid version id marker specified")
        }
        if let stamp = VersionClock.stamp(of: versionIDMarker) {
            return VersionCursor(key: keyBytes, position: .afterVersion(stamp: stamp, versionID: versionIDMarker))
        }
        // "null" carries no stamp: look the null version up; if it is gone, resume after the key.
        let resolved = try await sets.set(bucket: bucket, key: key).readVersion(bucket: bucket, key: key, versionID: "null")
        guard let record = resolved.record else { return VersionCursor(key: keyBytes, position: .afterKey) }
        return VersionCursor(after: record)
    }
}
