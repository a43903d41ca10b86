package import StowageCore

extension ObjectStore {
    /// HeadObject / the metadata half of GetObject.
    package func headObject(bucket: String, key: String) async throws -> ObjectRecord {
        if let record = try await drive.readObject(bucket: bucket, key: key) { return record }
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
        _ = try await translate { try await drive.deleteObject(bucket: bucket, key: key) }
    }
}
