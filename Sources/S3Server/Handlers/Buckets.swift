internal import HTTPTypes
public import Hummingbird
internal import ObjectLayer
internal import S3Protocol
internal import StowageCore

extension S3Handlers {
    /// ListBuckets, in name order, with S3's pagination and filters: `max-buckets` (1–10000, the
    /// default), `continuation-token` (opaque: the last name of the page before, base64),
    /// `prefix` and `bucket-region`. A page that stops early carries a `ContinuationToken`.
    func listBuckets(_ call: S3Call) async throws -> Response {
        var limit = 10_000
        if let text = call.query("max-buckets") {
            guard let value = Int(text), (1...10_000).contains(value) else {
                throw S3Error(.invalidArgument, "Argument max-buckets must be an integer between 1 and 10000.",
                    details: [("ArgumentName", "max-buckets"), ("ArgumentValue", text)])
            }
            limit = value
        }
        var after: String?
        if let token = call.query("continuation-token") {
            guard let bytes = Base64.decode(token), let name = String(validating: bytes, as: UTF8.self), !name.isEmpty else {
                throw S3Error(.invalidArgument, "The continuation token provided is incorrect",
                    details: [("ArgumentName", "continuation-token")])
            }
            after = name
        }
        let prefix = call.query("prefix")
        let region = call.query("bucket-region")
        let matching = try await store.listBuckets()
            .filter { bucket in
                (prefix.map { bucket.name.hasPrefix($0) } ?? true) && (region.map { bucket.region == $0 } ?? true)
                    && (after.map { Array($0.utf8).lexicographicallyPrecedes(Array(bucket.name.utf8)) } ?? true)
            }
            .sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        let page = matching.prefix(limit)
        var xml = XMLWriter()
        xml.open("ListAllMyBucketsResult", attributes: [("xmlns", Self.xmlNamespace)])
        owner(&xml)
        xml.open("Buckets")
        for bucket in page {
            xml.open("Bucket")
            xml.element("Name", bucket.name)
            xml.element("CreationDate", HTTPDate.iso8601(millisecondsSince1970: bucket.created))
            xml.element("BucketRegion", bucket.region)
            xml.close("Bucket")
        }
        xml.close("Buckets")
        if matching.count > page.count, let last = page.last {
            xml.element("ContinuationToken", Base64.encode(Array(last.name.utf8)))
        }
        if let prefix { xml.element("Prefix", prefix) }
        xml.close("ListAllMyBucketsResult")
        return xmlResponse(xml)
    }

    func createBucket(_ call: S3Call) async throws -> Response {
        let body = try await smallBody(call)
        if !body.isEmpty {
            let document = try XMLDocumentParser.parse(body)
            guard document.name == "CreateBucketConfiguration" else { throw S3Error(.malformedXML) }
            if let constraint = document.child("LocationConstraint")?.text, !constraint.isEmpty,
                constraint != configuration.region
            {
                throw S3Error(
                    S3ErrorCode("IllegalLocationConstraintException", 400,
                        "The \(constraint) location constraint is incompatible for the region specific endpoint this request was sent to."))
            }
        }
        let ownership = try await objectOwnershipOfNewBucket(call)
        try await store.createBucket(call.bucket, region: configuration.region, objectOwnership: ownership)
        var headers = HTTPFields()
        headers[.location] = "/" + call.bucket
        return emptyResponse(.ok, headers: headers)
    }

    func headBucket(_ call: S3Call) async throws -> Response {
        let bucket = try await store.bucket(call.bucket)
        var headers = HTTPFields()
        headers[.amzBucketRegion] = bucket.region
        return emptyResponse(.ok, headers: headers)
    }

    func deleteBucket(_ call: S3Call) async throws -> Response {
        try await store.deleteBucket(call.bucket)
        return emptyResponse(.noContent)
    }

    func getBucketLocation(_ call: S3Call) async throws -> Response {
        let bucket = try await store.bucket(call.bucket)
        var xml = XMLWriter()
        // us-east-1 is reported as an empty constraint, as S3 does.
        xml.element("LocationConstraint", bucket.region == "us-east-1" ? "" : bucket.region)
        return xmlResponse(xml)
    }
}
