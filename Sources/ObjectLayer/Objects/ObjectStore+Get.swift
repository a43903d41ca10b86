package import StowageCore

extension ObjectStore {
    /// HeadObject / the metadata half of GetObject: the version a read quorum agrees on. Drives
    /// that disagree queue the key for healing.
    package func headObject(bucket: String, key: String) async throws -> ObjectRecord {
        if let cached = inlineCache.lookup(bucket: bucket, key: key) { return cached.record }
        let generation = inlineCache.generation
        let resolved = try await sets.set(bucket: bucket, key: key).readObject(bucket: bucket, key: key)
        if !resolved.isUnanimous { heal.enqueue(bucket: bucket, key: key) }
        if let record = resolved.record {
            if record.isDeleteMarker { throw ObjectLayerError(.noSuchKey, key, deleteMarker: record) }
            if record.inlineData != nil, inlineCache.capacity > 0, inlineCache.generation == generation,
                let bucketRecord = try await sets.bucket(named: bucket)
            {
                inlineCache.insert(record, bucketVersioned: bucketRecord.versioning != nil, readAt: generation)
            }
            return record
        }
        try await requireBucket(bucket)
        throw ObjectLayerError(.noSuchKey, key)
    }

    /// The bytes of `record`, or of the inclusive byte `range` of it.
    package func objectBytes(_ record: ObjectRecord, range: ClosedRange<Int64>? = nil) -> ObjectByteStream {
        ObjectByteStream(store: self, record: record, range: range)
    }
}
