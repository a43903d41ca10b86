package import StowageCore

extension ObjectStore {
    package func createBucket(_ name: String, region: String, objectOwnership: String? = nil) async throws {
        var record = BucketRecord(name: name, created: Self.nowMilliseconds(), region: region)
        record.objectOwnership = objectOwnership
        try await translate { try await coordination.createBucket(record, sets: sets) }
    }

    package func bucket(_ name: String) async throws -> BucketRecord {
        guard let record = try await coordination.bucket(named: name, sets: sets) else { throw ObjectLayerError(.noSuchBucket, name) }
        return record
    }

    /// `bucket(_:)` for reads of objects: see `Coordination.recentBucket`.
    package func recentBucket(_ name: String) async throws -> BucketRecord {
        guard let record = try await coordination.recentBucket(named: name, sets: sets) else {
            throw ObjectLayerError(.noSuchBucket, name)
        }
        return record
    }

    package func listBuckets() async throws -> [BucketRecord] {
        try await coordination.listBuckets(sets: sets)
    }

    package func deleteBucket(_ name: String) async throws {
        _ = try await bucket(name)
        // Empty by quorum: no version or delete marker any set agrees on. Multipart uploads in
        // progress do not keep a bucket, as on AWS (only objects, versions and delete markers do):
        // they are aborted with it (`ErasureSets.deleteBucket`), parts and all.
        let objects = try await translate { try await sets.listVersions(bucket: name, prefix: "", after: nil, limit: 1) }
        guard objects.isEmpty else { throw ObjectLayerError(.bucketNotEmpty, name) }
        do {
            try await translate { try await coordination.deleteBucket(named: name, sets: sets) }
        } catch {
            await clearCaches(bucket: name)
            throw error
        }
        await clearCaches(bucket: name)
    }
}
