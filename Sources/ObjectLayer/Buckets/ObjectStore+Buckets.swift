package import StowageCore

extension ObjectStore {
    package func createBucket(_ name: String, region: String) async throws {
        try await translate {
            try await sets.createBucket(BucketRecord(name: name, created: Self.nowMilliseconds(), region: region))
        }
    }

    package func bucket(_ name: String) async throws -> BucketRecord {
        guard let record = try await sets.bucket(named: name) else { throw ObjectLayerError(.noSuchBucket, name) }
        return record
    }

    package func listBuckets() async throws -> [BucketRecord] {
        try await sets.listBuckets()
    }

    package func deleteBucket(_ name: String) async throws {
        _ = try await bucket(name)
        // Empty by quorum: no version, delete marker or upload any set agrees on.
        let objects = try await translate { try await sets.listVersions(bucket: name, prefix: "", after: nil, limit: 1) }
        let uploads = try await translate {
            try await sets.listUploads(bucket: name, prefix: "", afterKey: nil, afterUploadID: nil, limit: 1)
        }
        guard objects.isEmpty, uploads.isEmpty else { throw ObjectLayerError(.bucketNotEmpty, name) }
        defer { inlineCache.clear() }
        try await translate { try await sets.deleteBucket(named: name) }
    }
}
