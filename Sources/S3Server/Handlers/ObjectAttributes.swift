internal import HTTPTypes
public import Hummingbird
internal import ObjectLayer
internal import S3Protocol
internal import StowageCore

extension S3Handlers {
    /// The attributes GetObjectAttributes can return, as `x-amz-object-attributes` names them.
    static let objectAttributeNames: Set<String> = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]

    /// GetObjectAttributes: the attributes `x-amz-object-attributes` asks for (ETag without
    /// quotes, Checksum, ObjectParts of a multipart object paged by `x-amz-max-parts` and
    /// `x-amz-part-number-marker`, StorageClass, ObjectSize) of the current version or of
    /// `versionId`, with `Last-Modified` and `x-amz-version-id` headers, as S3 answers.
    func getObjectAttributes(_ call: S3Call) async throws -> Response {
        let requested = Set(
            (call.header("x-amz-object-attributes") ?? "").split(separator: ",").map { String($0.trimmingSpaces) }
                .filter { !$0.isEmpty })
        guard !requested.isEmpty else {
            throw S3Error(.invalidArgument, "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty")
        }
        guard requested.isSubset(of: Self.objectAttributeNames) else {
            throw S3Error(.invalidArgument, "Invalid attribute name specified.")
        }
        let maxParts = try Self.nonNegativeHeader(call, "x-amz-max-parts") ?? 1000
        let marker = try Self.nonNegativeHeader(call, "x-amz-part-number-marker") ?? 0
        let read = try await store.readObject(bucket: call.bucket, key: call.key, versionID: try versionIDParameter(call))
        let record = read.record

        var xml = XMLWriter()
        xml.open("GetObjectAttributesResponse", attributes: [("xmlns", Self.xmlNamespace)])
        if requested.contains("ETag") { xml.element("ETag", record.etag) }
        if requested.contains("Checksum"), !record.checksums.isEmpty {
            xml.open("Checksum")
            for (algorithm, value) in record.checksums.sorted(by: { $0.key < $1.key }) {
                xml.element("Checksum" + algorithm, value)
            }
            if let type = record.checksumType { xml.element("ChecksumType", type) }
            xml.close("Checksum")
        }
        // Only objects completed from a multipart upload have parts to describe (their ETag ends in -N).
        if requested.contains("ObjectParts"), record.etag.contains("-") {
            let after = record.parts.filter { $0.number > marker }
            let page = after.prefix(maxParts)
            xml.open("ObjectParts")
            xml.element("IsTruncated", after.count > page.count ? "true" : "false")
            xml.element("MaxParts", String(maxParts))
            if let last = page.last { xml.element("NextPartNumberMarker", String(last.number)) }
            xml.element("PartNumberMarker", String(marker))
            for part in page {
                xml.open("Part")
                for (algorithm, value) in part.checksums.sorted(by: { $0.key < $1.key }) {
                    xml.element("Checksum" + algorithm, value)
                }
                xml.element("PartNumber", String(part.number))
                xml.element("Size", String(part.size))
                xml.close("Part")
            }
            xml.element("PartsCount", String(record.parts.count))
            xml.close("ObjectParts")
        }
        if requested.contains("StorageClass") { xml.element("StorageClass", record.storageClass) }
        if requested.contains("ObjectSize") { xml.element("ObjectSize", String(record.size)) }
        xml.close("GetObjectAttributesResponse")
        var headers = HTTPFields()
        headers[.lastModified] = HTTPDate.format(record.lastModified / 1000)
        headers[.amzVersionID] = Self.versionHeaderValue(record, bucketVersioned: read.bucketVersioned)
        return xmlResponse(xml, headers: headers)
    }

    /// A header holding a non-negative integer, nil when absent; 400 InvalidArgument otherwise.
    private static func nonNegativeHeader(_ call: S3Call, _ name: String) throws -> Int? {
        guard let text = call.header(name) else { return nil }
        guard let value = Int(text.trimmingSpaces), value >= 0 else {
            throw S3Error(.invalidArgument, "Invalid \(name) header: \(text)",
                details: [("ArgumentName", name), ("ArgumentValue", text)])
        }
        return value
    }
}
