internal import HTTPTypes
package import Hummingbird
internal import Logging
internal import NIOCore
internal import NIOHTTPTypes
package import ObjectLayer
internal import S3Protocol
internal import StowageCore
internal import Synchronization

/// The other nodes' way into this one (the cluster's drive protocol): requests under
/// `/_stowage/internode/`, authenticated by the endpoint itself.
package protocol InternodeEndpoint: Sendable {
    func respond(to request: Request, rawPath: String, rawQuery: String) async -> Response
}

/// The S3 front: routes, authenticates and dispatches every request, and turns every error
/// into an S3 error document. Every response carries `x-amz-request-id`.
package struct S3Responder: HTTPResponder {
    package typealias Context = S3RequestContext

    let store: ObjectStore
    let configuration: S3ServerConfiguration
    let router: S3Router
    let verifier: SigV4Verifier
    let handlers: S3Handlers
    let adminHandler: AdminHandler
    let internode: (any InternodeEndpoint)?

    /// - Parameters:
    ///   - admin: what `/_stowage/admin/v1/…` and `/_stowage/metrics` answer from; when nil,
    ///     those endpoints answer `NotImplemented`.
    ///   - internode: what answers other nodes of a cluster (`/_stowage/internode/…`); nil on one node.
    package init(
        store: ObjectStore, configuration: S3ServerConfiguration, admin: (any AdminService)? = nil,
        internode: (any InternodeEndpoint)? = nil
    ) {
        self.internode = internode
        self.store = store
        self.configuration = configuration
        self.router = S3Router(virtualHostDomains: configuration.virtualHostDomains)
        let credentials = configuration.credentials
        self.verifier = SigV4Verifier(region: configuration.region) { credentials[$0] }
        self.handlers = S3Handlers(store: store, configuration: configuration)
        self.adminHandler = AdminHandler(
            admin: admin, verifier: verifier, router: router, metricsAccess: configuration.metricsAccess)
    }

    package func respond(to request: Request, context: S3RequestContext) async throws -> Response {
        let requestID = Self.newRequestID()
        let rawTarget = request.head.path ?? "/"
        let (rawPath, rawQuery) = Self.split(rawTarget)
        var response: Response
        do {
            response = try await handle(request, rawPath: rawPath, rawQuery: rawQuery, requestID: requestID, context: context)
        } catch {
            let s3Error = S3ErrorMapping.s3Error(for: error, logger: context.logger)
            let resource = PercentEncoding.decode(rawPath) ?? rawPath
            response = S3ErrorMapping.response(
                for: s3Error, resource: resource, requestID: requestID, isHead: request.method == .head)
            if s3Error.code.status >= 500 {
                context.logger.warning("request failed", metadata: ["requestID": "\(requestID)", "error": "\(error)"])
            }
        }
        response.headers[.amzRequestID] = requestID
        response.headers[.amzID2] = requestID
        response.headers[.server] = "Stowage"
        return response
    }

    private func handle(
        _ request: Request, rawPath: String, rawQuery: String, requestID: String, context: S3RequestContext
    ) async throws -> Response {
        let headerList = try Self.headerList(request.head)
        var headers: [String: String] = [:]
        for (name, value) in headerList {
            if let existing = headers[name] { headers[name] = existing + "," + value } else { headers[name] = value }
        }
        // Stowage's own endpoints, before S3 routing: no bucket name starts with `_`.
        if let internode, rawPath.hasPrefix(Self.internodePrefix) {
            return await internode.respond(to: request, rawPath: rawPath, rawQuery: rawQuery)
        }
        if try adminHandler.handles(rawPath: rawPath, host: headers["host"]) {
            return try await adminHandler.respond(
                method: request.method.rawValue, rawPath: rawPath, rawQuery: rawQuery, headers: headerList,
                remoteAddress: context.remoteAddress, now: WallClock.seconds())
        }
        if request.method == .options {
            try await preflight(rawPath: rawPath, headers: headers)
        }
        let route = try router.route(
            method: request.method.rawValue, rawPath: rawPath, rawQuery: rawQuery, host: headers["host"], headers: headerList)
        let auth: VerifiedRequest
        do {
            auth = try authenticate(
                route, method: request.method.rawValue, rawPath: rawPath, rawQuery: rawQuery, headers: headerList)
        } catch let error as S3Error where error.code == .accessDenied {
            // S3 answers an anonymous request naming a bucket that does not exist with 404
            // NoSuchBucket (there is no bucket whose policy could have allowed it).
            if let bucket = route.bucket, route.operation != .createBucket, Self.isAnonymous(headers, rawQuery: rawQuery) {
                try await requireBucketIfMissing(bucket)
            }
            throw error
        }
        if request.headers[.expect]?.lowercased() == "100-continue", let bucket = route.bucket,
            route.operation != .createBucket
        {
            // A body sent into a bucket that does not exist would be discarded: refuse first.
            try await requireBucketIfMissing(bucket)
        }
        try await continueIfExpected(request, context: context)
        let call = S3Call(
            request: request, route: route, auth: auth, requestID: requestID, logger: context.logger, headers: headers)
        return try await handlers.dispatch(call)
    }

    /// The request's header fields as received (lowercase names), with the Host header, which
    /// HTTP types moves into the `:authority` pseudo-header, put back as `host`.
    ///
    /// Throws InvalidRequest (400) for more than one Host header, which HTTP/1.1 servers must
    /// refuse (RFC 9112 §3.2): the conversion keeps the second among the fields, and routing and
    /// signing could otherwise see different hosts.
    static func headerList(_ head: HTTPRequest) throws -> [(name: String, value: String)] {
        var list: [(name: String, value: String)] = []
        list.reserveCapacity(head.headerFields.count + 1)
        for field in head.headerFields {
            let name = field.name.canonicalName
            if name == "host" && head.authority != nil {
                throw S3Error(.invalidRequest, "The request has more than one Host header.")
            }
            list.append((name: name, value: field.value))
        }
        if let authority = head.authority { list.append((name: "host", value: authority)) }
        return list
    }

    /// Answers `Expect: 100-continue` with an interim `100 Continue`, now that the request is
    /// routed and authenticated: a client is invited to send its body only then, and a refused
    /// one gets its final status at once (as S3 does) instead of sending a body to be discarded.
    /// Also for an empty body: a final status without the interim one makes the connection close
    /// (`FastGetHandler`), which an accepted request should not cost.
    private func continueIfExpected(_ request: Request, context: S3RequestContext) async throws {
        guard request.headers[.expect]?.lowercased() == "100-continue" else { return }
        try await context.channel.writeAndFlush(HTTPResponsePart.head(HTTPResponse(status: .continue)))
    }

    /// A CORS preflight (`OPTIONS`, never signed), answered as S3 answers it for a bucket without
    /// a CORS configuration (Stowage has none yet): 400 BadRequest without `Origin` or
    /// `Access-Control-Request-Method`, 404 NoSuchBucket for a missing bucket, else 403
    /// AccessForbidden. Always throws.
    private func preflight(rawPath: String, headers: [String: String]) async throws {
        guard headers["origin"] != nil else { throw S3Error(.badRequest) }
        guard let method = headers["access-control-request-method"],
            ["GET", "PUT", "POST", "DELETE", "HEAD"].contains(method)
        else {
            throw S3Error(.badRequest, "Invalid Access-Control-Request-Method: \(headers["access-control-request-method"] ?? "null")")
        }
        let route = try router.route(method: "GET", rawPath: rawPath, rawQuery: "", host: headers["host"], headers: [])
        if let bucket = route.bucket { try await requireBucketIfMissing(bucket) }
        throw S3Error(.accessForbidden, details: [("Method", method), ("ResourceType", route.key == nil ? "BUCKET" : "OBJECT")])
    }

    /// Throws NoSuchBucket when `bucket` is known not to exist; says nothing otherwise (nor when
    /// it cannot be told, e.g. with etcd away: the request's own refusal or handling goes on).
    private func requireBucketIfMissing(_ bucket: String) async throws {
        do {
            _ = try await store.recentBucket(bucket)
        } catch let error as ObjectLayerError where error.code == .noSuchBucket {
            throw error
        } catch {}
    }

    /// No signature of any kind: neither an Authorization header nor presigned parameters (V4 or V2).
    static func isAnonymous(_ headers: [String: String], rawQuery: String) -> Bool {
        guard headers["authorization"] == nil else { return false }
        let signing: Set<Substring> = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "AWSAccessKeyId", "Signature"]
        return !rawQuery.split(separator: "&").contains { signing.contains($0.prefix { $0 != "=" }) }
    }

    /// Checks the signature of a routed request: the step the full path and the GET fast path
    /// share. SigV2 signs the bucket the router read from the Host header.
    func authenticate(
        _ route: S3Request, method: String, rawPath: String, rawQuery: String, headers: [(name: String, value: String)]
    ) throws -> VerifiedRequest {
        let signable = SignableRequest(method: method, rawPath: rawPath, rawQuery: rawQuery, headers: headers)
        return try verifier.verify(
            signable, virtualHostBucket: route.hostBucket, now: WallClock.seconds())
    }

    /// The GET fast path, routing and authenticating as this responder does (see `FastGetHandler`).
    package var fastGet: FastGetResponder { FastGetResponder(responder: self) }

    static let internodePrefix = "/_stowage/internode/"

    static func split(_ target: String) -> (path: String, query: String) {
        guard let mark = target.firstIndex(of: "?") else { return (target, "") }
        return (String(target[..<mark]), String(target[target.index(after: mark)...]))
    }

    /// Request ids: a random per-process base plus a counter, so every id in a process differs
    /// and a request costs no call into the kernel's random source.
    private static let requestBase: UInt64 = {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }()
    private static let requestCounter = Atomic<UInt64>(0)

    static func newRequestID() -> String {
        let count = requestCounter.wrappingAdd(1, ordering: .relaxed).oldValue
        // Scrambled so that consecutive ids do not look alike in logs.
        let value = requestBase &+ count &* 0x9E37_79B9_7F4A_7C15
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        for shift in stride(from: 60, through: 0, by: -4) { out.append(hex[Int((value >> UInt64(shift)) & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
