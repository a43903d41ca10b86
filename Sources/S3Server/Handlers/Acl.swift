internal import HTTPTypes
public import Hummingbird
internal import ObjectLayer
internal import S3Protocol
internal import StowageCore

/// Access control lists and Object Ownership, as S3 has them for buckets created today: ACLs
/// are disabled (`BucketOwnerEnforced`), every bucket and object is its owner's alone, reads of
/// ACLs answer the owner's FULL_CONTROL grant, and writes of ACLs are accepted only when they
/// say exactly that (`private`, `bucket-owner-full-control`, or the equivalent XML); any other
/// is `AccessControlListNotSupported`. Grants to other grantees need users (issue 15): on a
/// bucket whose ownership controls allow ACLs they answer NotImplemented for now.
extension S3Handlers {
    static let objectOwnershipValues: Set<String> = ["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"]
    static let ownerOnlyCannedACLs: Set<String> = ["private", "bucket-owner-full-control"]

    // MARK: Reading ACLs

    func getBucketAcl(_ call: S3Call) async throws -> Response {
        _ = try await store.bucket(call.bucket)
        return xmlResponse(ownerFullControlPolicy())
    }

    func getObjectAcl(_ call: S3Call) async throws -> Response {
        let read = try await store.readObject(bucket: call.bucket, key: call.key, versionID: try versionIDParameter(call))
        var headers = HTTPFields()
        headers[.amzVersionID] = Self.versionHeaderValue(read.record, bucketVersioned: read.bucketVersioned)
        return xmlResponse(ownerFullControlPolicy(), headers: headers)
    }

    private func ownerFullControlPolicy() -> XMLWriter {
        var xml = XMLWriter()
        xml.open("AccessControlPolicy", attributes: [("xmlns", Self.xmlNamespace)])
        owner(&xml)
        xml.open("AccessControlList")
        xml.open("Grant")
        xml.open(
            "Grantee",
            attributes: [("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"), ("xsi:type", "CanonicalUser")])
        xml.element("ID", ownerID)
        xml.element("DisplayName", ownerName)
        xml.close("Grantee")
        xml.element("Permission", "FULL_CONTROL")
        xml.close("Grant")
        xml.close("AccessControlList")
        xml.close("AccessControlPolicy")
        return xml
    }

    // MARK: Writing ACLs

    func putBucketAcl(_ call: S3Call) async throws -> Response {
        let bucket = try await store.bucket(call.bucket)
        try requireOwnerOnly(try await aclOfRequest(call, readingBody: true), bucket: bucket)
        return emptyResponse(.ok)
    }

    func putObjectAcl(_ call: S3Call) async throws -> Response {
        let read = try await store.readObject(bucket: call.bucket, key: call.key, versionID: try versionIDParameter(call))
        let bucket = try await store.recentBucket(call.bucket)
        try requireOwnerOnly(try await aclOfRequest(call, readingBody: true), bucket: bucket)
        var headers = HTTPFields()
        headers[.amzVersionID] = Self.versionHeaderValue(read.record, bucketVersioned: read.bucketVersioned)
        return emptyResponse(.ok, headers: headers)
    }

    /// For writes that may carry a canned ACL or grants (PutObject, CopyObject,
    /// CreateMultipartUpload): refuses an ACL other than the owner's full control. Costs nothing
    /// for a request without ACL headers (the bucket is looked up only when it has some).
    func checkObjectWriteACL(_ call: S3Call) async throws {
        let acl = try await aclOfRequest(call, readingBody: false)
        guard acl != .none else { return }
        try requireOwnerOnly(acl, bucket: try await store.recentBucket(call.bucket))
    }

    enum RequestACL: Equatable {
        /// No ACL in the request.
        case none
        /// The owner's full control and nothing else.
        case ownerOnly
        /// Anything that grants more (another canned ACL, grants to other grantees).
        case more(String)
    }

    /// What ACL a request asks for: the `x-amz-acl` canned ACL, `x-amz-grant-*` headers, or
    /// (with `readingBody`) an `AccessControlPolicy` document.
    func aclOfRequest(_ call: S3Call, readingBody: Bool) async throws -> RequestACL {
        var acl = RequestACL.none
        if let canned = call.header("x-amz-acl")?.trimmingSpaces {
            acl = Self.ownerOnlyCannedACLs.contains(canned) ? .ownerOnly : .more("the canned ACL \(canned)")
        }
        if let grant = call.headers.keys.sorted().first(where: { $0.hasPrefix("x-amz-grant-") }) {
            return .more("\(grant)")
        }
        guard readingBody else { return acl }
        let body = try await smallBody(call)
        guard !body.isEmpty else {
            if acl == .none { throw S3Error(.missingSecurityHeader, details: [("MissingHeaderName", "x-amz-acl")]) }
            return acl
        }
        guard acl == .none else {
            throw S3Error(.invalidRequest, "Specifying both Canned ACLs and Header Grants is not allowed")
        }
        let document = try XMLDocumentParser.parse(body)
        guard document.name == "AccessControlPolicy", let list = document.child("AccessControlList") else {
            throw S3Error(Self.malformedACL)
        }
        let grants = list.children("Grant")
        for grant in grants {
            guard let grantee = grant.child("Grantee"), let permission = grant.child("Permission")?.text.trimmingSpaces else {
                throw S3Error(Self.malformedACL)
            }
            let id = grantee.child("ID")?.text.trimmingSpaces
            guard id == ownerID, permission == "FULL_CONTROL" else {
                return .more("a grant of \(permission) to \(id ?? grantee.child("URI")?.text ?? grantee.child("EmailAddress")?.text ?? "another grantee")")
            }
        }
        return .ownerOnly
    }

    static let malformedACL = S3ErrorCode(
        "MalformedACLError", 400, "The XML you provided was not well-formed or did not validate against our published schema.")
    static let aclNotSupported = S3ErrorCode("AccessControlListNotSupported", 400, "The bucket does not allow ACLs")

    /// Accepts an ACL that gives the owner full control and nothing more; refuses any other.
    func requireOwnerOnly(_ acl: RequestACL, bucket: BucketRecord) throws {
        guard case .more(let what) = acl else { return }
        if bucket.objectOwnership == nil || bucket.objectOwnership == "BucketOwnerEnforced" {
            throw S3Error(Self.aclNotSupported)
        }
        throw S3Error(.notImplemented, "ACLs granting more than the owner's full control (\(what)) need users and policies, not built yet.")
    }

    // MARK: Object Ownership

    func getBucketOwnershipControls(_ call: S3Call) async throws -> Response {
        let bucket = try await store.bucket(call.bucket)
        guard bucket.objectOwnership != "" else {
            throw S3Error(S3ErrorCode("OwnershipControlsNotFoundError", 404, "The bucket ownership controls were not found"),
                details: [("BucketName", call.bucket)])
        }
        var xml = XMLWriter()
        xml.open("OwnershipControls", attributes: [("xmlns", Self.xmlNamespace)])
        xml.open("Rule")
        xml.element("ObjectOwnership", bucket.objectOwnership ?? "BucketOwnerEnforced")
        xml.close("Rule")
        xml.close("OwnershipControls")
        return xmlResponse(xml)
    }

    func putBucketOwnershipControls(_ call: S3Call) async throws -> Response {
        let document = try XMLDocumentParser.parse(try await smallBody(call))
        let rules = document.children("Rule")
        guard document.name == "OwnershipControls", rules.count == 1,
            let value = rules[0].child("ObjectOwnership")?.text.trimmingSpaces, Self.objectOwnershipValues.contains(value)
        else { throw S3Error(.malformedXML) }
        try await store.changeBucket(call.bucket) { $0.objectOwnership = value == "BucketOwnerEnforced" ? nil : value }
        return emptyResponse(.ok)
    }

    func deleteBucketOwnershipControls(_ call: S3Call) async throws -> Response {
        try await store.changeBucket(call.bucket) { $0.objectOwnership = "" }
        return emptyResponse(.noContent)
    }

    /// CreateBucket's `x-amz-object-ownership` (nil: S3's default, BucketOwnerEnforced) and its
    /// canned ACL, which with ACLs disabled may only be the owner's full control.
    func objectOwnershipOfNewBucket(_ call: S3Call) async throws -> String? {
        var ownership: String?
        if let value = call.header("x-amz-object-ownership")?.trimmingSpaces {
            guard Self.objectOwnershipValues.contains(value) else {
                throw S3Error(.invalidArgument, "Invalid x-amz-object-ownership header: \(value)",
                    details: [("ArgumentName", "x-amz-object-ownership"), ("ArgumentValue", value)])
            }
            ownership = value == "BucketOwnerEnforced" ? nil : value
        }
        if case .more(let what) = try await aclOfRequest(call, readingBody: false) {
            guard ownership != nil else {
                throw S3Error(S3ErrorCode("InvalidBucketAclWithObjectOwnership", 400,
                    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"))
            }
            throw S3Error(.notImplemented, "ACLs granting more than the owner's full control (\(what)) need users and policies, not built yet.")
        }
        return ownership
    }
}
