internal import Crypto
internal import NIOCore
internal import S3Protocol
internal import StowageCore

/// The requests one connection sends in one phase of a run, and how it judges the answers.
///
/// A phase is either the measured run of a profile or, with `writesObjects`, the writes that
/// prepare it (`objectCount` PUTs of keys 0, 1, 2, …). Each connection has its own copy; the
/// ticket counter, shared by all copies, numbers the requests so that the phase sends at most
/// `requestLimit` of them and `delete` deletes each batch once.
struct BenchWorkload: Sendable {
    /// Percentage of GetObject in `mixed` (the rest is PutObject).
    static let mixedGetPercent = 70

    let profile: BenchProfile
    let writesObjects: Bool
    let bucket: String
    let objectSize: Int
    let objectCount: Int
    let keysPerRequest: Int
    let requestLimit: Int
    let tickets: TicketCounter
    /// The DeleteObjects requests of the `delete` profile, built before the clock starts.
    let deleteRequests: [BenchRequest]
    /// The ListObjectsV2 page to ask for next; nil starts the listing again.
    private var continuationToken: String?

    /// The measured run of `options.profile`; `requestLimit` is `options.requestCount` (and, for
    /// `delete`, at most the number of batches).
    init(measuring options: BenchOptions) {
        self.init(options: options, writesObjects: false)
    }

    /// The writes that prepare `options.profile`: one PUT of each of its `objectCount` keys.
    init(preparing options: BenchOptions) {
        self.init(options: options, writesObjects: true)
    }

    private init(options: BenchOptions, writesObjects: Bool) {
        profile = options.profile
        self.writesObjects = writesObjects
        bucket = options.bucket
        objectSize = options.objectSize
        objectCount = options.objectCount
        keysPerRequest = options.keysPerRequest
        tickets = TicketCounter()
        if writesObjects {
            deleteRequests = []
            requestLimit = options.objectCount
        } else if options.profile == .delete {
            deleteRequests = Self.deleteRequests(
                bucket: options.bucket, prefix: options.profile.keyPrefix, objectCount: options.objectCount,
                keysPerRequest: options.keysPerRequest)
            requestLimit = min(options.requestCount ?? .max, deleteRequests.count)
        } else {
            deleteRequests = []
            requestLimit = options.requestCount ?? .max
        }
    }

    /// The next request, or nil when the phase has sent all it may.
    mutating func nextRequest() -> BenchRequest? {
        let ticket = tickets.take()
        guard ticket < requestLimit else { return nil }
        if writesObjects { return putObject(ticket) }
        switch profile {
        case .putSmall, .putLarge:
            return putObject(ticket % objectCount)
        case .getSmall, .getLarge:
            return getObject(Int.random(in: 0..<objectCount))
        case .mixed:
            let index = Int.random(in: 0..<objectCount)
            return Int.random(in: 0..<100) < Self.mixedGetPercent ? getObject(index) : putObject(index)
        case .list:
            return listObjectsPage()
        case .delete:
            return deleteRequests[ticket]
        }
    }

    /// Nil when `response` is a success for `request`, else the cause to count it under.
    mutating func failure(of response: BenchResponse, to request: BenchRequest) -> String? {
        guard response.isSuccess else {
            continuationToken = nil
            return String(response.status)
        }
        guard !writesObjects else { return nil }
        switch profile {
        case .list:
            guard let body = response.body else { return nil }
            let truncated = Self.elementText("IsTruncated", in: body) == "true"
            continuationToken = truncated ? Self.elementText("NextContinuationToken", in: body) : nil
            return truncated && continuationToken == nil ? "ListObjectsV2-NoToken" : nil
        case .delete:
            // Quiet mode: a successful batch lists nothing; each failed key is an <Error>.
            guard let body = response.body else { return nil }
            return Self.elementText("Error", in: body) == nil ? nil : "DeleteObjects-KeyError"
        case .putSmall, .getSmall, .putLarge, .getLarge, .mixed:
            return nil
        }
    }

    // MARK: - Requests

    /// `<profile>/00000042`: fixed width, so keys list in index order.
    private func key(_ index: Int) -> String {
        Self.key(prefix: profile.keyPrefix, index: index)
    }

    private static func key(prefix: String, index: Int) -> String {
        let digits = String(index)
        return prefix + String(repeating: "0", count: max(0, 8 - digits.utf8.count)) + digits
    }

    private func putObject(_ index: Int) -> BenchRequest {
        BenchRequest(
            method: "PUT", rawPath: "/\(bucket)/\(key(index))", body: .payload(count: objectSize),
            payloadHash: SigV4Signer.unsignedPayload)
    }

    private func getObject(_ index: Int) -> BenchRequest {
        BenchRequest(method: "GET", rawPath: "/\(bucket)/\(key(index))", payloadHash: SigV4Crypto.emptySHA256Hex)
    }

    private func listObjectsPage() -> BenchRequest {
        var query =
            "list-type=2&max-keys=\(keysPerRequest)&prefix=" + PercentEncoding.awsURIEncode(profile.keyPrefix)
        if let continuationToken {
            query += "&continuation-token=" + PercentEncoding.awsURIEncode(continuationToken)
        }
        return BenchRequest(
            method: "GET", rawPath: "/\(bucket)", rawQuery: query, payloadHash: SigV4Crypto.emptySHA256Hex,
            collectsResponseBody: true)
    }

    /// One quiet DeleteObjects request per `keysPerRequest` keys, with `Content-MD5` and the
    /// body's SHA-256 signed, as the AWS SDKs send it.
    private static func deleteRequests(bucket: String, prefix: String, objectCount: Int, keysPerRequest: Int)
        -> [BenchRequest]
    {
        stride(from: 0, to: objectCount, by: keysPerRequest).map { first in
            var xml = XMLWriter()
            xml.open("Delete")
            xml.element("Quiet", "true")
            for index in first..<min(first + keysPerRequest, objectCount) {
                xml.open("Object")
                xml.element("Key", key(prefix: prefix, index: index))
                xml.close("Object")
            }
            xml.close("Delete")
            let bytes = xml.bytes
            return BenchRequest(
                method: "POST", rawPath: "/\(bucket)", rawQuery: "delete",
                headers: [
                    ("content-type", "application/xml"),
                    ("content-md5", Base64.encode(Array(Insecure.MD5.hash(data: bytes)))),
                ],
                body: .bytes(ByteBuffer(bytes: bytes)), payloadHash: SigV4Crypto.sha256Hex(bytes),
                collectsResponseBody: true)
        }
    }

    // MARK: - Responses

    /// The text of the first `<name>…</name>` element of an S3 XML response (`nil` when absent),
    /// found by a byte search rather than a parse: the elements read here hold no markup and no
    /// character references, and a full parse of a 1,000-key page would cost the client more
    /// than the server.
    static func elementText(_ name: String, in body: ByteBuffer) -> String? {
        let open = Array("<\(name)>".utf8)
        let close = Array("</\(name)>".utf8)
        let view = body.readableBytesView
        guard let start = firstIndex(of: open, in: view, from: view.startIndex) else { return nil }
        let textStart = start + open.count
        guard let end = firstIndex(of: close, in: view, from: textStart) else { return nil }
        return String(decoding: view[textStart..<end], as: UTF8.self)
    }

    private static func firstIndex(of needle: [UInt8], in haystack: ByteBufferView, from start: Int) -> Int? {
        guard let first = needle.first, haystack.endIndex - start >= needle.count else { return nil }
        var index = start
        let last = haystack.endIndex - needle.count
        while index <= last {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) {
                return index
            }
            index += 1
        }
        return nil
    }
}
