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
