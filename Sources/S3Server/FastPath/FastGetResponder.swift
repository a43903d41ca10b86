internal import HTTPTypes
package import NIOCore
package import NIOHTTP1
internal import NIOHTTPTypesHTTP1
internal import ObjectLayer
internal import S3Protocol
internal import StowageCore

/// Answers a GetObject of a small object held in `InlineObjectCache` synchronously, with the
/// same status, headers and body the full path (`S3Responder` → `S3Handlers.getObject`) would
/// produce. Anything else — another operation, a cache miss, a request with a range, conditions,
/// overrides, a version id, a body, or one that fails authentication — returns nil and goes the
/// full path, which also produces every error.
///
/// Two lanes. A presigned URL in canonical form (what SDK presigners write) is checked over the
/// request's bytes by `SigV4CanonicalPresignedGet`, with no routing of the query and no strings
/// but the bucket and key. Any other request (header-signed, or a presigned URL in another form)
/// is converted as the full path converts it, routed and verified by `S3Responder`'s own steps.
package struct FastGetResponder: Sendable {
    let responder: S3Responder

    init(responder: S3Responder) {
        self.responder = responder
    }

    private var store: ObjectStore { responder.store }

    /// What a request's headers say about answering it here.
    private enum HeaderKind {
        case other, host, authorization, connection, contentLength
        /// Must be signed (`SignedHeaderRule`), which a canonical presigned URL (signing `host`
        /// alone) cannot have done: only the general lane's verifier may accept it.
        case mustBeSigned
        /// Makes a GET something other than a plain read of the whole object, or concerns the
        /// connection: the full path handles those.
        case declined
    }

    /// The `HTTPRequestHead` as it reaches this handler (before the HTTP types conversion).
    /// - Parameters:
    ///   - now: seconds since 1970, for the signature's validity.
    ///   - date: the `Date` header value of `now`.
    package func answer(_ head: HTTPRequestHead, now: Int64, date: String) -> (HTTPResponseHead, ByteBuffer)? {
        // HTTP/1.0 keep-alive rules and absolute-form targets are left to the full path.
        guard head.method == .GET, head.version == .http1_1, store.inlineCache.capacity > 0,
            head.uri.utf8.first == UInt8(ascii: "/")
        else { return nil }
        var host: String?
        var hosts = 0
        var authorized = false
        var needsSignedHeaders = false
        for (name, value) in head.headers {
            switch Self.kind(name) {
            case .other: continue
            case .declined: return nil
            case .host:
                hosts += 1
                host = value
            case .authorization: authorized = true
            case .mustBeSigned: needsSignedHeaders = true
            case .connection: if !ASCII.equalsLowercased(value.utf8, "keep-alive".utf8) { return nil }
            case .contentLength: if value != "0" { return nil }
            }
        }
        // No Host, or more than one (which the full path refuses), is left to the full path.
        guard hosts == 1, let host else { return nil }
        var target = head.uri
        let lane: Lane = target.withUTF8 { target in
            guard !authorized, !needsSignedHeaders, target.allSatisfy({ $0 < 0x80 }),
                let mark = target.firstIndex(of: UInt8(ascii: "?"))
            else { return .notCanonical }
            let rawPath = UnsafeBufferPointer(rebasing: target[..<mark])
            let rawQuery = UnsafeBufferPointer(rebasing: target[(mark + 1)...])
            guard let presigned = SigV4CanonicalPresignedGet(rawQuery: rawQuery) else { return .notCanonical }
            guard let (bucket, key) = responder.router.objectAddress(rawPath: rawPath, host: host),
                let entry = store.inlineCache.lookup(bucket: bucket, key: key)
            else { return .declined }
            var host = host
            let verified = host.withUTF8 { host in
                responder.verifier.verifies(
                    presigned, rawQuery: rawQuery, rawPath: rawPath, host: host, now: now)
            }
            return verified ? .entry(entry) : .declined
        }
        switch lane {
        case .entry(let entry): return respond(entry, date: date)
        case .declined: return nil
        case .notCanonical:
            guard let request = try? HTTPRequest(head, secure: false, splitCookie: false),
                let entry = generalLookup(request)
            else { return nil }
            return respond(entry, date: date)
        }
    }

    /// The answer to a request refused before it reaches any handler, nil for every other: a
    /// target in absolute form (`http://authority/path`) whose authority is not the Host header
    /// (RFC 9112 §3.2.2 has the server ignore Host then; routing and signing here read Host, so
    /// the two must agree). 400 InvalidRequest, an S3 error document.
    package func refusal(_ head: HTTPRequestHead, date: String) -> (HTTPResponseHead, ByteBuffer)? {
        // Origin form and `*` are the rule; other targets without a scheme the full path refuses.
        guard let first = head.uri.utf8.first, first != UInt8(ascii: "/"), first != UInt8(ascii: "*"),
            head.uri.contains("://")
        else { return nil }
        let hosts = head.headers["host"]
        if let authority = Self.absoluteFormAuthority(head.uri), hosts.count == 1, let host = RequestHost(hosts[0]),
            let target = RequestHost(authority.host), target.name == host.name,
            (target.port ?? authority.defaultPort) == (host.port ?? authority.defaultPort)
        {
            return nil
        }
        let error = S3Error(.invalidRequest, "The authority of the request target differs from the Host header.")
        let requestID = S3Responder.newRequestID()
        let body = S3ErrorMapping.document(for: error, resource: head.uri, requestID: requestID)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/xml")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Connection", value: "close")
        headers.add(name: Self.requestIDName, value: requestID)
        headers.add(name: Self.id2Name, value: requestID)
        headers.add(name: Self.dateName, value: date)
        headers.add(name: "Server", value: "Stowage")
        return (HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers), body)
    }

    /// The authority of an `http://` or `https://` target (any case), with the scheme's default
    /// port; nil for any other form.
    private static func absoluteFormAuthority(_ uri: String) -> (host: String, defaultPort: Int)? {
        let lowered = uri.prefix(8).lowercased()
        let (schemeLength, defaultPort) =
            lowered.hasPrefix("http://") ? (7, 80) : lowered.hasPrefix("https://") ? (8, 443) : (0, 0)
        guard schemeLength > 0 else { return nil }
        let rest = uri.utf8.dropFirst(schemeLength)
        let end = rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }
        return (String(Substring(rest.prefix(upTo: end ?? rest.endIndex))), defaultPort)
    }

    private enum Lane {
        case entry(InlineObjectCache.Entry)
        /// Not answered here; the full path answers (a cache miss, or a failed check).
        case declined
        /// Not a canonical presigned URL: the general lane decides.
        case notCanonical
    }

    /// The general lane: the request as the full path sees it, routed and authenticated by the
    /// full path's steps; the cached entry when it may be answered here.
    private func generalLookup(_ head: HTTPRequest) -> InlineObjectCache.Entry? {
        guard let target = head.path, let headerList = try? S3Responder.headerList(head) else { return nil }
        let host = head.authority
        let (rawPath, rawQuery) = S3Responder.split(target)
        guard let route = try? responder.router.route(
            method: "GET", rawPath: rawPath, rawQuery: rawQuery, host: host, headers: headerList),
            route.operation == .getObject, let bucket = route.bucket, let key = route.key,
            // Presigned SigV4 parameters only (AWS SDK v3 adds `x-id=GetObject`).
            route.query.keys.allSatisfy({ $0.hasPrefix("X-Amz-") || $0 == "x-id" }),
            let entry = store.inlineCache.lookup(bucket: bucket, key: key),
            (try? responder.authenticate(
                route, method: "GET", rawPath: rawPath, rawQuery: rawQuery, headers: headerList)) != nil
        else { return nil }
        return entry
    }

    private func respond(_ entry: InlineObjectCache.Entry, date: String) -> (HTTPResponseHead, ByteBuffer) {
        // The object's own headers are built once per cached version and kept with it.
        var headers: HTTPHeaders
        if let rendered = entry.attachment as? HTTPHeaders {
            headers = rendered
        } else {
            headers = HTTPHeaders(Self.objectHeaders(entry))
            store.inlineCache.attach(headers, to: entry)
        }
        let requestID = S3Responder.newRequestID()
        headers.add(name: Self.requestIDName, value: requestID)
        headers.add(name: Self.id2Name, value: requestID)
        headers.add(name: Self.dateName, value: date)
        store.inlineCache.countServed()
        return (HTTPResponseHead(version: .http1_1, status: .ok, headers: headers), entry.body)
    }

    private static let requestIDName = HTTPField.Name.amzRequestID.rawName
    private static let id2Name = HTTPField.Name.amzID2.rawName
    private static let dateName = HTTPField.Name.date.rawName

    /// What `S3Handlers.getObject` (and `S3Responder`) send for a plain GET, but the Date and
    /// request id, which differ per response.
    static func objectHeaders(_ entry: InlineObjectCache.Entry) -> HTTPFields {
        let record = entry.recordWithoutData
        var headers = S3Handlers.objectHeaders(record, query: [:])
        headers[.amzVersionID] = S3Handlers.versionHeaderValue(record, bucketVersioned: entry.bucketVersioned)
        headers[.contentLength] = String(entry.body.readableBytes)
        headers[.server] = "Stowage"
        return headers
    }

    private static let headerKinds: [(name: [UInt8], kind: HeaderKind)] =
        ([
            ("host", .host), ("authorization", .authorization), ("connection", .connection),
            ("content-length", .contentLength), ("range", .declined), ("if-match", .declined),
            ("if-none-match", .declined), ("if-modified-since", .declined), ("if-unmodified-since", .declined),
            ("x-amz-checksum-mode", .declined), ("expect", .declined), ("transfer-encoding", .declined),
        ] as [(String, HeaderKind)]).map { (Array($0.0.utf8), $0.1) }

    private static func kind(_ name: String) -> HeaderKind {
        if let kind = headerKinds.first(where: { ASCII.equalsLowercased(name.utf8, $0.name) })?.kind { return kind }
        return SignedHeaderRule.requiresSignature(name.utf8, presigned: true) ? .mustBeSigned : .other
    }
}
