import S3Protocol
import Testing

/// Every `x-amz-*` header present must be signed (issue 11): header-signed and presigned requests.
@Suite("Signed-header rule")
struct SignedHeaderRuleTests {
    let verifier = SigV4TestSigner.verifier
    let now = SigV4TestSigner.exampleTime

    func refusal(_ request: SignableRequest, sourceLocation: SourceLocation = #_sourceLocation) -> S3Error? {
        #expect(throws: S3Error.self, sourceLocation: sourceLocation) {
            try verifier.verify(request, now: now)
        }
    }

    func detail(_ error: S3Error?, _ name: String) -> String? {
        error?.details.first { $0.0 == name }?.1
    }

    @Test("which names must be signed: x-amz-* in any case; on presigned URLs not x-amz-content-sha256")
    func names() {
        for name in ["x-amz-copy-source", "X-Amz-Meta-Owner", "X-AMZ-STORAGE-CLASS", "x-amz-content-sha256"] {
            #expect(SignedHeaderRule.requiresSignature(name.utf8, presigned: false), "\(name)")
        }
        #expect(SignedHeaderRule.requiresSignature("x-amz-copy-source".utf8, presigned: true))
        #expect(!SignedHeaderRule.requiresSignature("X-Amz-Content-SHA256".utf8, presigned: true))
        for name in ["host", "content-type", "x-amz-", "x-amzfoo", "content-md5", "user-agent"] {
            #expect(!SignedHeaderRule.requiresSignature(name.utf8, presigned: false), "\(name)")
        }
    }

    @Test("an unsigned x-amz-copy-source on a header-signed PUT is AccessDenied naming it")
    func headerSignedCopySource() {
        var request = SigV4TestSigner.headerSignedRequest(method: "PUT", rawPath: "/key", canonicalURI: "/key")
        request.headers.append(("X-Amz-Copy-Source", "/secret/s.txt"))
        let error = refusal(request)
        #expect(error?.code == .accessDenied)
        #expect(error?.message == "There were headers present in the request which were not signed")
        #expect(detail(error, "HeadersNotSigned") == "x-amz-copy-source")
    }

    @Test("several unsigned headers are named once each, sorted")
    func severalNamed() {
        var request = SigV4TestSigner.presignedRequest()
        request.headers += [
            ("x-amz-storage-class", "STANDARD"), ("x-amz-meta-b", "1"), ("X-Amz-Meta-B", "2"), ("x-amz-acl", "public-read"),
        ]
        let error = refusal(request)
        #expect(error?.code == .accessDenied)
        #expect(detail(error, "HeadersNotSigned") == "x-amz-acl, x-amz-meta-b, x-amz-storage-class")
    }

    @Test("an unsigned x-amz-copy-source on a presigned URL is AccessDenied")
    func presignedCopySource() {
        var request = SigV4TestSigner.presignedRequest()
        request.headers.append(("x-amz-copy-source", "secret/s.txt"))
        #expect(detail(refusal(request), "HeadersNotSigned") == "x-amz-copy-source")
    }

    @Test("signed x-amz-* headers verify")
    func signedHeadersVerify() throws {
        let request = SigV4TestSigner.headerSignedRequest(
            method: "PUT", rawPath: "/key", canonicalURI: "/key",
            extraSignedHeaders: [("x-amz-copy-source", "/b/k", "/b/k"), ("x-amz-meta-owner", "alice", "alice")])
        #expect(try verifier.verify(request, now: now).accessKey == SigV4TestSigner.accessKey)
    }

    @Test("the rule is checked before the signature: a tampered request names the header, not the signature")
    func ruleBeforeSignature() {
        var request = SigV4TestSigner.presignedRequest()
        request.rawQuery = request.rawQuery.replacingAll("X-Amz-Expires=86400", with: "X-Amz-Expires=86401")
        request.headers.append(("x-amz-meta-a", "1"))
        #expect(refusal(request)?.code == .accessDenied)
    }

    @Test("a SigV2 presigned URL refuses a header that differs from the value its query signed")
    func signatureVersion2HoistedHeaders() throws {
        // botocore's SigV2 presigner moves signed x-amz-* headers into the query.
        var request = SignableRequest(
            method: "PUT", rawPath: "/bucket/key",
            rawQuery: "AWSAccessKeyId=AKIDEXAMPLE&Expires=1369354000&Signature=AAAA&x-amz-meta-owner=alice",
            headers: [("Host", "s3.example.com"), ("x-amz-meta-owner", "mallory")])
        let error = refusal(request)
        #expect(error?.code == .accessDenied)
        #expect(detail(error, "HeadersNotSigned") == "x-amz-meta-owner")
        // The same value is no conflict: verification goes on to the signature.
        request.headers[1].value = "alice"
        #expect(refusal(request)?.code == .signatureDoesNotMatch)
    }
}
