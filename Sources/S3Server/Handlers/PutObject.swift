internal import HTTPTypes
public import Hummingbird
internal import ObjectLayer
internal import S3Protocol
internal import StowageCore

extension S3Handlers {
    static let storageClasses: Set<String> = [
        "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
        "DEEP_ARCHIVE", "GLACIER_IR", "OUTPOSTS", "SNOW", "EXPRESS_ONEZONE",
    ]
    static let maxUserMetadataBytes = 2048

    /// The metadata a write stores, from the request headers.
    func writeOptions(_ call: S3Call) throws -> ObjectWriteOptions {
        var system: [String: String] = [:]
        for name in ["content-type", "content-disposition", "cache-control", "content-language", "expires"] {
            if let value = call.header(name) { system[name] = value }
        }
        if let encoding = call.header("content-encoding") {
            // aws-chunked is transport framing, not a property of the object: it is dropped, and
            // the other codings kept; a value without it is stored exactly as sent (S3 returns
            // `deflate, gzip` as it was given).
            let codings = encoding.split(separator: ",").map { $0.trimmingSpaces }
            if !codings.contains("aws-chunked") {
                if codings.contains(where: { !$0.isEmpty }) { system["content-encoding"] = encoding }
            } else {
                let kept = codings.filter { !$0.isEmpty && $0 != "aws-chunked" }
                if !kept.isEmpty { system["content-encoding"] = kept.joined(separator: ",") }
            }
        }
        var user: [String: String] = [:]
        var userBytes = 0
        for (name, value) in call.headers where name.hasPrefix("x-amz-meta-") {
            let short = String(name.dropFirst("x-amz-meta-".count))
            user[short] = value
            userBytes += short.utf8.count + value.utf8.count
        }
        if userBytes > Self.maxUserMetadataBytes { throw S3Error(.metadataTooLarge) }
        let storageClass = call.header("x-amz-storage-class") ?? "STANDARD"
        guard Self.storageClasses.contains(storageClass) else { throw S3Error(.invalidStorageClass) }
        var expectedMD5: [UInt8]?
        if let md5 = call.header("content-md5") {
            guard let bytes = Base64.decode(md5.trimmingSpaces), bytes.count == 16 else { throw S3Error(.invalidDigest) }
            expectedMD5 = bytes
        }
        let checksumType = call.header("x-amz-checksum-type")?.uppercased()
        if let type = checksumType, type != "COMPOSITE" && type != "FULL_OBJECT" {
            throw S3Error(.invalidRequest, "Value for x-amz-checksum-type header is invalid.")
        }
        return ObjectWriteOptions(
            systemMetadata: system, userMetadata: user, storageClass: storageClass, expectedMD5: expectedMD5,
            checksumType: checksumType)
    }

    /// `If-None-Match: *` / `If-Match: "etag"` on PutObject and CompleteMultipartUpload. S3 supports
    /// only `*` for If-None-Match on writes; anything else is NotImplemented.
    func writeCondition(_ call: S3Call) throws -> WriteCondition? {
        if call.header("if-none-match") != nil && call.header("if-match") != nil {
            throw S3Error(.notImplemented, "If-Match and If-None-Match cannot be combined on a write.")
        }
        if let value = call.header("if-none-match")?.trimmingSpaces {
            guard value == "*" else { throw S3Error(.notImplemented, "If-None-Match supports only * on writes.") }
            return .absent
        }
        guard var value = call.header("if-match")?.trimmingSpaces else { return nil }
        if value == "*" { return .exists }
        if value.hasPrefix("W/") { value = String(value.dropFirst(2)) }
        if value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
        return .etag(value)
    }

    func putObject(_ call: S3Call) async throws -> Response {
        try await checkObjectWriteACL(call)
        var options = try writeOptions(call)
        options.condition = try writeCondition(call)
        let spec = try payloadSpec(call)
        guard let length = spec.decodedLength else { throw S3Error(.missingContentLength) }
        if length > configuration.maxSinglePutBytes { throw S3Error(.entityTooLarge) }
        let computed = ComputedChecksums()
        options.finalizeChecksums = { computed.all }
        if spec.checksum != nil { options.checksumType = "FULL_OBJECT" }
        let record = try await store.putObject(
            bucket: call.bucket, key: call.key, body: payload(call, spec: spec, computed: computed), size: length,
            options: options)
        var headers = HTTPFields()
        headers[.eTag] = "\"\(record.etag)\""
        writtenVersionHeader(record, headers: &headers)
        for (algorithm, value) in record.checksums {
            headers[HTTPField.Name("x-amz-checksum-\(algorithm.lowercased())")!] = value
        }
        if !record.checksums.isEmpty { headers[.amzChecksumType] = "FULL_OBJECT" }
        return emptyResponse(.ok, headers: headers)
    }

    /// The source named by `x-amz-copy-source` (`[/]bucket/key[?versionId=…]`, URL-encoded), and
    /// whether it names a version.
    func copySource(_ call: S3Call) async throws -> (record: ObjectRecord, namesVersion: Bool) {
        guard var source = call.header("x-amz-copy-source") else { throw S3Error(.invalidArgument) }
        var versionID: String?
        if let mark = source.firstIndex(of: "?") {
            let query = source[source.index(after: mark)...]
            if query.hasPrefix("versionId=") {
                versionID = PercentEncoding.decode(query.dropFirst("versionId=".count))
                guard let versionID, VersionClock.isWellFormed(versionID) else {
                    throw S3Error(.invalidArgument, "Invalid version id specified")
                }
            }
            source = String(source[..<mark])
        }
        guard let decoded = PercentEncoding.decode(source) else { throw S3Error(.invalidArgument, "Invalid copy source encoding") }
        let trimmed = decoded.hasPrefix("/") ? String(decoded.dropFirst()) : decoded
        guard let slash = trimmed.firstIndex(of: "/") else {
            throw S3Error(.invalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
                details: [("ArgumentName", "x-amz-copy-source")])
        }
        let bucket = String(trimmed[..<slash])
        let key = String(trimmed[trimmed.index(after: slash)...])
        guard !key.isEmpty else { throw S3Error(.invalidArgument, "Copy Source must mention the source bucket and key") }
        let record: ObjectRecord
        do {
            record = try await store.headObject(bucket: bucket, key: key, versionID: versionID)
        } catch let error as ObjectLayerError where error.code == .deleteMarkerVersion {
            throw S3Error(.invalidRequest, "The source of a copy request may not specifically refer to a delete marker by version id.")
        } catch let error as ObjectLayerError where error.code == .noSuchKey {
            // The source's delete-marker headers describe the source, not this request's object.
            throw ObjectLayerError(.noSuchKey, error.detail)
        }
        let conditions = ConditionalHeaders(
            ifMatch: call.header("x-amz-copy-source-if-match"),
            ifNoneMatch: call.header("x-amz-copy-source-if-none-match"),
            ifModifiedSince: call.header("x-amz-copy-source-if-modified-since"),
            ifUnmodifiedSince: call.header("x-amz-copy-source-if-unmodified-since"))
        guard conditions.evaluateCopySource(etag: record.etag, lastModified: record.lastModified / 1000) == .proceed else {
            throw S3Error(.preconditionFailed)
        }
        return (record, versionID != nil)
    }

    func copyObject(_ call: S3Call) async throws -> Response {
        try await checkObjectWriteACL(call)
        let (source, namesVersion) = try await copySource(call)
        let directive = (call.header("x-amz-metadata-directive") ?? "COPY").uppercased()
        guard directive == "COPY" || directive == "REPLACE" else {
            throw S3Error(.invalidArgument, "Unknown metadata directive.")
        }
        var replacement: ObjectWriteOptions?
        if directive == "REPLACE" {
            replacement = try writeOptions(call)
        } else if call.header("x-amz-storage-class") != nil {
            var options = try writeOptions(call)
            options.systemMetadata = source.systemMetadata
            options.userMetadata = source.userMetadata
            replacement = options
        }
        // Copying a named version onto its own key is how an old version is restored.
        if source.bucket == call.bucket && source.key == call.key && replacement == nil && !namesVersion {
            throw S3Error(
                .invalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."
            )
        }
        let record = try await store.copyObject(source: source, toBucket: call.bucket, key: call.key, replacing: replacement)
        var xml = XMLWriter()
        xml.open("CopyObjectResult", attributes: [("xmlns", Self.xmlNamespace)])
        xml.element("LastModified", HTTPDate.iso8601(millisecondsSince1970: record.lastModified))
        xml.element("ETag", "\"\(record.etag)\"")
        for (algorithm, value) in record.checksums.sorted(by: { $0.key < $1.key }) {
            xml.element("Checksum" + algorithm, value)
        }
        xml.close("CopyObjectResult")
        var headers = HTTPFields()
        writtenVersionHeader(record, headers: &headers)
        headers[.amzCopySourceVersionID] = try await versionHeaderValue(source)
        return xmlResponse(xml, headers: headers)
    }
}
