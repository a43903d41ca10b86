internal import HTTPTypes
public import Hummingbird
internal import ObjectLayer
internal import S3Protocol
internal import StowageCore

extension S3Handlers {
    func listBuckets(_ call: S3Call) async throws -> Response {
        let buckets = try await store.listBuckets()
        var xml = XMLWriter()
        xml.open("ListAllMyBucketsResult", attributes: [("xmlns", Self.xmlNamespace)])
        owner(&xml)
        xml.open("Buckets")
        for bucket in buckets {
            xml.open("Bucket")
            xml.element("Name", bucket.name)
            xml.element("CreationDate", HTTPDate.iso8601(millisecondsSince1970: bucket.created))
            xml.close("Bucket")
        }
        xml.close("Buckets")
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
        try await store.createBucket(call.bucket, region: configuration.region)
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
