internal import HTTPTypes
public import Hummingbird
internal import ObjectLayer
internal import S3Protocol
internal import StowageCore

extension S3Handlers {
    // MARK: Bucket versioning

    func getBucketVersioning(_ call: S3Call) async throws -> Response {
        let bucket = try await store.bucket(call.bucket)
        var xml = XMLWriter()
        xml.open("VersioningConfiguration", attributes: [("xmlns", Self.xmlNamespace)])
        // A bucket that was never versioned has no Status element, as in S3.
        if let state = bucket.versioning { xml.element("Status", state.rawValue) }
        xml.close("VersioningConfiguration")
        return xmlResponse(xml)
    }

    /// PutBucketVersioning: Status Enabled or Suspended. MFA Delete is not supported.
    func putBucketVersioning(_ call: S3Call) async throws -> Response {
        let body = try await smallBody(call)
        let document = try XMLDocumentParser.parse(body)
        guard document.name == "VersioningConfiguration" else { throw S3Error(.malformedXML) }
        if let mfa = document.child("MfaDelete")?.text.trimmingSpaces, mfa == "Enabled" {
            throw S3Error(.notImplemented, "MFA Delete is not supported.")
        }
        guard let status = document.child("Status")?.text.trimmingSpaces else {
            throw S3Error(.illegalVersioningConfiguration)
        }
        guard let state = BucketVersioning(rawValue: status) else { throw S3Error(.malformedXML) }
        try await store.setBucketVersioning(call.bucket, state)
        return emptyResponse(.ok)
    }

    // MARK: Version headers

    /// The `x-amz-version-id` a write's response carries: the new version's id, none for a null
    /// version (S3 sends none in a suspended bucket either).
    func writtenVersionHeader(_ record: ObjectRecord, headers: inout HTTPFields) {
        if record.versionID != "null" { headers[.amzVersionID] = record.versionID }
    }

    /// The `x-amz-version-id` a response about `record` carries: its id, or "null" for the null
    /// version of a bucket that has versioning configured; none in a never-versioned bucket.
    static func versionHeaderValue(_ record: ObjectRecord, bucketVersioned: Bool) -> String? {
        if record.versionID != "null" { return record.versionID }
        return bucketVersioned ? "null" : nil
    }

    /// `versionHeaderValue(_:bucketVersioned:)`, looking the bucket up only for a null version.
    func versionHeaderValue(_ record: ObjectRecord) async throws -> String? {
        Self.versionHeaderValue(record, bucketVersioned: try await store.isVersioned(record))
    }

    /// The `versionId` query parameter; an empty or malformed one is refused as S3 does.
    func versionIDParameter(_ call: S3Call) throws -> String? {
        guard let value = call.query("versionId") else { return nil }
        guard VersionClock.isWellFormed(value) else {
            throw S3Error(.invalidArgument, "Invalid version id specified",
                details: [("ArgumentName", "versionId"), ("ArgumentValue", value)])
        }
        return value
    }

    // MARK: ListObjectVersions

    func listObjectVersions(_ call: S3Call) async throws -> Response {
        let parameters = try ListingParameters(call)
        let (prefix, delimiter, maxKeys, url) = (parameters.prefix, parameters.delimiter, parameters.maxKeys, parameters.url)
        let keyMarker = call.query("key-marker").flatMap { $0.isEmpty ? nil : $0 }
        let versionIDMarker = call.query("version-id-marker").flatMap { $0.isEmpty ? nil : $0 }
        let page = try await store.listObjectVersions(
            bucket: call.bucket, prefix: prefix, delimiter: delimiter, keyMarker: keyMarker,
            versionIDMarker: versionIDMarker, maxKeys: maxKeys)

        var xml = XMLWriter()
        xml.open("ListVersionsResult", attributes: [("xmlns", Self.xmlNamespace)])
        xml.element("Name", call.bucket)
        xml.element("Prefix", encode(prefix, url: url))
        xml.element("KeyMarker", encode(keyMarker ?? "", url: url))
        xml.element("VersionIdMarker", versionIDMarker ?? "")
        if let next = page.nextKeyMarker { xml.element("NextKeyMarker", encode(next, url: url)) }
        if let next = page.nextVersionIDMarker { xml.element("NextVersionIdMarker", next) }
        xml.element("MaxKeys", String(maxKeys))
        if let delimiter { xml.element("Delimiter", encode(delimiter, url: url)) }
        if url { xml.element("EncodingType", "url") }
        xml.element("IsTruncated", page.isTruncated ? "true" : "false")
        for entry in page.entries {
            let record = entry.record
            xml.open(record.isDeleteMarker ? "DeleteMarker" : "Version")
            xml.element("Key", encode(record.key, url: url))
            xml.element("VersionId", record.versionID)
            xml.element("IsLatest", entry.isLatest ? "true" : "false")
            xml.element("LastModified", HTTPDate.iso8601(millisecondsSince1970: record.lastModified))
            if !record.isDeleteMarker {
                objectSummary(record, to: &xml)
                xml.element("StorageClass", record.storageClass)
            }
            owner(&xml)
            xml.close(record.isDeleteMarker ? "DeleteMarker" : "Version")
        }
        commonPrefixes(page.commonPrefixes, url: url, to: &xml)
        xml.close("ListVersionsResult")
        return xmlResponse(xml)
    }
}
