internal import S3Protocol

/// One endpoint of Stowage's own HTTP namespace, `/_stowage/…`, beside the S3 API.
///
/// An S3 bucket name never starts with `_`, so no path-style S3 request can fall in this
/// namespace. Parsing is a pure function of the method and the raw path; it authenticates nothing.
enum AdminEndpoint: Equatable {
    /// `POST /_stowage/admin/v1/heal?bucket=B&prefix=P`: heal (all buckets when `bucket` is absent).
    case heal
    /// `GET /_stowage/admin/v1/status`: drives, erasure sets and healing counters.
    case status
    /// `GET /_stowage/metrics`: Prometheus text, for whom `MetricsAccess` admits or a signature.
    case metrics

    /// Every path of the namespace starts with this.
    static let pathPrefix = "/_stowage/"

    /// Throws `S3Error`: `InvalidRequest` for a path the namespace does not have (there is no
    /// 404 S3 code that fits anything but buckets, keys, uploads and versions), and
    /// `MethodNotAllowed` for a known path with the wrong method.
    init(method: String, rawPath: String) throws {
        let expectedMethod: String
        switch rawPath {
        case "/_stowage/admin/v1/heal":
            self = .heal
            expectedMethod = "POST"
        case "/_stowage/admin/v1/status":
            self = .status
            expectedMethod = "GET"
        case "/_stowage/metrics":
            self = .metrics
            expectedMethod = "GET"
        default:
            throw S3Error(
                .invalidRequest,
                "Unknown Stowage endpoint. The admin API is POST /_stowage/admin/v1/heal and "
                    + "GET /_stowage/admin/v1/status; metrics are at GET /_stowage/metrics.")
        }
        guard method == expectedMethod else {
            throw S3Error(.methodNotAllowed, details: [("Method", method), ("ResourceType", "StowageAdmin")])
        }
    }
}
