import S3Protocol
import Testing

/// Presigned URLs (query-string authentication): validity window and parameter checks.
@Suite("SigV4 presigned URLs")
struct SigV4PresignedTests {
    let verifier = SigV4TestSigner.verifier
    let signedAt = SigV4TestSigner.exampleTime

    func rejection(
        _ request: SignableRequest, now: Int64, sourceLocation: SourceLocation = #_sourceLocation
    ) -> S3Error? {
        #expect(throws: S3Error.self, sourceLocation: sourceLocation) { try verifier.verify(request, now: now) }
    }

    @Test("a presigned URL is valid from its date through date + X-Amz-Expires")
    func validityWindow() throws {
        let request = SigV4TestSigner.presignedRequest(expires: "3600")
        _ = try verifier.verify(request, now: signedAt)
        _ = try verifier.verify(request, now: signedAt + 3600)
        let error = rejection(request, now: signedAt + 3601)
        #expect(error?.code == .accessDenied)
        #expect(error?.message == "Request has expired")
    }

    @Test("a presigned URL dated beyond the allowed skew in the future is AccessDenied, not yet valid")
    func notYetValid() throws {
        let request = SigV4TestSigner.presignedRequest(expires: "3600")
        _ = try verifier.verify(request, now: signedAt - 900)
        let error = rejection(request, now: signedAt - 901)
        #expect(error?.code == .accessDenied)
        #expect(error?.message == "Request is not valid yet")
    }

    @Test("X-Amz-Expires must be a number from 1 to 604800", arguments: ["0", "604801", "abc", "-5", "", "1e3"])
    func expiresBounds(expires: String) {
        let request = SigV4TestSigner.presignedRequest(expires: expires)
        #expect(rejection(request, now: signedAt)?.code == .authorizationQueryParametersError)
    }

    @Test("X-Amz-Expires of 1 and of 604800 are accepted", arguments: ["1", "604800"])
    func expiresLimits(expires: String) throws {
        _ = try verifier.verify(SigV4TestSigner.presignedRequest(expires: expires), now: signedAt)
    }

    @Test(
        "a missing or wrong presigned parameter is AuthorizationQueryParametersError",
        arguments: [
            ("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA512"),
            ("&X-Amz-SignedHeaders=host", ""),
            ("&X-Amz-Expires=86400", ""),
            ("X-Amz-Date=20130524T000000Z", "X-Amz-Date=2013-05-24"),
            ("us-east-1", "eu-west-1"),
            ("%2Fs3%2F", "%2Fiam%2F"),
            ("X-Amz-Credential=AKIDEXAMPLE%2F", "X-Amz-Credential=AKIDEXAMPLE%2Fx%2F"),
            ("X-Amz-Credential=AKIDEXAMPLE%2F20130524", "X-Amz-Credential=AKIDEXAMPLE%2F20130525"),
            ("&X-Amz-Signature=", "&X-Amz-Signature=zz"),
        ])
    func badParameter(original: String, replacement: String) {
        var request = SigV4TestSigner.presignedRequest()
        request.rawQuery = request.rawQuery.replacingAll(original, with: replacement)
        #expect(rejection(request, now: signedAt)?.code == .authorizationQueryParametersError)
    }

    @Test("the region error of a presigned URL names the expected region")
    func wrongRegionMessage() {
        var request = SigV4TestSigner.presignedRequest()
        request.rawQuery = request.rawQuery.replacingAll("us-east-1", with: "eu-west-1")
        #expect(rejection(request, now: signedAt)?.message?.contains("expecting 'us-east-1'") == true)
    }

    @Test("an unknown access key in a presigned URL is InvalidAccessKeyId")
    func unknownAccessKey() {
        var request = SigV4TestSigner.presignedRequest()
        request.rawQuery = request.rawQuery.replacingAll("AKIDEXAMPLE", with: "NOSUCHKEY")
        #expect(rejection(request, now: signedAt)?.code == .invalidAccessKeyId)
    }

    @Test("a parameter added after signing, or a changed signature, is SignatureDoesNotMatch")
    func tampering() {
        var added = SigV4TestSigner.presignedRequest()
        added.rawQuery += "&versionId=1"
        var changed = SigV4TestSigner.presignedRequest()
        let last = changed.rawQuery.removeLast()
        changed.rawQuery.append(last == "0" ? "1" : "0")
        var method = SigV4TestSigner.presignedRequest()
        method.method = "PUT"
        for request in [added, changed, method] {
            #expect(rejection(request, now: signedAt)?.code == .signatureDoesNotMatch)
        }
    }

    @Test("X-Amz-Content-Sha256 in the query becomes the payload hash and the declared SHA-256")
    func contentSHA256InQuery() throws {
        let hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        let request = SigV4TestSigner.presignedRequest(
            extraParameters: "X-Amz-Content-Sha256=\(hash)", payloadHash: hash)
        let verified = try verifier.verify(request, now: signedAt)
        #expect(verified.payload == .sha256(hash))
    }

    @Test("a streaming-signed X-Amz-Content-Sha256 in a presigned URL is InvalidArgument")
    func streamingInQuery() {
        let mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        let request = SigV4TestSigner.presignedRequest(
            extraParameters: "X-Amz-Content-Sha256=\(mode)", payloadHash: mode)
        #expect(rejection(request, now: signedAt)?.code == .invalidArgument)
    }

    @Test("a presigned URL's x-amz-content-sha256 header does not change the payload hash")
    func headerIgnoredForPresigned() throws {
        var request = SigV4TestSigner.presignedRequest()
        request.headers.append(("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"))
        let verified = try verifier.verify(request, now: signedAt)
        #expect(verified.payload == .unsigned)
    }

    @Test(
        "a repeated authentication parameter is AuthorizationQueryParametersError, whichever copy comes first",
        arguments: ["X-Amz-Signature", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Algorithm"])
    func repeatedParameter(name: String) throws {
        let request = SigV4TestSigner.presignedRequest()
        let query = try #require(request.rawQuery.split(separator: "&").first { $0.hasPrefix(name + "=") })
        for doubled in [request.rawQuery + "&" + query, query + "&" + request.rawQuery] {
            var repeated = request
            repeated.rawQuery = doubled
            let error = rejection(repeated, now: signedAt)
            #expect(error?.code == .authorizationQueryParametersError)
            #expect(error?.message?.contains(name) == true)
        }
    }
}
