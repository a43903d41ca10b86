public import Hummingbird
internal import Logging
internal import S3Protocol
internal import StowageCore

/// Everything known about one S3 request once it is routed and authenticated.
struct S3Call: Sendable {
    let request: Request
    let route: S3Request
    let auth: VerifiedRequest
    let requestID: String
    let logger: Logger
    /// Header values by lowercased name (repeated headers joined with ",").
    let headers: [String: String]

    var bucket: String { route.bucket ?? "" }
    var key: String { route.key ?? "" }
    func header(_ name: String) -> String? { headers[name] }
    func query(_ name: String) -> String? { route.query[name] }
}
