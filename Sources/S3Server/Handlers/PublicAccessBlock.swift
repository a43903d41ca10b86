internal import HTTPTypes
public import Hummingbird
internal import ObjectLayer
internal import S3Protocol
internal import StowageCore

/// Put/Get/DeletePublicAccessBlock of a bucket. A new bucket has all four switches on, as S3
/// sets them since April 2023. Nothing can be made public yet (ACLs grant only the owner, and
/// bucket policies come with issue 15), so the switches are stored and reported, and take effect
/// once policies exist.
extension S3Handlers {
    private static let publicAccessBlockFields = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"]

    func getPublicAccessBlock(_ call: S3Call) async throws -> Response {
        let bucket = try await store.bucket(call.bucket)
        guard bucket.publicAccessBlockDeleted != true else {
            throw S3Error(
                S3ErrorCode("NoSuchPublicAccessBlockConfiguration", 404, "The public access block configuration was not found"),
                details: [("BucketName", call.bucket)])
        }
        let block = bucket.publicAccessBlock ?? .allBlocked
        let values = [block.blockPublicAcls, block.ignorePublicAcls, block.blockPublicPolicy, block.restrictPublicBuckets]
        var xml = XMLWriter()
        xml.open("PublicAccessBlockConfiguration", attributes: [("xmlns", Self.xmlNamespace)])
        for (name, value) in zip(Self.publicAccessBlockFields, values) { xml.element(name, value ? "true" : "false") }
        xml.close("PublicAccessBlockConfiguration")
        return xmlResponse(xml)
    }

    /// An element left out is false, as in S3.
    func putPublicAccessBlock(_ call: S3Call) async throws -> Response {
        let document = try XMLDocumentParser.parse(try await smallBody(call))
        guard document.name == "PublicAccessBlockConfiguration" else { throw S3Error(.malformedXML) }
        var values: [Bool] = []
        for name in Self.publicAccessBlockFields {
            switch document.child(name)?.text.trimmingSpaces.lowercased() {
            case nil, "false": values.append(false)
            case "true": values.append(true)
            default: throw S3Error(.malformedXML)
            }
        }
        let block = PublicAccessBlock(
            blockPublicAcls: values[0], ignorePublicAcls: values[1], blockPublicPolicy: values[2], restrictPublicBuckets: values[3])
        try await store.changeBucket(call.bucket) {
            $0.publicAccessBlock = block
            $0.publicAccessBlockDeleted = nil
        }
        return emptyResponse(.ok)
    }

    func deletePublicAccessBlock(_ call: S3Call) async throws -> Response {
        try await store.changeBucket(call.bucket) {
            $0.publicAccessBlock = nil
            $0.publicAccessBlockDeleted = true
        }
        return emptyResponse(.noContent)
    }
}
