package import StowageCore

extension ObjectStore {
    /// HeadObject / the metadata half of GetObject: the version a read quorum agrees on. Drives
    /// that disagree queue the key for healing.
    package func headObject(bucket: String, key: String) async throws -> ObjectRecord {
        let resolved = try await sets.set(bucket: bucket, key: key).readObject(bucket: bucket, key: key)
        if !resolved.isUnanimous { heal.enqueue(bucket: bucket, key: key) }
        if let record = resolved.record { return record }
        try await requireBucket(bucket)
        throw ObjectLayerError(.noSuchKey, key)
    }

    /// The bytes of `record`, or of the inclusive byte `range` of it.
    package func objectBytes(_ record: ObjectRecord, range: ClosedRange<Int64>? = nil) -> ObjectByteStream {
        ObjectByteStream(store: self, record: record, range: range)
    }

    /// DeleteObject: removes the key; deleting a missing key succeeds, as in S3.
    package func deleteObject(bucket: String, key: String) async throws {
        try await requireBucket(bucket)
        let set = sets.set(bucket: bucket, key: key)
        try await locks.withLock(bucket + "/" + key) {
            try await translate { try await set.deleteObject(bucket: bucket, key: key) }
        }
    }
}
