internal import FoundationEssentials
package import HTTPTypes
package import NIOCore
internal import ObjectLayer
internal import S3Protocol
internal import StowageCore
internal import Synchronization

/// Answers a GetObject of a small object held in `InlineObjectCache` synchronously, with the
/// same status, headers and body the full path (`S3Responder` → `S3Handlers.getObject`) would
/// produce. Anything else — another operation, a cache miss, a request with a range, conditions,
/// overrides, a version id, a body, or one that fails authentication — returns nil and goes the
/// full path, which also produces every error.
package struct FastGetResponder: Sendable {
    let responder: S3Responder
    private let date = DateHeader()

    init(responder: S3Responder) {
        self.responder = responder
    }

    private var store: ObjectStore { responder.store }

    /// Request headers that make a GET something other than a plain read of the whole object, or
    /// that concern the connection: the full path handles those.
    private static let declined: Set<String> = [
        "range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "x-amz-checksum-mode",
        "expect", "transfer-encoding",
    ]

    package func answer(_ head: HTTPRequest) -> (HTTPResponse, ByteBuffer)? {
        guard head.method == .get, let target = head.path, store.inlineCache.capacity > 0 else { return nil }
        var headerList: [(name: String, value: String)] = []
        var host: String?
        for field in head.headerFields {
            let name = field.name.canonicalName
            if Self.declined.contains(name) { return nil }
            // `Connection: close` (and anything but keep-alive) is left to the full path.
            if name == "connection" && field.value.lowercased() != "keep-alive" { return nil }
            if name == "content-length" && field.value != "0" { return nil }
            if name == "host" {
                if host != nil { return nil }  // the full path joins repeated Host headers
                host = field.value
            }
            headerList.append((name: name, value: field.value))
        }
        if host == nil, let authority = head.authority {
            headerList.append((name: "host", value: authority))
            host = authority
        }
        let (rawPath, rawQuery) = S3Responder.split(target)
        guard let route = try? responder.router.route(
            method: "GET", rawPath: rawPath, rawQuery: rawQuery, host: host, headers: headerList),
            route.operation == .getObject, let bucket = route.bucket, let key = route.key,
            // Presigned SigV4 parameters only (AWS SDK v3 adds `x-id=GetObject`).
            route.query.keys.allSatisfy({ $0.hasPrefix("X-Amz-") || $0 == "x-id" }),
            let entry = store.inlineCache.lookup(bucket: bucket, key: key)
        else { return nil }
        guard (try? responder.authenticate(
            route, method: "GET", rawPath: rawPath, rawQuery: rawQuery, headers: headerList, host: host)) != nil
        else { return nil }
        let now = Int64(Date().timeIntervalSince1970)
        // The object's own headers are built once per cached version and kept with it.
        var headers: HTTPFields
        if let rendered = entry.attachment as? HTTPFields {
            headers = rendered
        } else {
            headers = Self.objectHeaders(entry)
            store.inlineCache.attach(headers, to: entry)
        }
        let requestID = S3Responder.newRequestID()
        headers[.amzRequestID] = requestID
        headers[.amzID2] = requestID
        headers[.date] = date.value(now: now)
        store.inlineCache.countServed()
        return (HTTPResponse(status: .ok, headerFields: headers), entry.body)
    }

    /// What `S3Handlers.getObject` (and `S3Responder`) send for a plain GET, but the Date and
    /// request id, which differ per response.
    static func objectHeaders(_ entry: InlineObjectCache.Entry) -> HTTPFields {
        let record = entry.record
        var headers = S3Handlers.objectHeaders(record, query: [:])
        headers[.amzVersionID] = S3Handlers.versionHeaderValue(record, bucketVersioned: entry.bucketVersioned)
        headers[.contentLength] = String(entry.body.readableBytes)
        headers[.server] = "Stowage"
        return headers
    }
}

/// The HTTP `Date` header, formatted once per second.
private final class DateHeader: Sendable {
    private let cached = Mutex<(second: Int64, text: String)>((0, ""))

    func value(now: Int64) -> String {
        cached.withLock { cached in
            if cached.second != now { cached = (now, HTTPDate.format(now)) }
            return cached.text
        }
    }
}
