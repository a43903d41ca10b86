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
/// not serve (`acl`, `tagging`, `versions`, …) are refused with NotImplemented rather than
/// being silently misread as another action.
///
/// The router is a pure function of its inputs; it does not check that buckets or keys exist.
package struct S3Router: Sendable {
    /// Subresources of S3 actions Stowage does not implement; any of them in the query is
    /// answered with 501 NotImplemented whatever the method.
    private static let unsupportedSubresources: [String] = [
        "acl", "policy", "policyStatus", "cors", "lifecycle", "tagging", "website", "logging", "notification",
        "replication", "encryption", "object-lock", "retention", "legal-hold", "torrent", "restore", "select",
        "versions", "accelerate", "requestPayment", "analytics", "metrics", "inventory", "intelligent-tiering",
        "ownershipControls", "publicAccessBlock", "attributes",
    ]

    /// Lowercased, longest first, so that a more specific domain wins over one it is a subdomain of.
    private let virtualHostDomains: [String]

    /// `virtualHostDomains`: e.g. ["s3.example.com"]; a Host of "<bucket>.s3.example.com[:port]" selects
    /// virtual-hosted style. A Host equal to one of them (or any other Host) means path style.
    package init(virtualHostDomains: [String]) {
        self.virtualHostDomains =
            virtualHostDomains
            .map { Self.lowercasedASCII(Substring($0)) }
            .filter { !$0.isEmpty }
            .sorted { $0.utf8.count > $1.utf8.count }
    }

    /// Throws S3Error: .invalidURI (path not starting with `/`, bad escapes, not UTF-8),
    /// .invalidBucketName, .keyTooLong (> 1024 UTF-8 bytes), .methodNotAllowed, .notImplemented
    /// for known-but-unsupported subresources (and for OPTIONS and browser POST uploads),
    /// .invalidArgument for a partNumber outside 1...10000 or a list-type other than 2.
    package func route(
        method: String, rawPath: String, rawQuery: String, host: String?, headers: [(name: String, value: String)]
    ) throws -> S3Request {
        guard rawPath.utf8.first == UInt8(ascii: "/") else { throw S3Error(.invalidURI) }
        let query = try QueryString.parse(rawQuery)
        let (bucket, key) = try address(rawPath: rawPath, host: host)
        guard method != "OPTIONS" else { throw S3Error(.notImplemented) }
        guard ["GET", "HEAD", "PUT", "POST", "DELETE"].contains(method) else { throw S3Error(.methodNotAllowed) }
        if let subresource = Self.unsupportedSubresources.first(where: { query[$0] != nil }) {
            throw S3Error(.notImplemented, details: [("Subresource", subresource)])
        }

        let operation: S3Operation
        if let bucket {
            if key != nil {
                let hasCopySource = headers.contains { Self.lowercasedASCII(Substring($0.name)) == "x-amz-copy-source" }
                operation = try Self.objectOperation(method: method, query: query, hasCopySource: hasCopySource)
            } else {
                operation = try Self.bucketOperation(method: method, query: query)
            }
            return S3Request(operation: operation, bucket: bucket, key: key, query: query)
        }
        guard method == "GET" else { throw S3Error(.methodNotAllowed) }
        return S3Request(operation: .listBuckets, bucket: nil, key: nil, query: query)
    }

    // MARK: Addressing

    /// The bucket (nil for the service) and key (nil for the bucket) the request addresses.
    private func address(rawPath: String, host: String?) throws -> (bucket: String?, key: String?) {
        let path = rawPath.dropFirst()
        if let host, let bucket = try virtualHostedBucket(host: host) {
            return (bucket, try Self.decodeKey(path))
        }
        let bucketEnd = path.firstIndex(of: "/") ?? path.endIndex
        let rawBucket = path[..<bucketEnd]
        if rawBucket.isEmpty {
            // "/" is the service; "//key" names no bucket.
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

    /// The bucket named by a virtual-hosted Host header, or nil when the host is not one.
    private func virtualHostedBucket(host rawHost: String) throws -> String? {
        var host = Substring(rawHost)
        // A bracketed IPv6 literal is never a virtual host.
        guard host.first != "[" else { return nil }
        if let colon = host.lastIndex(of: ":") { host = host[..<colon] }
        if host.last == "." { host = host.dropLast() }  // fully qualified form
        let lowered = Self.lowercasedASCII(host)
        for domain in virtualHostDomains {
            if lowered == domain { return nil }
            if lowered.hasSuffix("." + domain) {
                let bucket = String(lowered.dropLast(domain.utf8.count + 1))
                guard BucketNameRules.validate(bucket) else {
                    throw S3Error(.invalidBucketName, details: [("BucketName", bucket)])
                }
                return bucket
            }
        }
        return nil
    }

    /// nil for an empty key (a bucket operation); otherwise the decoded key, at most 1024 bytes.
    private static func decodeKey(_ rawKey: Substring) throws -> String? {
        guard !rawKey.isEmpty else { return nil }
        guard let key = PercentEncoding.decode(rawKey) else { throw S3Error(.invalidURI) }
        guard key.utf8.count <= 1024 else { throw S3Error(.keyTooLong) }
        return key
    }

    // MARK: Dispatch

    private static func bucketOperation(method: String, query: [String: String]) throws -> S3Operation {
        switch method {
        case "GET":
            if query["location"] != nil { return .getBucketLocation }
            if query["versioning"] != nil { return .getBucketVersioning }
            if query["uploads"] != nil { return .listMultipartUploads }
            if let listType = query["list-type"] {
                guard listType == "2" else {
                    throw S3Error(
                        .invalidArgument, details: [("ArgumentName", "list-type"), ("ArgumentValue", listType)])
                }
                return .listObjectsV2
            }
            return .listObjects
        case "PUT":
            // PutBucketVersioning is known to S3 but not served; without this it would read as CreateBucket.
            if query["versioning"] != nil { throw S3Error(.notImplemented, details: [("Subresource", "versioning")]) }
            return .createBucket
        case "HEAD":
            return .headBucket
        case "DELETE":
            return .deleteBucket
        default:  // POST
            if query["delete"] != nil { return .deleteObjects }
            // A POST to a bucket without `delete` is a browser-based (HTML form) upload.
            throw S3Error(.notImplemented)
        }
    }

    private static func objectOperation(
        method: String, query: [String: String], hasCopySource: Bool
    ) throws -> S3Operation {
        switch method {
        case "PUT":
            if query["uploadId"] != nil {
                try validatePartNumber(query["partNumber"])
                return hasCopySource ? .uploadPartCopy : .uploadPart
            }
            return hasCopySource ? .copyObject : .putObject
        case "GET":
            if query["uploadId"] != nil { return .listParts }
            if let partNumber = query["partNumber"] { try validatePartNumber(partNumber) }
            return .getObject
        case "HEAD":
            if let partNumber = query["partNumber"] { try validatePartNumber(partNumber) }
            return .headObject
        case "DELETE":
            return query["uploadId"] != nil ? .abortMultipartUpload : .deleteObject
        default:  // POST
            if query["uploads"] != nil { return .createMultipartUpload }
            if query["uploadId"] != nil { return .completeMultipartUpload }
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

    private static func lowercasedASCII(_ text: Substring) -> String {
        String(
            decoding: text.utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 },
            as: UTF8.self)
    }
}
