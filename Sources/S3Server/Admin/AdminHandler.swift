internal import FoundationEssentials
internal import HTTPTypes
internal import NIOCore
internal import Hummingbird
internal import ObjectLayer
internal import S3Protocol

/// Serves Stowage's own endpoints under `/_stowage/` (see `AdminEndpoint`): the admin API as
/// JSON and the metrics as Prometheus text.
///
/// Admin endpoints require a valid SigV4 signature by a configured credential, checked by the
/// same verifier as S3 requests (SigV2 is refused: it signs no query parameter); the metrics
/// endpoint takes the same signature, or admits what `MetricsAccess` admits. Every failure is thrown as an
/// error for the responder's one error map, so clients see S3 error documents here too. When the
/// node has no `AdminService`, every endpoint answers `NotImplemented` (after authentication,
/// so an anonymous caller learns nothing).
struct AdminHandler: Sendable {
    let admin: (any AdminService)?
    let verifier: SigV4Verifier
    /// Reads the Host header, as for S3 requests.
    let router: S3Router

    let metricsAccess: MetricsAccess

    init(admin: (any AdminService)?, verifier: SigV4Verifier, router: S3Router, metricsAccess: MetricsAccess) {
        self.admin = admin
        self.verifier = verifier
        self.router = router
        self.metricsAccess = metricsAccess
    }

    /// Whether the request belongs to the `/_stowage/` namespace rather than to S3.
    ///
    /// A virtual-hosted request (`Host: <bucket>.<domain>`) never does: there the path is an
    /// object key, and `_stowage/metrics` is a valid one. Throws what `S3Router.hostBucket`
    /// throws for an invalid Host.
    func handles(rawPath: String, host: String?) throws -> Bool {
        guard rawPath.hasPrefix(AdminEndpoint.pathPrefix) else { return false }
        return try router.hostBucket(host) == nil
    }

    /// Answers one request of the namespace. Throws `S3Error` for routing, authentication and
    /// query failures, and whatever the `AdminService` throws, for the responder to map.
    func respond(
        method: String, rawPath: String, rawQuery: String, headers: [(name: String, value: String)],
        remoteAddress: SocketAddress?, now: Int64
    ) async throws -> Response {
        let endpoint = try AdminEndpoint(method: method, rawPath: rawPath)
        let authorization = headers.first { $0.name == "authorization" }?.value
        let admitted =
            endpoint == .metrics
            && metricsAccess.admitsWithoutSignature(remoteAddress: remoteAddress, authorization: authorization)
        if !admitted {
            if authorization?.hasPrefix("Bearer ") == true {
                throw S3Error(.accessDenied, "The metrics token is not valid.")
            }
            let signable = SignableRequest(method: method, rawPath: rawPath, rawQuery: rawQuery, headers: headers)
            // The body is never read (no admin endpoint takes one), so the payload mode needs no check.
            // SigV4 only: SigV2 leaves query parameters (heal's bucket and prefix) unsigned.
            _ = try verifier.verify(signable, virtualHostBucket: nil, now: now, signatureVersion2Allowed: false)
        }
        guard let admin else {
            throw S3Error(.notImplemented, "This node does not serve the Stowage admin API.")
        }
        switch endpoint {
        case .heal:
            let parameters = try Self.queryParameters(rawQuery)
            let bucket = parameters["bucket"].flatMap { $0.isEmpty ? nil : $0 }
            let prefix = parameters["prefix"] ?? ""
            if bucket == nil && !prefix.isEmpty {
                throw S3Error(
                    .invalidArgument, "A heal prefix needs a bucket.",
                    details: [("ArgumentName", "prefix"), ("ArgumentValue", prefix)])
            }
            if let bucket, !BucketNameRules.validate(bucket) {
                throw S3Error(.invalidBucketName, details: [("BucketName", bucket)])
            }
            return try Self.jsonResponse(try await admin.heal(bucket: bucket, prefix: prefix))
        case .status:
            return try Self.jsonResponse(await admin.status())
        case .metrics:
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            let text = await admin.metricsText()
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    /// `value` as indented JSON with sorted keys (stable for people and scripts alike).
    private static func jsonResponse(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var body = ByteBuffer(bytes: try encoder.encode(value))
        body.writeString("\n")
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// The decoded query parameters, first value winning, `+` read as a space (form encoding).
    /// Throws `InvalidURI` for a malformed escape.
    static func queryParameters(_ rawQuery: String) throws -> [String: String] {
        var parameters: [String: String] = [:]
        for segment in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let equals = segment.firstIndex(of: "=") ?? segment.endIndex
            let rawValue = equals == segment.endIndex ? "" : segment[segment.index(after: equals)...]
            guard let name = PercentEncoding.decode(segment[..<equals], plusAsSpace: true),
                let value = PercentEncoding.decode(rawValue, plusAsSpace: true)
            else { throw S3Error(.invalidURI) }
            if parameters[name] == nil { parameters[name] = value }
        }
        return parameters
    }
}
