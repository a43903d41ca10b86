/// A workload of `stowage bench`: which S3 operation is measured, and what is set up first.
///
/// Every profile creates its bucket when missing and keeps its objects under its own key prefix
/// (`<profile>/`), so profiles run against one bucket do not disturb each other.
package enum BenchProfile: String, CaseIterable, Sendable {
    /// PutObject of small objects (4 KiB by default), keys spread over the object count.
    case putSmall = "put-small"
    /// GetObject of random small objects from a set written beforehand.
    case getSmall = "get-small"
    /// PutObject of large objects (256 MiB by default), the body streamed from one reusable buffer.
    case putLarge = "put-large"
    /// GetObject of large objects written beforehand; the body is counted and dropped as it arrives.
    case getLarge = "get-large"
    /// 70% GetObject and 30% PutObject of random small objects from a set written beforehand.
    case mixed
    /// ListObjectsV2 pages (1,000 keys by default) over a prefix written beforehand, each
    /// connection paging through it again and again.
    case list
    /// DeleteObjects batches (1,000 keys by default) over keys written beforehand; the run ends
    /// when every key is deleted, whatever the duration.
    case delete

    /// One line per profile, for `--help`.
    package static var summary: String {
        allCases.map { "\($0.rawValue): \($0.abstract)" }.joined(separator: "\n")
    }

    package var abstract: String {
        switch self {
        case .putSmall: "PUT small objects (4 KiB), keys spread over --object-count"
        case .getSmall: "GET random small objects from --object-count written first"
        case .putLarge: "PUT large objects (256 MiB), streamed"
        case .getLarge: "GET large objects written first, streamed"
        case .mixed: "70% GET / 30% PUT of small objects written first"
        case .list: "ListObjectsV2 pages over --object-count keys written first"
        case .delete: "DeleteObjects batches over --object-count keys written first"
        }
    }

    /// Large-object profiles stream bodies of `--object-size` bytes.
    package var isLarge: Bool { self == .putLarge || self == .getLarge }

    /// Whether `--object-count` objects are written before the measured run.
    package var writesObjectsFirst: Bool { self != .putSmall && self != .putLarge }

    /// The key prefix this profile's objects live under.
    var keyPrefix: String { rawValue + "/" }
}
