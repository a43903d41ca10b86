/// A request after routing: which S3 action it is and what it addresses.
///
/// Produced only by `S3Router.route`, which guarantees: `bucket` passed `BucketNameRules`
/// (and is nil exactly for `listBuckets`); `key` is nil exactly for service and bucket
/// operations, otherwise non-empty, valid UTF-8, at most 1024 bytes, and exactly as the client
/// encoded it (no path normalisation); `query` holds every parameter, decoded.
package struct S3Request: Sendable {
    package var operation: S3Operation
    /// nil for ListBuckets.
    package var bucket: String?
    /// Decoded UTF-8 key, nil for bucket operations.
    package var key: String?
    /// Decoded query parameters (first value wins), names case-sensitive as sent. A parameter
    /// without `=` (`?uploads`) has the value "".
    package var query: [String: String]
    /// The bucket the Host header names (virtual-hosted style; equal to `bucket` then), nil for
    /// path style. SigV2 signs it as a `/bucket` prefix of the path.
    package var hostBucket: String?

    package init(
        operation: S3Operation, bucket: String?, key: String?, query: [String: String], hostBucket: String? = nil
    ) {
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.query = query
        self.hostBucket = hostBucket
    }
}
