/// A bucket as stored on every drive.
package struct BucketRecord: Codable, Sendable, Equatable {
    package var name: String
    /// Milliseconds since 1970.
    package var created: Int64
    package var region: String
    /// S3 versioning state; nil for a bucket that was never versioned.
    package var versioning: BucketVersioning?
    /// Milliseconds since 1970 of the last configuration change (nil until one): when drives
    /// disagree on a bucket's configuration and the vote ties, the newest wins.
    package var updated: Int64?
    /// S3 Object Ownership: nil for `BucketOwnerEnforced` (S3's setting for new buckets, and
    /// what buckets made before this field read as), `ObjectWriter` or `BucketOwnerPreferred`
    /// once set, and "" once the ownership controls were deleted.
    package var objectOwnership: String?
    /// S3 Block Public Access of the bucket: nil for S3's setting for new buckets (all four on),
    /// else as last put; `publicAccessBlockDeleted` once the configuration was deleted.
    package var publicAccessBlock: PublicAccessBlock?
    package var publicAccessBlockDeleted: Bool?

    package init(name: String, created: Int64, region: String) {
        self.name = name
        self.created = created
        self.region = region
    }
}

/// A bucket's versioning state once it has been set (it never goes back to unversioned).
package enum BucketVersioning: String, Codable, Sendable {
    case enabled = "Enabled"
    case suspended = "Suspended"
}

/// The four switches of S3 Block Public Access (`PublicAccessBlockConfiguration`).
package struct PublicAccessBlock: Codable, Sendable, Equatable {
    package var blockPublicAcls: Bool
    package var ignorePublicAcls: Bool
    package var blockPublicPolicy: Bool
    package var restrictPublicBuckets: Bool

    package init(blockPublicAcls: Bool, ignorePublicAcls: Bool, blockPublicPolicy: Bool, restrictPublicBuckets: Bool) {
        self.blockPublicAcls = blockPublicAcls
        self.ignorePublicAcls = ignorePublicAcls
        self.blockPublicPolicy = blockPublicPolicy
        self.restrictPublicBuckets = restrictPublicBuckets
    }

    /// What S3 sets on a new bucket: everything public blocked.
    package static let allBlocked = PublicAccessBlock(
        blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true)
}
