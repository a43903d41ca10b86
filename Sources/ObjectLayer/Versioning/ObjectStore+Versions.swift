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
        try await changeBucket(name) { $0.versioning = state }
    }

    /// Changes the configuration of bucket `name` cluster-wide (versioning, ownership controls).
    package func changeBucket(_ name: String, _ change: (inout BucketRecord) -> Void) async throws {
        var record = try await bucket(name)
        change(&record)
        record.updated = Self.nowMilliseconds()
        do {
            try await translate { try await coordination.updateBucket(record, sets: sets) }
        } catch {
            await clearCaches(bucket: name)
            throw error
        }
        await clearCaches(bucket: name)
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
        let set = sets.set(bucket: bucket, key: key)
        let resolved = try await settled(set, bucket: bucket, key: key) {
            try await set.readVersion(bucket: bucket, key: key, versionID: versionID)
        }
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
        let set = sets.set(bucket: bucket, key: key)
        // A delete may write (a marker): drives that missed the bucket's creation get it first.
        let record = try await requireBucket(bucket, writingTo: set)
        if let versionID, !VersionClock.isWellFormed(versionID) {
            throw ObjectLayerError(.invalidArgument, "Invalid version id specified")
        }
        // A named version, or the only one a never-versioned bucket has, is removed outright.
        if let target = versionID ?? (record.versioning == nil ? "null" : nil) {
            let removed = try await coordination.withKeyLock(bucket + "/" + key, bucket: bucket) { fence in
                let told = await cachePeers?.beginWrite(bucket: bucket, key: key)
                let local = inlineCache.beginLocalWrite(bucket: bucket, key: key)
                do {
                    let removed = try await translate {
                        try await set.deleteVersion(bucket: bucket, key: key, versionID: target, fence: fence.token)
                    }
                    inlineCache.endWrite(bucket: bucket, key: key, tag: local)
                    if let told { await cachePeers?.endWrite(told) }
                    return removed
                } catch {
                    inlineCache.endWrite(bucket: bucket, key: key, tag: local)
                    if let told { await cachePeers?.endWrite(told) }
                    throw error
                }
            }
            // (A never-versioned bucket holds no delete markers.)
            return DeleteOutcome(versionID: versionID, deleteMarker: removed?.isDeleteMarker ?? false)
        }
        let marker = ObjectRecord.deleteMarker(bucket: bucket, key: key, lastModified: Self.nowMilliseconds())
        let committed = try await commit(marker, set: set, versioning: record.versioning, discarding: nil)
        return DeleteOutcome(versionID: committed.versionID, deleteMarker: true)
    }

    // MARK: Listing

    /// ListObjectVersions: versions and delete markers in key order, newest first within a key,
    /// after (`keyMarker`, `versionIDMarker`), with common prefixes rolled up as in ListObjects.
    package func listObjectVersions(
        bucket: String, prefix: String, delimiter: String?, keyMarker: String?, versionIDMarker: String?, maxKeys: Int
    ) async throws -> ListVersionsPage {
        try await requireBucket(bucket)
        var start: VersionCursor?
        /// The key whose newest versions an earlier page returned: its first entry here is not latest.
        var continuedKey: [UInt8]?
        if let keyMarker {
            let markerBytes = Array(keyMarker.utf8)
            if let rolled = Self.rolledUpStart(marker: markerBytes, prefix: prefix, delimiter: delimiter) {
                start = rolled
            } else {
                start = try await startCursor(bucket: bucket, key: keyMarker, versionIDMarker: versionIDMarker)
                if versionIDMarker != nil { continuedKey = markerBytes }
            }
        } else if versionIDMarker != nil {
            throw ObjectLayerError(.invalidArgument, "A version-id marker cannot be specified without a key marker.")
        }
        let scan = try await settledScan(bucket: bucket) {
            try await scanListing(
                prefix: prefix, delimiter: delimiter, maxKeys: maxKeys, from: start, cursorAfter: VersionCursor.init(after:)
            ) { cursor, limit in
                try await sets.listVersions(bucket: bucket, prefix: prefix, after: cursor, limit: limit)
            }
        }
        var page = ListVersionsPage(commonPrefixes: scan.commonPrefixes, isTruncated: scan.isTruncated)
        // Entries come newest first within a key: the first of each key is its latest version.
        var previousKey = continuedKey
        for record in scan.records {
            let keyBytes = Array(record.key.utf8)
            page.entries.append(VersionEntry(record: record, isLatest: previousKey != keyBytes))
            previousKey = keyBytes
        }
        if page.isTruncated {
            switch scan.last {
            case .record(let record):
                page.nextKeyMarker = record.key
                page.nextVersionIDMarker = record.versionID
            case .commonPrefix(let text): page.nextKeyMarker = text
            case nil: break
            }
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
