internal import HTTPTypes
internal import Crypto
public import Hummingbird
internal import ObjectLayer
internal import S3Protocol
internal import StowageCore

/// One handler per S3 operation, grouped by family in the files of this folder.
struct S3Handlers: Sendable {
    let store: ObjectStore
    let configuration: S3ServerConfiguration
    /// The canonical user id of the root account, as shown in Owner elements.
    let ownerID: String
    let ownerName: String

    static let xmlNamespace = "http://s3.amazonaws.com/doc/2006-03-01/"

    init(store: ObjectStore, configuration: S3ServerConfiguration) {
        self.store = store
        self.configuration = configuration
        let accessKey = configuration.credentials.keys.sorted().first ?? "stowage"
        self.ownerID = Hex.string(SHA256.hash(data: Array(accessKey.utf8)))
        self.ownerName = accessKey
    }

    func dispatch(_ call: S3Call) async throws -> Response {
        switch call.route.operation {
        case .listBuckets: return try await listBuckets(call)
        case .createBucket: return try await createBucket(call)
        case .headBucket: return try await headBucket(call)
        case .deleteBucket: return try await deleteBucket(call)
        case .getBucketLocation: return try await getBucketLocation(call)
        case .getBucketVersioning: return try await getBucketVersioning(call)
        case .putBucketVersioning: return try await putBucketVersioning(call)
        case .getBucketAcl: return try await getBucketAcl(call)
        case .putBucketAcl: return try await putBucketAcl(call)
        case .getBucketOwnershipControls: return try await getBucketOwnershipControls(call)
        case .putBucketOwnershipControls: return try await putBucketOwnershipControls(call)
        case .deleteBucketOwnershipControls: return try await deleteBucketOwnershipControls(call)
        case .getPublicAccessBlock: return try await getPublicAccessBlock(call)
        case .putPublicAccessBlock: return try await putPublicAccessBlock(call)
        case .deletePublicAccessBlock: return try await deletePublicAccessBlock(call)
        case .listObjectVersions: return try await listObjectVersions(call)
        case .listObjects: return try await listObjects(call, version: 1)
        case .listObjectsV2: return try await listObjects(call, version: 2)
        case .listMultipartUploads: return try await listMultipartUploads(call)
        case .deleteObjects: return try await deleteObjects(call)
        case .putObject: return try await putObject(call)
        case .copyObject: return try await copyObject(call)
        case .getObject: return try await getObject(call, isHead: false)
        case .getObjectAttributes: return try await getObjectAttributes(call)
        case .getObjectAcl: return try await getObjectAcl(call)
        case .putObjectAcl: return try await putObjectAcl(call)
        case .headObject: return try await getObject(call, isHead: true)
        case .deleteObject: return try await deleteObject(call)
        case .createMultipartUpload: return try await createMultipartUpload(call)
        case .uploadPart: return try await uploadPart(call)
        case .uploadPartCopy: return try await uploadPartCopy(call)
        case .completeMultipartUpload: return try await completeMultipartUpload(call)
        case .abortMultipartUpload: return try await abortMultipartUpload(call)
        case .listParts: return try await listParts(call)
        }
    }

    // MARK: Shared pieces

    /// An XML response with status 200.
    func xmlResponse(_ xml: XMLWriter, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "application/xml"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: xml.bytes)))
    }

    func emptyResponse(_ status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        Response(status: status, headers: headers, body: .init())
    }

    /// How to decode and verify this request's body. With `checksumHeadersNameTheObject`
    /// (CompleteMultipartUpload), `x-amz-checksum-*` headers are the object's checksum, not the body's.
    func payloadSpec(_ call: S3Call, checksumHeadersNameTheObject: Bool = false) throws -> PayloadSpec {
        let encoding = call.header("content-encoding") ?? ""
        let streaming: Bool
        switch call.auth.payload {
        case .streamingSigned, .streamingSignedTrailer, .streamingUnsignedTrailer: streaming = true
        default: streaming = false
        }
        let isChunked = streaming || encoding.split(separator: ",").contains { $0.trimmingSpaces == "aws-chunked" }
        var checksum: ChecksumAlgorithm?
        var declared: String?
        for algorithm in ChecksumAlgorithm.allCases where !checksumHeadersNameTheObject {
            if let value = call.header(algorithm.headerName) {
                guard checksum == nil else {
                    throw S3Error(.invalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
                }
                checksum = algorithm
                declared = value
            }
        }
        if checksum == nil, let trailer = call.header("x-amz-trailer") {
            guard let algorithm = ChecksumAlgorithm(headerName: trailer.trimmingSpaces) else {
                throw S3Error(.invalidRequest, "The value specified in the x-amz-trailer header is not supported")
            }
            checksum = algorithm
        }
        if checksum == nil, let name = call.header("x-amz-sdk-checksum-algorithm") ?? call.header("x-amz-checksum-algorithm") {
            guard let algorithm = ChecksumAlgorithm(rawValue: name.uppercased()) else {
                throw S3Error(.invalidRequest, "Checksum algorithm provided is unsupported.")
            }
            checksum = algorithm
        }
        var length: Int64?
        if isChunked {
            guard let decoded = call.header("x-amz-decoded-content-length").flatMap({ Int64($0) }), decoded >= 0 else {
                throw S3Error(.missingContentLength)
            }
            length = decoded
        } else if let contentLength = call.header("content-length") {
            guard let value = Int64(contentLength), value >= 0 else { throw S3Error(.invalidArgument, "Invalid Content-Length") }
            length = value
        }
        return PayloadSpec(
            payload: call.auth.payload, chunkSigning: call.auth.chunkSigning, isAWSChunked: isChunked,
            checksum: checksum, declaredChecksum: declared, decodedLength: length)
    }

    /// The decoded body, for operations that store it.
    func payload(_ call: S3Call, spec: PayloadSpec, computed: ComputedChecksums) -> RequestPayload {
        RequestPayload(body: call.request.body, spec: spec, computed: computed)
    }

    /// Reads a small request body (XML) completely, decoded and verified.
    func smallBody(_ call: S3Call, checksumHeadersNameTheObject: Bool = false) async throws -> [UInt8] {
        let spec = try payloadSpec(call, checksumHeadersNameTheObject: checksumHeadersNameTheObject)
        if let length = spec.decodedLength, length > configuration.maxXMLBodyBytes {
            throw S3Error(.malformedXML, "The XML you provided was larger than the maximum allowed size.")
        }
        var bytes: [UInt8] = []
        for try await buffer in payload(call, spec: spec, computed: ComputedChecksums()) {
            bytes.append(contentsOf: buffer.readableBytesView)
            if bytes.count > configuration.maxXMLBodyBytes {
                throw S3Error(.malformedXML, "The XML you provided was larger than the maximum allowed size.")
            }
        }
        if let md5 = call.header("content-md5") {
            guard let expected = Base64.decode(md5), expected.count == 16 else { throw S3Error(.invalidDigest) }
            guard Array(Insecure.MD5.hash(data: bytes)) == expected else { throw S3Error(.badDigest) }
        }
        return bytes
    }

    func owner(_ xml: inout XMLWriter, element: String = "Owner") {
        xml.open(element)
        xml.element("ID", ownerID)
        xml.element("DisplayName", ownerName)
        xml.close(element)
    }

    /// Keys and prefixes in listings, URL-encoded when the client asked for `encoding-type=url`.
    func encode(_ text: String, url: Bool) -> String {
        url ? PercentEncoding.awsURIEncode(text, encodeSlash: false) : text
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(self.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

extension String {
    var trimmingSpaces: String { self[...].trimmingSpaces }
}
