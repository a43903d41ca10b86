/// A bucket as stored on every drive.
package struct BucketRecord: Codable, Sendable, Equatable {
    package var name: String
    /// Milliseconds since 1970.
    package var created: Int64
    package var region: String

    package init(name: String, created: Int64, region: String) {
        self.name = name
        self.created = created
        self.region = region
    }
}
