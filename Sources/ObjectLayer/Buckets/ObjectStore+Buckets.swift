package import StowageCore

extension ObjectStore {
    package func createBucket(_ name: String, region: String) async throws {
        try await requireSpace(0)
        try await translate {
            try await drive.createBucket(BucketRecord(name: name, created: Self.nowMilliseconds(), region: region))
        }
    }

    package func bucket(_ name: String) async throws -> BucketRecord {
        guard let record = try await drive.bucket(named: name) else { throw ObjectLayerError(.noSuchBucket, name) }
        return record
    }

    package func listBuckets() async throws -> [BucketRecord] {
        try await drive.listBuckets()
    }

    package func deleteBucket(_ name: String) async throws {
        try await translate { try await drive.deleteBucket(named: name) }
    }
}
