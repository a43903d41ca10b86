package import Histogram

/// Counters and latencies of one connection's requests, merged into one at the end of a run.
///
/// Each connection owns its own value, so recording takes no lock; `merge` adds the histograms.
/// Latencies are kept in microseconds (three significant digits) up to ten minutes; slower
/// requests are recorded as ten minutes.
package struct BenchStatistics: Sendable {
    /// The largest latency kept exactly, in microseconds.
    static let highestLatencyMicroseconds: UInt64 = 600_000_000

    /// Latencies of successful requests, in microseconds.
    package private(set) var latencies = Histogram<UInt32>(
        lowestDiscernibleValue: 1, highestTrackableValue: highestLatencyMicroseconds,
        numberOfSignificantValueDigits: .three)
    /// Requests answered with a 2xx status (and, for DeleteObjects, no per-key error).
    package private(set) var operations = 0
    /// Request and response body bytes of successful requests.
    package private(set) var bytes = 0
    /// Failed requests by cause: the HTTP status (`"503"`), `"network"` for a connection that
    /// failed mid-request, `"connect"` for one that could not be opened, or a finer cause that
    /// a profile detects (`"DeleteObjects-KeyError"`).
    package private(set) var errors: [String: Int] = [:]

    package init() {}

    package var errorCount: Int { errors.values.reduce(0, +) }

    mutating func recordSuccess(latencyMicroseconds: UInt64, bytes: Int) {
        operations += 1
        self.bytes += bytes
        _ = latencies.record(min(max(latencyMicroseconds, 1), Self.highestLatencyMicroseconds))
    }

    mutating func recordError(_ cause: String) {
        errors[cause, default: 0] += 1
    }

    /// Adds `other`'s counts and latencies to these.
    package mutating func merge(_ other: BenchStatistics) {
        operations += other.operations
        bytes += other.bytes
        latencies.add(other.latencies)
        errors.merge(other.errors, uniquingKeysWith: +)
    }
}
