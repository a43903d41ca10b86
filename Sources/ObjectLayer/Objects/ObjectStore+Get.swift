package import StowageCore

extension ObjectStore {
    /// HeadObject / the metadata half of GetObject: the version a read quorum agrees on. Drives
    /// that disagree queue the key for healing.
    package func headObject(bucket: String, key: String) async throws -> ObjectRecord {
        let resolved = try await sets.set(bucket: bucket, key: key).readObject(bucket: bucket, key: key)
        if !resolved.isUnanimous { heal.enqueue(bucket: bucket, key: key) }
        if let record = resolved.record {
            if record.isDeleteMarker { throw ObjectLayerError(.noSuchKey, key, deleteMarker: record) }
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
