internal import HTTPTypes
public import Hummingbird
internal import ObjectLayer
internal import S3Protocol
internal import StowageCore

extension S3Handlers {
    func createMultipartUpload(_ call: S3Call) async throws -> Response {
        try await checkObjectWriteACL(call)
        var options = try writeOptions(call)
        var algorithm: ChecksumAlgorithm?
        if let name = call.header("x-amz-checksum-algorithm") {
            guard let parsed = ChecksumAlgorithm(rawValue: name.uppercased()) else {
                throw S3Error(.invalidRequest, "Checksum algorithm provided is unsupported.")
            }
            algorithm = parsed
        }
        // S3: SHA checksums of multipart objects are COMPOSITE only, CRC-64/NVME FULL_OBJECT only
        // (its default), the CRC-32s either (COMPOSITE by default).
        if let algorithm {
            let type = options.checksumType ?? (algorithm == .crc64nvme ? "FULL_OBJECT" : "COMPOSITE")
            let allowed: Set<String> = switch algorithm {
            case .sha1, .sha256: ["COMPOSITE"]
            case .crc64nvme: ["FULL_OBJECT"]
            case .crc32, .crc32c: ["COMPOSITE", "FULL_OBJECT"]
            }
            guard allowed.contains(type) else {
                throw S3Error(.invalidRequest, "The \(type) checksum type cannot be used with the \(algorithm.rawValue.lowercased()) checksum algorithm.")
            }
            options.checksumType = type
        } else if options.checksumType != nil {
            throw S3Error(.invalidRequest, "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
        }
        let upload = try await store.createMultipartUpload(
            bucket: call.bucket, key: call.key, options: options, checksumAlgorithm: algorithm?.rawValue)
        var xml = XMLWriter()
        xml.open("InitiateMultipartUploadResult", attributes: [("xmlns", Self.xmlNamespace)])
        xml.element("Bucket", call.bucket)
        xml.element("Key", call.key)
        xml.element("UploadId", upload.uploadID)
        xml.close("InitiateMultipartUploadResult")
        var headers = HTTPFields()
        if let algorithm, let type = options.checksumType {
            headers[.amzChecksumAlgorithm] = algorithm.rawValue
            headers[.amzChecksumType] = type
        }
        return xmlResponse(xml, headers: headers)
    }

    func partNumber(_ call: S3Call) throws -> Int {
        guard let text = call.query("partNumber"), let number = Int(text), number >= 1, number <= 10000 else {
            throw S3Error(.invalidArgument, "Part number must be an integer between 1 and 10000, inclusive",
                details: [("ArgumentName", "partNumber")])
        }
        return number
    }

    func uploadPart(_ call: S3Call) async throws -> Response {
        let number = try partNumber(call)
        let uploadID = call.query("uploadId") ?? ""
        var options = try writeOptions(call)
        let spec = try payloadSpec(call)
        guard let length = spec.decodedLength else { throw S3Error(.missingContentLength) }
        if length > configuration.maxSinglePutBytes { throw S3Error(.entityTooLarge) }
        let computed = ComputedChecksums()
        options.finalizeChecksums = { computed.all }
        let part = try await store.uploadPart(
            bucket: call.bucket, key: call.key, uploadID: uploadID, partNumber: number,
            body: payload(call, spec: spec, computed: computed), size: length, options: options)
        var headers = HTTPFields()
        headers[.eTag] = "\"\(part.etag)\""
        for (algorithm, value) in part.checksums {
            headers[HTTPField.Name("x-amz-checksum-\(algorithm.lowercased())")!] = value
        }
        return emptyResponse(.ok, headers: headers)
    }

    func uploadPartCopy(_ call: S3Call) async throws -> Response {
        let number = try partNumber(call)
        let uploadID = call.query("uploadId") ?? ""
        let source = try await copySource(call).record
        var range: ClosedRange<Int64>?
        if let text = call.header("x-amz-copy-source-range") {
            range = try Self.copySourceRange(text, size: source.size)
        }
        let size = range.map { $0.upperBound - $0.lowerBound + 1 } ?? source.size
        let part = try await store.uploadPart(
            bucket: call.bucket, key: call.key, uploadID: uploadID, partNumber: number,
            body: store.objectBytes(source, range: range), size: size, options: ObjectWriteOptions())
        var xml = XMLWriter()
        xml.open("CopyPartResult", attributes: [("xmlns", Self.xmlNamespace)])
        xml.element("LastModified", HTTPDate.iso8601(millisecondsSince1970: part.lastModified))
        xml.element("ETag", "\"\(part.etag)\"")
        xml.close("CopyPartResult")
        return xmlResponse(xml)
    }

    /// `x-amz-copy-source-range`: exactly `bytes=first-last`, both within the source. Unlike a
    /// GET's Range, a last byte past the end is not cut down to the object: S3 refuses it with
    /// 400 InvalidArgument, as it refuses every other form.
    static func copySourceRange(_ text: String, size: Int64) throws -> ClosedRange<Int64> {
        let spec = text.hasPrefix("bytes=") ? text.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false) : []
        guard spec.count == 2, spec.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { (48...57).contains($0) } }),
            let first = Int64(spec[0]), let last = Int64(spec[1]), first <= last
        else {
            throw S3Error(.invalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
        }
        guard last < size else {
            throw S3Error(.invalidArgument, "Range specified is not valid for source object of size: \(size)")
        }
        return first...last
    }

    func completeMultipartUpload(_ call: S3Call) async throws -> Response {
        let uploadID = call.query("uploadId") ?? ""
        let body = try await smallBody(call, checksumHeadersNameTheObject: true)
        let document = try XMLDocumentParser.parse(body)
        guard document.name == "CompleteMultipartUpload" else { throw S3Error(.malformedXML) }
        var requested: [CompletedPart] = []
        var requestedChecksums: [Int: [String: String]] = [:]
        for element in document.children("Part") {
            guard let numberText = element.child("PartNumber")?.text.trimmingSpaces, let number = Int(numberText),
                let etagText = element.child("ETag")?.text
            else { throw S3Error(.malformedXML) }
            var etag = etagText.trimmingSpaces
            if etag.hasPrefix("\"") && etag.hasSuffix("\"") && etag.count >= 2 { etag = String(etag.dropFirst().dropLast()) }
            requested.append(CompletedPart(number: number, etag: etag))
            for algorithm in ChecksumAlgorithm.allCases {
                if let value = element.child("Checksum" + algorithm.rawValue)?.text {
                    requestedChecksums[number, default: [:]][algorithm.rawValue] = value.trimmingSpaces
                }
            }
        }
        guard !requested.isEmpty else { throw S3Error(.malformedXML) }
        let checksumsByPart = requestedChecksums
        // A whole-object checksum sent with the completion (`x-amz-checksum-<algorithm>`).
        var givenWhole: [String: String] = [:]
        for algorithm in ChecksumAlgorithm.allCases {
            if let value = call.header(algorithm.headerName) { givenWhole[algorithm.rawValue] = value.trimmingSpaces }
        }
        let wholeChecksums = givenWhole
        let record = try await store.completeMultipartUpload(
            bucket: call.bucket, key: call.key, uploadID: uploadID, parts: requested, condition: try writeCondition(call)
        ) { upload, parts in
            for part in parts {
                for (algorithm, value) in checksumsByPart[part.number] ?? [:] where part.checksums[algorithm] != value {
                    throw S3Error(.invalidPart, "The checksum of part \(part.number) did not match.")
                }
            }
            guard let name = upload.checksumAlgorithm, let algorithm = ChecksumAlgorithm(rawValue: name) else { return [:] }
            let digests = parts.compactMap { $0.checksums[name] }
            guard digests.count == parts.count else {
                throw S3Error(.invalidPart, "A part was uploaded without its \(name) checksum.")
            }
            if upload.checksumType == "FULL_OBJECT" {
                guard let whole = fullObjectChecksum(algorithm, parts: zip(digests, parts).map { ($0, $1.size) }) else {
                    throw S3Error(.invalidPart, "A part's \(name) checksum is malformed.")
                }
                // The client may send the whole object's checksum with the completion: it must agree.
                if let given = wholeChecksums[name], given != whole {
                    throw S3Error(.badDigest, "The \(name) you specified for the object did not match what was computed from its parts.")
                }
                return [name: whole]
            }
            guard let composite = compositeChecksum(algorithm, partDigestsBase64: digests) else {
                throw S3Error(.invalidPart, "A part was uploaded without its \(name) checksum.")
            }
            return [name: composite]
        }
        var xml = XMLWriter()
        xml.open("CompleteMultipartUploadResult", attributes: [("xmlns", Self.xmlNamespace)])
        xml.element("Location", "/\(call.bucket)/\(PercentEncoding.awsURIEncode(call.key, encodeSlash: false))")
        xml.element("Bucket", call.bucket)
        xml.element("Key", call.key)
        xml.element("ETag", "\"\(record.etag)\"")
        for (algorithm, value) in record.checksums.sorted(by: { $0.key < $1.key }) {
            xml.element("Checksum" + algorithm, value)
        }
        if let type = record.checksumType, !record.checksums.isEmpty { xml.element("ChecksumType", type) }
        xml.close("CompleteMultipartUploadResult")
        var headers = HTTPFields()
        writtenVersionHeader(record, headers: &headers)
        return xmlResponse(xml, headers: headers)
    }

    func abortMultipartUpload(_ call: S3Call) async throws -> Response {
        try await store.abortMultipartUpload(bucket: call.bucket, key: call.key, uploadID: call.query("uploadId") ?? "")
        return emptyResponse(.noContent)
    }

    func listParts(_ call: S3Call) async throws -> Response {
        let uploadID = call.query("uploadId") ?? ""
        let marker = Int(call.query("part-number-marker") ?? "0") ?? 0
        let maxParts = min(Int(call.query("max-parts") ?? "1000") ?? 1000, 1000)
        let page = try await store.listParts(
            bucket: call.bucket, key: call.key, uploadID: uploadID, after: marker, maxParts: maxParts)
        var xml = XMLWriter()
        xml.open("ListPartsResult", attributes: [("xmlns", Self.xmlNamespace)])
        xml.element("Bucket", call.bucket)
        xml.element("Key", call.key)
        xml.element("UploadId", uploadID)
        owner(&xml, element: "Initiator")
        owner(&xml)
        xml.element("StorageClass", page.upload.storageClass)
        xml.element("PartNumberMarker", String(marker))
        if let last = page.parts.last { xml.element("NextPartNumberMarker", String(last.number)) }
        xml.element("MaxParts", String(maxParts))
        xml.element("IsTruncated", page.isTruncated ? "true" : "false")
        if let algorithm = page.upload.checksumAlgorithm { xml.element("ChecksumAlgorithm", algorithm) }
        for part in page.parts {
            xml.open("Part")
            xml.element("PartNumber", String(part.number))
            xml.element("LastModified", HTTPDate.iso8601(millisecondsSince1970: part.lastModified))
            xml.element("ETag", "\"\(part.etag)\"")
            xml.element("Size", String(part.size))
            for (algorithm, value) in part.checksums.sorted(by: { $0.key < $1.key }) {
                xml.element("Checksum" + algorithm, value)
            }
            xml.close("Part")
        }
        xml.close("ListPartsResult")
        return xmlResponse(xml)
    }

    func listMultipartUploads(_ call: S3Call) async throws -> Response {
        let prefix = call.query("prefix") ?? ""
        let keyMarker = call.query("key-marker").flatMap { $0.isEmpty ? nil : $0 }
        let uploadIDMarker = keyMarker == nil ? nil : call.query("upload-id-marker").flatMap { $0.isEmpty ? nil : $0 }
        let maxUploads = min(Int(call.query("max-uploads") ?? "1000") ?? 1000, 1000)
        let url = call.query("encoding-type")?.lowercased() == "url"
        let (uploads, truncated) = try await store.listMultipartUploads(
            bucket: call.bucket, prefix: prefix, afterKey: keyMarker, afterUploadID: uploadIDMarker, maxUploads: maxUploads)
        var xml = XMLWriter()
        xml.open("ListMultipartUploadsResult", attributes: [("xmlns", Self.xmlNamespace)])
        xml.element("Bucket", call.bucket)
        xml.element("KeyMarker", encode(keyMarker ?? "", url: url))
        xml.element("UploadIdMarker", uploadIDMarker ?? "")
        if truncated, let last = uploads.last {
            xml.element("NextKeyMarker", encode(last.key, url: url))
            xml.element("NextUploadIdMarker", last.uploadID)
        }
        xml.element("Prefix", encode(prefix, url: url))
        if url { xml.element("EncodingType", "url") }
        xml.element("MaxUploads", String(maxUploads))
        xml.element("IsTruncated", truncated ? "true" : "false")
        for upload in uploads {
            xml.open("Upload")
            xml.element("Key", encode(upload.key, url: url))
            xml.element("UploadId", upload.uploadID)
            owner(&xml, element: "Initiator")
            owner(&xml)
            xml.element("StorageClass", upload.storageClass)
            xml.element("Initiated", HTTPDate.iso8601(millisecondsSince1970: upload.initiated))
            if let algorithm = upload.checksumAlgorithm { xml.element("ChecksumAlgorithm", algorithm) }
            xml.close("Upload")
        }
        xml.close("ListMultipartUploadsResult")
        return xmlResponse(xml)
    }
}
