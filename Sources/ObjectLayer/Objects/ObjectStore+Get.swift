package import StowageCore

/// What a GET or HEAD answers from: the version, and whether its bucket has versioning
/// configured (the `x-amz-version-id` of a null version depends on it).
package struct ObjectRead: Sendable {
    package var record: ObjectRecord
    package var bucketVersioned: Bool
}

extension ObjectStore {
    /// HeadObject / the metadata half of GetObject: the version a read quorum agrees on. Drives
    /// that disagree queue the key for healing.
    package func headObject(bucket: String, key: String) async throws -> ObjectRecord {
        try await readCurrent(bucket: bucket, key: key, needsVersioning: false).record
    }

    /// `headObject`, or with `versionID` that version, together with the bucket's versioning.
    /// The bucket is looked up only for a null version read from the drives: an id other than
    /// "null" is only made in a bucket with versioning (which is never turned off again), and a
    /// cached object carries the answer.
    package func readObject(bucket: String, key: String, versionID: String?) async throws -> ObjectRead {
        guard let versionID else { return try await readCurrent(bucket: bucket, key: key, needsVersioning: true) }
        let record = try await headObject(bucket: bucket, key: key, versionID: versionID)
        return ObjectRead(record: record, bucketVersioned: try await isVersioned(record))
    }

    /// Whether `record`'s bucket has versioning configured, looking it up only for a null version.
    package func isVersioned(_ record: ObjectRecord) async throws -> Bool {
        if record.versionID != "null" { return true }
        return try await recentBucket(record.bucket).versioning != nil
    }

    /// The current version; `bucketVersioned` is only looked up when `needsVersioning` (else it
    /// may be false for a null version of a versioned bucket).
    private func readCurrent(bucket: String, key: String, needsVersioning: Bool) async throws -> ObjectRead {
        if let cached = inlineCache.lookup(bucket: bucket, key: key) {
            return ObjectRead(record: cached.record, bucketVersioned: cached.bucketVersioned)
        }
        let generation = inlineCache.generation
        let resolved = try await sets.set(bucket: bucket, key: key).readObject(bucket: bucket, key: key)
        if !resolved.isUnanimous { heal.enqueue(bucket: bucket, key: key) }
        if let record = resolved.record {
            if record.isDeleteMarker { throw ObjectLayerError(.noSuchKey, key, deleteMarker: record) }
            let caches = record.inlineData != nil && inlineCache.capacity > 0 && inlineCache.generation == generation
            // One bucket lookup serves both the cache entry and the caller.
            guard caches || (needsVersioning && record.versionID == "null") else {
                return ObjectRead(record: record, bucketVersioned: record.versionID != "null")
            }
            let bucketVersioned = try await recentBucket(bucket).versioning != nil
            if caches { inlineCache.insert(record, bucketVersioned: bucketVersioned, readAt: generation) }
            return ObjectRead(record: record, bucketVersioned: bucketVersioned)
        }
        _ = try await recentBucket(bucket)
        throw ObjectLayerError(.noSuchKey, key)
    }

    /// The bytes of `record`, or of the inclusive byte `range` of it.
    package func objectBytes(_ record: ObjectRecord, range: ClosedRange<Int64>? = nil) -> ObjectByteStream {
        ObjectByteStream(store: self, record: record, range: range)
    }
}
