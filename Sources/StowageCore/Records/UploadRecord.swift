/// A multipart upload in progress: the metadata the completed object will carry.
package struct UploadRecord: Codable, Sendable, Equatable {
    package var uploadID: String
    package var bucket: String
    package var key: String
    /// Milliseconds since 1970.
    package var initiated: Int64
    package var systemMetadata: [String: String]
    package var userMetadata: [String: String]
    /// The checksum algorithm announced at creation (`x-amz-checksum-algorithm`), if any.
    package var checksumAlgorithm: String?
    package var checksumType: String?
    package var storageClass: String
    /// The erasure layout every part (and so the completed object) is written with; nil for
    /// uploads started before erasure coding (single drive).
    package var erasure: ErasureInfo?

    package init(
        uploadID: String, bucket: String, key: String, initiated: Int64,
        systemMetadata: [String: String], userMetadata: [String: String],
        checksumAlgorithm: String?, checksumType: String?, storageClass: String, erasure: ErasureInfo? = nil
    ) {
        self.uploadID = uploadID
        self.bucket = bucket
        self.key = key
        self.initiated = initiated
        self.systemMetadata = systemMetadata
        self.userMetadata = userMetadata
        self.checksumAlgorithm = checksumAlgorithm
        self.checksumType = checksumType
        self.storageClass = storageClass
        self.erasure = erasure
    }

    package var layout: ErasureInfo { erasure ?? .singleDrive() }
}

/// One uploaded part of a multipart upload.
package struct PartRecord: Codable, Sendable, Equatable {
    package var uploadID: String
    package var number: Int
    package var size: Int64
    package var etag: String
    package var lastModified: Int64
    package var shardID: ShardID
    package var checksums: [String: String]

    package init(
        uploadID: String, number: Int, size: Int64, etag: String, lastModified: Int64, shardID: ShardID,
        checksums: [String: String]
    ) {
        self.uploadID = uploadID
        self.number = number
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
        self.shardID = shardID
        self.checksums = checksums
    }
}
