/// Maps an HTTP request line (method, raw path, raw query, Host, headers) to an `S3Request`.
///
/// Addressing: a Host of `<bucket>.<domain>[:port]`, for one of `virtualHostDomains`, selects
/// virtual-hosted style, where the bucket comes from the host and the whole path after the
/// leading `/` is the key. Anything else is path style: `/bucket/key…`, the key being
/// everything after the first `/` that follows the bucket. Keys are percent-decoded but never
/// normalised: `//`, `.`, `..` and a trailing `/` are kept, `+` stays `+`, and `%2F` is a `/`
/// inside the key. A key that is empty after that slash means a bucket operation.
///
/// Dispatch follows the AWS REST API, keyed on method, subresource query parameters and
/// (for copies) the `x-amz-copy-source` header. Unknown query parameters are ignored, as S3
/// ignores them (SDKs send e.g. `x-id=GetObject`); subresources that S3 knows but Stowage does
/// not serve (`acl`, `tagging`, `cors`, …) are refused with NotImplemented rather than
/// being silently misread as another action.
///
/// The router is a pure function of its inputs; it does not check that buckets or keys exist.
package struct S3Router: Sendable {
    /// As `RequestHost` names them (lowercase ASCII, no trailing dot), longest first, so that a
    /// more specific domain wins over one it is a subdomain of.
    private let virtualHostDomains: [String]

    /// `virtualHostDomains`: e.g. ["s3.example.com"]; a Host of "<bucket>.s3.example.com[:port]" selects
    /// virtual-hosted style. A Host equal to one of them (or any other Host) means path style.
    /// A domain that is not a valid host name without a port (see `isValidDomain`) can name no
    /// request and is left out.
    package init(virtualHostDomains: [String]) {
        self.virtualHostDomains =
            virtualHostDomains
            .compactMap { Self.isValidDomain($0) ? RequestHost($0)?.name : nil }
            .sorted { $0.utf8.count > $1.utf8.count }
    }

    /// Whether `domain` can serve as a virtual-host domain: a host name without a port or brackets.
    package static func isValidDomain(_ domain: String) -> Bool {
        guard let host = RequestHost(domain) else { return false }
        return host.port == nil && host.name.utf8.first != UInt8(ascii: "[")
    }

    /// Throws S3Error: .invalidURI (path not starting with `/`, bad escapes, not UTF-8),
    /// .invalidBucketName, .keyTooLong (> 1024 UTF-8 bytes), .methodNotAllowed, .notImplemented
    /// for known-but-unsupported subresources (and for OPTIONS and browser POST uploads),
    /// .invalidArgument for a partNumber outside 1...10000 or a list-type other than 2.
    package func route(
        method: String, rawPath: String, rawQuery: String, host: String?, headers: [(name: String, value: String)]
    ) throws -> S3Request {
        guard rawPath.utf8.first == UInt8(ascii: "/") else { throw S3Error(.invalidURI) }
        let query = try QueryString(parsing: rawQuery)
        let hostBucket = try hostBucket(host)
        let (bucket, key) = try address(rawPath: rawPath, hostBucket: hostBucket)
        guard let verb = Verb(method) else {
            throw S3Error(method == "OPTIONS" ? .notImplemented : .methodNotAllowed)
        }
        if let subresource = query.routing.firstUnsupportedName {
            throw S3Error(.notImplemented, details: [("Subresource", subresource)])
        }

        let operation: S3Operation
        if let bucket {
            if key != nil {
                // Only PUT reads the header, so other methods skip the scan.
                let hasCopySource = verb == .put && headers.contains { Self.isCopySourceName($0.name) }
                operation = try Self.objectOperation(verb, query: query, hasCopySource: hasCopySource)
            } else {
                operation = try Self.bucketOperation(verb, query: query)
            }
            return S3Request(
                operation: operation, bucket: bucket, key: key, query: query.parameters, hostBucket: hostBucket)
        }
        guard verb == .get else { throw S3Error(.methodNotAllowed) }
        return S3Request(operation: .listBuckets, bucket: nil, key: nil, query: query.parameters, hostBucket: nil)
    }

    /// The HTTP methods an S3 resource accepts, spelled exactly (methods are case-sensitive).
    private enum Verb {
        case get, head, put, post, delete

        init?(_ method: String) {
            switch method {
            case "GET": self = .get
            case "HEAD": self = .head
            case "PUT": self = .put
            case "POST": self = .post
            case "DELETE": self = .delete
            default: return nil
            }
        }
    }

    // MARK: Addressing

    /// The bucket and key a GET of `rawPath` names, as `route` finds them; nil when the path
    /// names no object or `route` would throw. Routing by the query is the caller's: this is for
    /// requests whose query holds no subresource (the GET fast path).
    /// Also nil for the rare path that only the Character-wise addressing splits.
    package func objectAddress(rawPath: UnsafeBufferPointer<UInt8>, host: String?) -> (bucket: String, key: String)? {
        // nil is an answer here (path style), so the error is caught apart from it.
        guard rawPath.first == UInt8(ascii: "/"), case .success(let hostBucket) = Result(catching: { try hostBucket(host) }),
            let found = try? address(utf8: rawPath, hostBucket: hostBucket),
            let bucket = found.bucket, let key = found.key
        else { return nil }
        return (bucket, key)
    }

    /// The bucket (nil for the service) and key (nil for the bucket) the request addresses.
    private func address(rawPath: String, hostBucket: String?) throws -> (bucket: String?, key: String?) {
        var rawPath = rawPath
        if let found = try rawPath.withUTF8({ try address(utf8: $0, hostBucket: hostBucket) }) { return found }
        return try address(characters: rawPath, hostBucket: hostBucket)
    }

    /// `address(rawPath:host:)` by byte; nil when a non-ASCII scalar next to a slash that
    /// splits the path could join it in one Character, so that only the Character view splits
    /// the path as before. `path` starts with `/`.
    private func address(
        utf8 path: UnsafeBufferPointer<UInt8>, hostBucket: String?
    ) throws -> (bucket: String?, key: String?)? {
        guard path.count == 1 || path[1] < 0x80 else { return nil }
        let afterSlash = UnsafeBufferPointer(rebasing: path[1...])
        var scratch: [UInt8] = []
        if let hostBucket { return (hostBucket, try Self.decodeKey(afterSlash, scratch: &scratch)) }
        var bucketEnd = 0
        while bucketEnd < afterSlash.count, afterSlash[bucketEnd] != UInt8(ascii: "/") {
            guard afterSlash[bucketEnd] < 0x80 else { return nil }
            bucketEnd += 1
        }
        guard bucketEnd + 1 >= afterSlash.count || afterSlash[bucketEnd + 1] < 0x80 else { return nil }
        if bucketEnd == 0 {
            // "/" is the service; "//key" names no bucket.
            guard afterSlash.isEmpty else { throw S3Error(.invalidBucketName) }
            return (nil, nil)
        }
        let rawBucket = UnsafeBufferPointer(rebasing: afterSlash[..<bucketEnd])
        guard let bucket = String(percentDecoding: rawBucket, plusAsSpace: false, scratch: &scratch) else {
            throw S3Error(.invalidURI)
        }
        guard BucketNameRules.validate(bucket) else {
            throw S3Error(.invalidBucketName, details: [("BucketName", bucket)])
        }
        let rawKey = UnsafeBufferPointer(rebasing: afterSlash[min(bucketEnd + 1, afterSlash.count)...])
        return (bucket, try Self.decodeKey(rawKey, scratch: &scratch))
    }

    /// nil for an empty key (a bucket operation); otherwise the decoded key, at most 1024 bytes.
    private static func decodeKey(_ rawKey: UnsafeBufferPointer<UInt8>, scratch: inout [UInt8]) throws -> String? {
        guard !rawKey.isEmpty else { return nil }
        guard let key = String(percentDecoding: rawKey, plusAsSpace: false, scratch: &scratch) else {
            throw S3Error(.invalidURI)
        }
        guard key.utf8.count <= 1024 else { throw S3Error(.keyTooLong) }
        return key
    }

    /// `address(rawPath:host:)` by Character, for the paths `address(utf8:host:)` leaves.
    private func address(characters rawPath: String, hostBucket: String?) throws -> (bucket: String?, key: String?) {
        let path = rawPath.dropFirst()
        if let hostBucket { return (hostBucket, try Self.decodeKey(path)) }
        let bucketEnd = path.firstIndex(of: "/") ?? path.endIndex
        let rawBucket = path[..<bucketEnd]
        if rawBucket.isEmpty {
            guard path.isEmpty else { throw S3Error(.invalidBucketName) }
            return (nil, nil)
        }
        guard let bucket = PercentEncoding.decode(rawBucket) else { throw S3Error(.invalidURI) }
        guard BucketNameRules.validate(bucket) else {
            throw S3Error(.invalidBucketName, details: [("BucketName", bucket)])
        }
        let rawKey = bucketEnd < path.endIndex ? path[path.index(after: bucketEnd)...] : ""
        return (bucket, try Self.decodeKey(rawKey))
    }

    /// The bucket the Host header names in virtual-hosted style: `<bucket>.<domain>[:port]` for
    /// one of the configured domains (a trailing dot allowed), or nil for path style (no Host,
    /// a domain itself, an IP address, any other name). Every reader of the Host header (routing,
    /// SigV2's canonical resource, the admin namespace, the GET fast path) takes this answer.
    ///
    /// Throws InvalidArgument for a Host that is not a valid `host[:port]` (see `RequestHost`),
    /// and InvalidBucketName when the part before the domain is not a bucket name.
    package func hostBucket(_ host: String?) throws -> String? {
        guard let host else { return nil }
        guard !virtualHostDomains.isEmpty else {
            guard RequestHost.isValid(host) else { throw RequestHost.invalid(host) }
            return nil
        }
        guard let parsed = RequestHost(host) else { throw RequestHost.invalid(host) }
        guard parsed.name.utf8.first != UInt8(ascii: "[") else { return nil }
        for domain in virtualHostDomains {
            if parsed.name == domain { return nil }
            // Names and domains are lowercase ASCII, where a Character is a byte.
            guard parsed.name.utf8.count > domain.utf8.count + 1, parsed.name.hasSuffix("." + domain) else { continue }
            let bucket = String(parsed.name.dropLast(domain.utf8.count + 1))
            guard BucketNameRules.validate(bucket) else {
                throw S3Error(.invalidBucketName, details: [("BucketName", bucket)])
            }
            return bucket
        }
        return nil
    }

    /// `decodeKey(_:scratch:)` of a Substring.
    private static func decodeKey(_ rawKey: Substring) throws -> String? {
        guard !rawKey.isEmpty else { return nil }
        guard let key = PercentEncoding.decode(rawKey) else { throw S3Error(.invalidURI) }
        guard key.utf8.count <= 1024 else { throw S3Error(.keyTooLong) }
        return key
    }

    // MARK: Dispatch

    private static func bucketOperation(_ verb: Verb, query: QueryString) throws -> S3Operation {
        if query.routing.contains(.acl) {
            switch verb {
            case .get: return .getBucketAcl
            case .put: return .putBucketAcl
            default: throw S3Error(.methodNotAllowed)
            }
        }
        if query.routing.contains(.publicAccessBlock) {
            switch verb {
            case .get: return .getPublicAccessBlock
            case .put: return .putPublicAccessBlock
            case .delete: return .deletePublicAccessBlock
            default: throw S3Error(.methodNotAllowed)
            }
        }
        if query.routing.contains(.ownershipControls) {
            switch verb {
            case .get: return .getBucketOwnershipControls
            case .put: return .putBucketOwnershipControls
            case .delete: return .deleteBucketOwnershipControls
            default: throw S3Error(.methodNotAllowed)
            }
        }
        switch verb {
        case .get:
            if query.routing.contains(.location) { return .getBucketLocation }
            if query.routing.contains(.versioning) { return .getBucketVersioning }
            if query.routing.contains(.versions) { return .listObjectVersions }
            if query.routing.contains(.uploads) { return .listMultipartUploads }
            if query.routing.contains(.listType), let listType = query.parameters["list-type"] {
                guard listType == "2" else {
                    throw S3Error(
                        .invalidArgument, details: [("ArgumentName", "list-type"), ("ArgumentValue", listType)])
                }
                return .listObjectsV2
            }
            return .listObjects
        case .put:
            if query.routing.contains(.versioning) { return .putBucketVersioning }
            return .createBucket
        case .head:
            return .headBucket
        case .delete:
            return .deleteBucket
        case .post:
            if query.routing.contains(.delete) { return .deleteObjects }
            // A POST to a bucket without `delete` is a browser-based (HTML form) upload.
            throw S3Error(.notImplemented)
        }
    }

    private static func objectOperation(_ verb: Verb, query: QueryString, hasCopySource: Bool) throws -> S3Operation {
        if query.routing.contains(.acl) {
            switch verb {
            case .get: return .getObjectAcl
            case .put: return .putObjectAcl
            default: throw S3Error(.methodNotAllowed)
            }
        }
        switch verb {
        case .put:
            if query.routing.contains(.uploadId) {
                try validatePartNumber(query.parameters["partNumber"])
                return hasCopySource ? .uploadPartCopy : .uploadPart
            }
            return hasCopySource ? .copyObject : .putObject
        case .get:
            if query.routing.contains(.uploadId) { return .listParts }
            if query.routing.contains(.attributes) { return .getObjectAttributes }
            if query.routing.contains(.partNumber) { try validatePartNumber(query.parameters["partNumber"]) }
            return .getObject
        case .head:
            if query.routing.contains(.partNumber) { try validatePartNumber(query.parameters["partNumber"]) }
            return .headObject
        case .delete:
            return query.routing.contains(.uploadId) ? .abortMultipartUpload : .deleteObject
        case .post:
            if query.routing.contains(.uploads) { return .createMultipartUpload }
            if query.routing.contains(.uploadId) { return .completeMultipartUpload }
            throw S3Error(.methodNotAllowed)
        }
    }

    /// A part number is a decimal integer in 1...10000; absence counts as invalid.
    private static func validatePartNumber(_ value: String?) throws {
        guard let value, value.utf8.count <= 5, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let number = Int(value), (1...10_000).contains(number)
        else {
            throw S3Error(
                .invalidArgument, "Part number must be an integer between 1 and 10000, inclusive",
                details: [("ArgumentName", "partNumber"), ("ArgumentValue", value ?? "")])
        }
    }

    private static let copySourceName = Array("x-amz-copy-source".utf8)

    /// Whether a header name is `x-amz-copy-source` in any ASCII case. No other string is
    /// canonically equivalent to that name, so bytes decide, as `String ==` would.
    private static func isCopySourceName(_ name: String) -> Bool {
        ASCII.equalsLowercased(name.utf8, copySourceName)
    }
}
