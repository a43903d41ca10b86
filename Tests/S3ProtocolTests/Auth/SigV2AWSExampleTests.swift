import S3Protocol
import Testing

/// One request of the AWS Signature Version 2 documentation ("Signing and authenticating REST
/// requests", the original `johnsmith` edition; the later `awsexamplebucket1` edition renamed
/// the bucket but kept these signatures), with the StringToSign the page shows for it.
struct SigV2Example: Sendable, CustomTestStringConvertible {
    var name: String
    var request: SignableRequest
    var virtualHostBucket: String?
    /// The request's Date, so that it is within the allowed skew.
    var signedAt: Int64
    var stringToSign: String

    var testDescription: String { name }

    /// The request with its signature replaced by a wrong (but well-formed) one.
    var withWrongSignature: SignableRequest {
        var request = request
        request.headers = request.headers.map { header in
            header.name == "Authorization"
                ? (header.name, "AWS AKIAIOSFODNN7EXAMPLE:AAAAAAAAAAAAAAAAAAAAAAAAAAA=") : header
        }
        return request
    }

    static func get(
        _ name: String, rawPath: String, rawQuery: String = "", host: String, bucket: String?,
        headers: [(name: String, value: String)] = [], date: String, signedAt: Int64, signature: String,
        stringToSign: String, method: String = "GET"
    ) -> SigV2Example {
        SigV2Example(
            name: name,
            request: SignableRequest(
                method: method, rawPath: rawPath, rawQuery: rawQuery,
                headers: [("Host", host), ("Date", date)] + headers + [
                    ("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:\(signature)")
                ]),
            virtualHostBucket: bucket, signedAt: signedAt, stringToSign: stringToSign)
    }

    static let all: [SigV2Example] = [
        .get(
            "Object GET", rawPath: "/photos/puppy.jpg", host: "johnsmith.s3.amazonaws.com", bucket: "johnsmith",
            date: "Tue, 27 Mar 2007 19:36:42 +0000", signedAt: 1_175_024_202,
            signature: "bWq2s1WEIj+Ydj0vQ697zp+IXMU=",
            stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg"),
        .get(
            "Object PUT", rawPath: "/photos/puppy.jpg", host: "johnsmith.s3.amazonaws.com", bucket: "johnsmith",
            headers: [("Content-Type", "image/jpeg"), ("Content-Length", "94328")],
            date: "Tue, 27 Mar 2007 21:15:45 +0000", signedAt: 1_175_030_145,
            signature: "MyyxeRY7whkBe+bq8fHCL/2kKUg=",
            stringToSign: "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg",
            method: "PUT"),
        .get(
            "List (query parameters that are not sub-resources are not signed)", rawPath: "/",
            rawQuery: "prefix=photos&max-keys=50&marker=puppy", host: "johnsmith.s3.amazonaws.com",
            bucket: "johnsmith", headers: [("User-Agent", "Mozilla/5.0")],
            date: "Tue, 27 Mar 2007 19:42:41 +0000", signedAt: 1_175_024_561,
            signature: "htDYFYduRNen8P9ZfE/s9SuKy0U=",
            stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/"),
        .get(
            "Fetch ACL (the sub-resource is signed)", rawPath: "/", rawQuery: "acl",
            host: "johnsmith.s3.amazonaws.com", bucket: "johnsmith",
            date: "Tue, 27 Mar 2007 19:44:46 +0000", signedAt: 1_175_024_686,
            signature: "c2WLPFtWHVgbEmeEG93a4cG37dM=",
            stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl"),
        .get(
            "Upload to a CNAME bucket with sorted, lowercased, joined x-amz headers", rawPath: "/db-backup.dat.gz",
            host: "static.johnsmith.net:8080", bucket: "static.johnsmith.net",
            headers: [
                ("User-Agent", "curl/7.15.5"),
                ("x-amz-acl", "public-read"),
                ("content-type", "application/x-download"),
                ("Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="),
                ("X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"),
                ("X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"),
                ("X-Amz-Meta-FileChecksum", "0x02661779"),
                ("X-Amz-Meta-ChecksumAlgorithm", "crc32"),
                ("Content-Disposition", "attachment; filename=database.dat"),
                ("Content-Encoding", "gzip"),
                ("Content-Length", "5913339"),
            ],
            date: "Tue, 27 Mar 2007 21:06:08 +0000", signedAt: 1_175_029_568,
            signature: "ilyl83RwaSoYIEdixDQcA4OnAnc=",
            stringToSign: "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n"
                + "x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n"
                + "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n/static.johnsmith.net/db-backup.dat.gz",
            method: "PUT"),
        .get(
            "List all my buckets", rawPath: "/", host: "s3.amazonaws.com", bucket: nil,
            date: "Wed, 28 Mar 2007 01:29:59 +0000", signedAt: 1_175_045_399,
            signature: "qGdzdERIC03wnaRNKh6OqZehG9s=",
            stringToSign: "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/"),
        .get(
            "Unicode keys (the path is signed as sent, escapes and their case included)",
            rawPath: "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", host: "s3.amazonaws.com", bucket: nil,
            date: "Wed, 28 Mar 2007 01:49:49 +0000", signedAt: 1_175_046_589,
            signature: "DNEZGsoieTZ92F3bUfSPQcbGmlM=",
            stringToSign: "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re"),
    ]
}

@Suite("SigV2 verification of the AWS documentation examples")
struct SigV2AWSExampleTests {
    let verifier = SigV4TestSigner.verifier

    @Test(
        "each header-signed example verifies as AKIAIOSFODNN7EXAMPLE with an unsigned payload",
        arguments: SigV2Example.all)
    func headerExampleVerifies(example: SigV2Example) throws {
        let verified = try verifier.verify(
            example.request, virtualHostBucket: example.virtualHostBucket, now: example.signedAt)
        #expect(verified.accessKey == "AKIAIOSFODNN7EXAMPLE")
        #expect(verified.payload == .unsigned)
        #expect(verified.chunkSigning == nil)
    }

    @Test(
        "a wrong signature on each example is SignatureDoesNotMatch reporting the documented StringToSign",
        arguments: SigV2Example.all)
    func stringToSignMatchesDocumentation(example: SigV2Example) {
        let error = #expect(throws: S3Error.self) {
            try verifier.verify(
                example.withWrongSignature, virtualHostBucket: example.virtualHostBucket, now: example.signedAt)
        }
        #expect(error?.code == .signatureDoesNotMatch)
        #expect(error?.details.first { $0.0 == "StringToSign" }?.1 == example.stringToSign)
    }

    @Test("a virtual-hosted example verified without its bucket is SignatureDoesNotMatch")
    func virtualHostBucketIsSigned() {
        let example = SigV2Example.all[0]
        let error = #expect(throws: S3Error.self) { try verifier.verify(example.request, now: example.signedAt) }
        #expect(error?.code == .signatureDoesNotMatch)
    }

    /// The page's Delete example: `DELETE /johnsmith/photos/puppy.jpg` with `Date: Tue, 27 Mar
    /// 2007 21:20:27 +0000` and `x-amz-date: Tue, 27 Mar 2007 21:20:26 +0000`.
    static func deleteExample(signature: String) -> SignableRequest {
        SignableRequest(
            method: "DELETE", rawPath: "/johnsmith/photos/puppy.jpg", rawQuery: "",
            headers: [
                ("User-Agent", "dotnet"),
                ("Host", "s3.amazonaws.com"),
                ("Date", "Tue, 27 Mar 2007 21:20:27 +0000"),
                ("x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000"),
                ("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:\(signature)"),
            ])
    }

    @Test("with x-amz-date the Date line is empty and x-amz-date is signed among the x-amz headers")
    func deleteWithAmzDate() throws {
        // The page's prose: "if you include the x-amz-date header, use the empty string for the
        // Date". R4dJ53KECjStyBO5iTBJZ4XVOaI= is HMAC-SHA1 of that string (computed with Python's
        // hmac module), as s3cmd and boto 2 sign.
        _ = try verifier.verify(Self.deleteExample(signature: "R4dJ53KECjStyBO5iTBJZ4XVOaI="), now: 1_175_030_426)
        let error = #expect(throws: S3Error.self) {
            try verifier.verify(Self.deleteExample(signature: "AAAAAAAAAAAAAAAAAAAAAAAAAAA="), now: 1_175_030_426)
        }
        #expect(
            error?.details.first { $0.0 == "StringToSign" }?.1
                == "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg")
    }

    @Test("the Delete example's published signature, which contradicts the page's own prose, is refused")
    func deleteExamplePublishedSignature() {
        // lx3byBScXR6KzyMaifNkardMwNk= signs "DELETE\n\n\nTue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/…":
        // the x-amz-date value on the Date line and no x-amz-date header line. Several client
        // libraries mark this example as broken; Stowage follows the prose.
        let error = #expect(throws: S3Error.self) {
            try verifier.verify(Self.deleteExample(signature: "lx3byBScXR6KzyMaifNkardMwNk="), now: 1_175_030_426)
        }
        #expect(error?.code == .signatureDoesNotMatch)
    }

    static let queryExample = SignableRequest(
        method: "GET", rawPath: "/photos/puppy.jpg",
        rawQuery: "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620",
        headers: [("Host", "johnsmith.s3.amazonaws.com")])

    @Test("the query-string example verifies until and including its Expires second")
    func queryStringExample() throws {
        for now: Int64 in [1_175_024_202, 1_175_139_620] {
            let verified = try verifier.verify(Self.queryExample, virtualHostBucket: "johnsmith", now: now)
            #expect(verified.accessKey == "AKIAIOSFODNN7EXAMPLE")
            #expect(verified.payload == .unsigned)
        }
    }

    @Test("the query-string example one second after Expires is AccessDenied: Request has expired")
    func queryStringExampleExpired() {
        let error = #expect(throws: S3Error.self) {
            try verifier.verify(Self.queryExample, virtualHostBucket: "johnsmith", now: 1_175_139_621)
        }
        #expect(error?.code == .accessDenied)
        #expect(error?.message == "Request has expired")
        #expect(error?.details.first { $0.0 == "Expires" }?.1 == "2007-03-29T03:40:20.000Z")
    }
}
