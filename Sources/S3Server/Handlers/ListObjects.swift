public import Hummingbird
internal import ObjectLayer
internal import S3Protocol
internal import StowageCore

extension S3Handlers {
    /// ListObjects (V1) and ListObjectsV2.
    /// What every listing takes: prefix, delimiter, max-keys (at most 1,000) and encoding-type.
    struct ListingParameters {
        var prefix: String
        var delimiter: String?
        var maxKeys: Int
        /// `encoding-type=url`: keys and prefixes in the answer are URL-encoded.
        var url: Bool

        init(_ call: S3Call) throws {
            prefix = call.query("prefix") ?? ""
            delimiter = call.query("delimiter").flatMap { $0.isEmpty ? nil : $0 }
            maxKeys = 1000
            if let text = call.query("max-keys") {
                guard let value = Int(text), value >= 0 else {
                    throw S3Error(.invalidArgument, "Provided max-keys not an integer or within integer range",
                        details: [("ArgumentName", "max-keys"), ("ArgumentValue", text)])
                }
                maxKeys = min(value, 1000)
            }
            let encodingType = call.query("encoding-type")
            if let encodingType, encodingType.lowercased() != "url" {
                throw S3Error(.invalidArgument, "Invalid Encoding Method specified in Request",
                    details: [("ArgumentName", "encoding-type")])
            }
            url = encodingType != nil
        }
    }

    func listObjects(_ call: S3Call, version: Int) async throws -> Response {
        let parameters = try ListingParameters(call)
        let (prefix, delimiter, maxKeys, url) = (parameters.prefix, parameters.delimiter, parameters.maxKeys, parameters.url)
        var after: String?
        var continuationToken: String?
        if version == 2 {
            if let token = call.query("continuation-token") {
                guard let bytes = Base64.decode(token), let decoded = String(validating: bytes, as: UTF8.self) else {
                    throw S3Error(.invalidArgument, "The continuation token provided is incorrect",
                        details: [("ArgumentName", "continuation-token")])
                }
                continuationToken = token
                after = decoded
            } else if let startAfter = call.query("start-after"), !startAfter.isEmpty {
                after = startAfter
            }
        } else if let marker = call.query("marker"), !marker.isEmpty {
            after = marker
        }
        let page = try await store.listObjects(
            bucket: call.bucket, prefix: prefix, delimiter: delimiter, after: after, maxKeys: maxKeys)
        let fetchOwner = version == 1 || call.query("fetch-owner")?.lowercased() == "true"

        var xml = XMLWriter()
        xml.open("ListBucketResult", attributes: [("xmlns", Self.xmlNamespace)])
        xml.element("Name", call.bucket)
        xml.element("Prefix", encode(prefix, url: url))
        if version == 2 {
            if let continuationToken { xml.element("ContinuationToken", continuationToken) }
            if let startAfter = call.query("start-after") { xml.element("StartAfter", encode(startAfter, url: url)) }
            xml.element("KeyCount", String(page.objects.count + page.commonPrefixes.count))
        } else {
            xml.element("Marker", encode(call.query("marker") ?? "", url: url))
        }
        xml.element("MaxKeys", String(maxKeys))
        if let delimiter { xml.element("Delimiter", encode(delimiter, url: url)) }
        if url { xml.element("EncodingType", "url") }
        xml.element("IsTruncated", page.isTruncated ? "true" : "false")
        if page.isTruncated, let last = page.lastEntry {
            if version == 2 {
                xml.element("NextContinuationToken", Base64.encode(Array(last.utf8)))
            } else if delimiter != nil {
                xml.element("NextMarker", encode(last, url: url))
            }
        }
        for record in page.objects {
            xml.open("Contents")
            xml.element("Key", encode(record.key, url: url))
            xml.element("LastModified", HTTPDate.iso8601(millisecondsSince1970: record.lastModified))
            objectSummary(record, to: &xml)
            if fetchOwner { owner(&xml) }
            xml.element("StorageClass", record.storageClass)
            xml.close("Contents")
        }
        commonPrefixes(page.commonPrefixes, url: url, to: &xml)
        xml.close("ListBucketResult")
        return xmlResponse(xml)
    }

    /// ETag, checksum algorithms and type, and Size of a listed object (ListObjects, ListObjectVersions).
    func objectSummary(_ record: ObjectRecord, to xml: inout XMLWriter) {
        xml.element("ETag", "\"\(record.etag)\"")
        for algorithm in record.checksums.keys.sorted() { xml.element("ChecksumAlgorithm", algorithm) }
        if let type = record.checksumType, !record.checksums.isEmpty { xml.element("ChecksumType", type) }
        xml.element("Size", String(record.size))
    }

    /// The `CommonPrefixes` elements of a listing.
    func commonPrefixes(_ prefixes: [String], url: Bool, to xml: inout XMLWriter) {
        for prefix in prefixes {
            xml.open("CommonPrefixes")
            xml.element("Prefix", encode(prefix, url: url))
            xml.close("CommonPrefixes")
        }
    }
}
