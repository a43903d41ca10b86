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
        let set = sets.set(bucket: bucket, key: key)
        let resolved = try await settled(set, bucket: bucket, key: key) { try await set.readObject(bucket: bucket, key: key) }
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

    /// `read()`, when fewer than a write quorum of drives hold its answer, made safe to serve:
    /// - written back first when the drives that did not answer could overturn it
    ///   (`ErasureSet.needsWriteBack`): the key is healed to what this read resolved, and read again;
    /// - then read again under the key's lock, where no writer is between its first drive and its
    ///   outcome: a write on its way to the drives, or one refused and about to be put back, would
    ///   otherwise be served and then vanish (the chaos runs found a DELETE refused with 507, seen as
    ///   404 by two reads before its rollback brought the object back).
    /// A read that still needs a write-back (the drives to write to are away) answers 503.
    func settled(
        _ set: ErasureSet, bucket: String, key: String, _ read: () async throws -> ResolvedRecord
    ) async throws -> ResolvedRecord {
        var resolved = try await read()
        guard set.slots.count > 1, resolved.agreeing.count < set.metadataWriteQuorum else { return resolved }
        if set.needsWriteBack(resolved) {
            _ = await healObject(bucket: bucket, key: key, deep: false)
            resolved = try await read()
            if resolved.agreeing.count >= set.metadataWriteQuorum { return resolved }
        }
        resolved = try await translate { try await coordination.withKeyLock(bucket + "/" + key) { _ in try await read() } }
        guard !set.needsWriteBack(resolved) else {
            throw ObjectLayerError(.insufficientDrives, "\(bucket)/\(key): drives disagree and the answer could not be written back")
        }
        return resolved
    }

    /// The bytes of `record`, or of the inclusive byte `range` of it.
    package func objectBytes(_ record: ObjectRecord, range: ClosedRange<Int64>? = nil) -> ObjectByteStream {
        ObjectByteStream(store: self, record: record, range: range)
    }
}
