internal import HTTPTypes
public import Hummingbird
internal import ObjectLayer
internal import S3Protocol
internal import StowageCore

extension S3Handlers {
    /// Bodies up to this size are read completely before the response starts.
    static let singleBufferBodyLimit: Int64 = 1 << 20

    /// GetObject and HeadObject: conditionals, ranges, partNumber, response-* overrides.
    func getObject(_ call: S3Call, isHead: Bool) async throws -> Response {
        let read = try await store.readObject(bucket: call.bucket, key: call.key, versionID: try versionIDParameter(call))
        let record = read.record
        let lastModifiedSeconds = record.lastModified / 1000
        let conditions = ConditionalHeaders(
            ifMatch: call.header("if-match"), ifNoneMatch: call.header("if-none-match"),
            ifModifiedSince: call.header("if-modified-since"), ifUnmodifiedSince: call.header("if-unmodified-since"))
        switch conditions.evaluate(etag: record.etag, lastModified: lastModifiedSeconds) {
        case .proceed: break
        case .notModified:
            var headers = HTTPFields()
            headers[.eTag] = "\"\(record.etag)\""
            headers[.lastModified] = HTTPDate.format(lastModifiedSeconds)
            return emptyResponse(.notModified, headers: headers)
        case .preconditionFailed:
            throw S3Error(.preconditionFailed, details: [("Condition", call.header("if-match") != nil ? "If-Match" : "If-Unmodified-Since")])
        }

        var headers = objectHeaders(record, call: call)
        headers[.amzVersionID] = Self.versionHeaderValue(record, bucketVersioned: read.bucketVersioned)
        var range: ClosedRange<Int64>?
        var status = HTTPResponse.Status.ok
        if let partText = call.query("partNumber") {
            guard let partNumber = Int(partText), partNumber >= 1, partNumber <= 10000 else {
                throw S3Error(.invalidArgument, "Part number must be an integer between 1 and 10000, inclusive")
            }
            // A completed multipart upload (its ETag ends in -N, even with one part) answers with
            // the part and the count of parts; any other object has one part, the whole of it.
            let multipart = record.etag.contains("-")
            if multipart || partNumber > 1 {
                guard multipart, partNumber <= record.parts.count else { throw S3Error(.invalidPartNumber) }
                let start = record.parts.prefix(partNumber - 1).reduce(Int64(0)) { $0 + $1.size }
                let part = record.parts[partNumber - 1]
                if part.size > 0 { range = start...(start + part.size - 1) }
                status = .partialContent
                headers[.amzMPPartsCount] = String(record.parts.count)
            }
        } else if let rangeHeader = call.header("range") {
            switch ByteRange.evaluate(rangeHeader, size: record.size) {
            case .full: break
            case .range(let r):
                range = r
                status = .partialContent
            case .unsatisfiable:
                throw S3Error(.invalidRange, details: [("ActualObjectSize", String(record.size)), ("RangeRequested", rangeHeader)])
            }
        }
        if let range {
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(record.size)"
        }
        // Checksums describe the whole object, so only full reads carry them.
        if range == nil, call.header("x-amz-checksum-mode")?.uppercased() == "ENABLED" {
            for (algorithm, value) in record.checksums {
                headers[HTTPField.Name("x-amz-checksum-\(algorithm.lowercased())")!] = value
            }
            if let type = record.checksumType, !record.checksums.isEmpty {
                headers[.amzChecksumType] = type
            }
        }
        let length = range.map { $0.upperBound - $0.lowerBound + 1 } ?? record.size
        headers[.contentLength] = String(length)
        if isHead {
            return Response(status: status, headers: headers, body: .init())
        }
        // A body of at most one block goes out as one buffer: the server writes head and body
        // in one go instead of streaming (most GETs of small objects).
        if length <= Self.singleBufferBodyLimit {
            var body = ByteBuffer()
            for try await chunk in store.objectBytes(record, range: range) {
                var chunk = chunk
                if body.readableBytes == 0 { body = chunk } else { body.writeBuffer(&chunk) }
            }
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
        }
        // The first block is read before the status goes out, so an object that cannot be read
        // (too few healthy shards) is an S3 error, not a 200 cut short. Damage found in a later
        // block can only end the body early: the client sees a short body, never wrong bytes.
        var iterator = store.objectBytes(record, range: range).makeAsyncIterator()
        guard let first = try await iterator.next() else { throw S3Error(.internalError, "object produced no bytes") }
        let rest = iterator
        let body = ResponseBody { writer in
            try await writer.write(first)
            var remaining = rest
            while let chunk = try await remaining.next() { try await writer.write(chunk) }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// Stored system metadata (besides Content-Type) and the header each is returned as.
    static let storedHeaderFields: [(String, HTTPField.Name)] = [
        ("content-encoding", .contentEncoding), ("content-disposition", .contentDisposition),
        ("cache-control", .cacheControl), ("content-language", .contentLanguage), ("expires", .expires),
    ]

    /// `response-*` query parameters of GetObject and the header each overrides.
    static let responseOverrides: [(String, HTTPField.Name)] = [
        ("response-content-type", .contentType), ("response-content-language", .contentLanguage),
        ("response-expires", .expires), ("response-cache-control", .cacheControl),
        ("response-content-disposition", .contentDisposition), ("response-content-encoding", .contentEncoding),
    ]

    /// Headers describing a stored object, with response-* overrides applied.
    func objectHeaders(_ record: ObjectRecord, call: S3Call) -> HTTPFields {
        Self.objectHeaders(record, query: call.route.query)
    }

    /// A user metadata value as S3 returns it: as stored when it is US-ASCII, else UTF-8 in one
    /// RFC 2047 encoded word (`=?UTF-8?B?…?=`), so that the header stays ASCII and no client
    /// reads the bytes as Latin-1. (S3 documents this for metadata with non-ASCII characters.)
    static func mailSafe(_ value: String) -> String {
        if value.utf8.allSatisfy({ $0 < 0x80 }) { return value }
        return "=?UTF-8?B?" + Base64.encode(Array(value.utf8)) + "?="
    }

    /// Headers describing a stored object, with the `response-*` overrides of `query` applied.
    static func objectHeaders(_ record: ObjectRecord, query: [String: String]) -> HTTPFields {
        var headers = HTTPFields()
        headers[.eTag] = "\"\(record.etag)\""
        headers[.lastModified] = HTTPDate.format(record.lastModified / 1000)
        headers[.acceptRanges] = "bytes"
        headers[.contentType] = record.systemMetadata["content-type"] ?? "binary/octet-stream"
        for (name, field) in Self.storedHeaderFields {
            if let value = record.systemMetadata[name] { headers[field] = value }
        }
        for (name, value) in record.userMetadata.sorted(by: { $0.key < $1.key }) {
            if let field = HTTPField.Name("x-amz-meta-" + name) { headers[field] = mailSafe(value) }
        }
        if record.storageClass != "STANDARD" {
            headers[.amzStorageClass] = record.storageClass
        }
        for (parameter, field) in Self.responseOverrides {
            if let value = query[parameter] { headers[field] = value }
        }
        return headers
    }
}
