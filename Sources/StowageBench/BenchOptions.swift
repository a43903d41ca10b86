/// Everything a bench run needs, with every default resolved.
///
/// `init(profile:smoke:)` fills in the defaults of a profile (or of the quick smoke mode), and the
/// command line overrides single fields afterwards; `validate()` checks the result.
package struct BenchOptions: Sendable {
    package var profile: BenchProfile
    package var endpoint = BenchEndpoint(host: "127.0.0.1", port: 9000)
    /// Further endpoints (other nodes of a cluster): connection i goes to endpoint i mod count,
    /// `endpoint` first.
    package var moreEndpoints: [BenchEndpoint] = []
    package var accessKey = "stowageadmin"
    package var secretKey = "stowageadmin"
    package var region = "us-east-1"
    package var bucket = "stowage-bench"
    /// Keep-alive connections, each with one request in flight.
    package var concurrency: Int
    /// How long the measured run lasts; nil runs until `requestCount` (or, for `delete`, the keys) run out.
    package var durationSeconds: Double?
    /// At most this many requests in the measured run, across all connections; nil for no limit.
    package var requestCount: Int?
    /// Bytes per object written or read.
    package var objectSize: Int
    /// Distinct keys: written first by the profiles that read, list or delete; spread over by `put-small`.
    package var objectCount: Int
    /// Keys per ListObjectsV2 page (`max-keys`) and per DeleteObjects batch; at most 1,000.
    package var keysPerRequest: Int
    /// The server process whose memory is reported (Linux `/proc/PID/status`).
    package var serverPID: Int32?
    /// Whether the defaults were those of the smoke mode (reported, changes nothing else).
    package var smoke: Bool

    package init(profile: BenchProfile, smoke: Bool) {
        self.profile = profile
        self.smoke = smoke
        durationSeconds = smoke ? 2 : 10
        keysPerRequest = smoke ? 100 : 1000
        switch profile {
        case .putSmall, .getSmall, .mixed:
            concurrency = smoke ? 4 : 32
            objectSize = 4096
            objectCount = smoke ? 100 : 1000
        case .putLarge, .getLarge:
            concurrency = smoke ? 2 : 4
            objectSize = smoke ? 1 << 20 : 256 << 20
            objectCount = smoke ? 2 : 4
        case .list:
            concurrency = smoke ? 2 : 8
            objectSize = smoke ? 16 : 1024
            objectCount = smoke ? 250 : 5000
        case .delete:
            concurrency = smoke ? 2 : 8
            objectSize = smoke ? 16 : 1024
            objectCount = smoke ? 250 : 20_000
        }
    }

    /// Throws `BenchError` naming the first option out of range.
    package func validate() throws {
        guard concurrency >= 1, concurrency <= 10_000 else { throw BenchError("--concurrency must be 1 to 10000") }
        if let durationSeconds, !(durationSeconds > 0 && durationSeconds <= 86_400) {
            throw BenchError("--duration must be more than 0 and at most 86400 seconds")
        }
        if let requestCount, requestCount < 1 { throw BenchError("--requests must be at least 1") }
        guard durationSeconds != nil || requestCount != nil || profile == .delete else {
            throw BenchError("give --duration or --requests")
        }
        guard objectSize >= 0, objectSize <= 5 << 30 else { throw BenchError("--object-size must be 0 to 5 GiB") }
        guard objectCount >= 1, objectCount <= 100_000_000 else { throw BenchError("--object-count must be at least 1") }
        guard (1...1000).contains(keysPerRequest) else { throw BenchError("--keys-per-request must be 1 to 1000") }
        guard !bucket.isEmpty, bucket.utf8.allSatisfy(Self.isBucketNameByte) else {
            throw BenchError("--bucket must be a bucket name (lowercase letters, digits, '.', '-')")
        }
    }

    private static func isBucketNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
    }
}
