import S3Protocol
import Testing

/// What the verifier refuses, and with which S3 error, for header-signed requests.
@Suite("SigV4 header authentication failures")
struct SigV4RejectionTests {
    let verifier = SigV4TestSigner.verifier
    let now = SigV4TestSigner.exampleTime

    var valid: SignableRequest { SigV4TestSigner.headerSignedRequest(rawPath: "/key", canonicalURI: "/key") }

    func rejection(
        _ request: SignableRequest, now: Int64? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) -> S3Error? {
        #expect(throws: S3Error.self, sourceLocation: sourceLocation) {
            try verifier.verify(request, now: now ?? self.now)
        }
    }

    func replacingAuthorization(_ value: String, in request: SignableRequest) -> SignableRequest {
        var request = request
        request.headers.removeAll { $0.name.lowercased() == "authorization" }
        request.headers.append(("Authorization", value))
        return request
    }

    func replacingHeader(_ name: String, _ value: String?, in request: SignableRequest) -> SignableRequest {
        var request = request
        request.headers.removeAll { $0.name.lowercased() == name }
        if let value { request.headers.append((name, value)) }
        return request
    }

    var signature: String {
        let authorization = valid.headers.first { $0.name == "Authorization" }!.value
        return String(authorization.suffix(64))
    }

    @Test("the baseline request verifies")
    func baseline() throws {
        let verified = try verifier.verify(valid, now: now)
        #expect(verified.accessKey == SigV4TestSigner.accessKey)
        #expect(verified.payload == .unsigned)
    }

    @Test("a request with no Authorization header and no presigned query is AccessDenied")
    func anonymous() {
        let request = SignableRequest(
            method: "GET", rawPath: "/key", rawQuery: "", headers: [("Host", "examplebucket.s3.amazonaws.com")])
        #expect(rejection(request)?.code == .accessDenied)
    }

    @Test("an Authorization scheme other than AWS4-HMAC-SHA256 and SigV2's AWS is InvalidRequest")
    func unsupportedScheme() {
        let error = rejection(
            replacingAuthorization(
                "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20130524/s3/aws4_request, "
                    + "SignedHeaders=host, Signature=\(signature)", in: valid))
        #expect(error?.code == .invalidRequest)
        #expect(error?.message?.contains("AWS4-HMAC-SHA256") == true)
    }

    @Test("a Signature Version 2 header is verified as SigV2, not refused as an unsupported scheme")
    func signatureVersion2IsDelegated() {
        // `valid` carries an ISO 8601 x-amz-date, which is no RFC 2616 date for SigV2.
        let error = rejection(replacingAuthorization("AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", in: valid))
        #expect(error?.code == .accessDenied)
        #expect(error?.message?.contains("Date") == true)
    }

    @Test("a Signature Version 2 presigned URL is verified as SigV2, not treated as anonymous")
    func presignedVersion2IsDelegated() {
        let request = SignableRequest(
            method: "GET", rawPath: "/key",
            rawQuery: "AWSAccessKeyId=AKIDEXAMPLE&Expires=1369357200&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D",
            headers: [("Host", "examplebucket.s3.amazonaws.com")])
        #expect(rejection(request)?.code == .signatureDoesNotMatch)
    }

    @Test(
        "a malformed AWS4-HMAC-SHA256 value is AuthorizationHeaderMalformed",
        arguments: [
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20130524/us-east-1/s3, SignedHeaders=host, Signature=SIG",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2013052/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=SIG",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=, Signature=SIG",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=xyz",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20130524/us-east-1/s3/aws4_request, Credential=AKIDEXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=SIG",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=SIG, Extra=1",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20130524/us-east-1/s3/aws4_request SignedHeaders=host Signature=SIG",
            "AWS4-HMAC-SHA256 ",
        ])
    func malformedAuthorization(value: String) {
        let value = value.replacingAll("SIG", with: signature)
        #expect(rejection(replacingAuthorization(value, in: valid))?.code == .authorizationHeaderMalformed)
    }

    @Test("a credential for another region is AuthorizationHeaderMalformed naming the expected region")
    func wrongRegion() {
        let request = replacingAuthorization(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20130524/eu-west-1/s3/aws4_request, "
                + "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=\(signature)", in: valid)
        let error = rejection(request)
        #expect(error?.code == .authorizationHeaderMalformed)
        #expect(error?.message?.contains("expecting 'us-east-1'") == true)
        #expect(error?.details.contains { $0 == ("Region", "us-east-1") } == true)
    }

    @Test(
        "a credential for another service or terminator is AuthorizationHeaderMalformed",
        arguments: ["20130524/us-east-1/iam/aws4_request", "20130524/us-east-1/s3/aws5_request"])
    func wrongService(scope: String) {
        let request = replacingAuthorization(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\(scope), "
                + "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=\(signature)", in: valid)
        #expect(rejection(request)?.code == .authorizationHeaderMalformed)
    }

    @Test("an unknown access key is InvalidAccessKeyId")
    func unknownAccessKey() {
        let request = replacingAuthorization(
            "AWS4-HMAC-SHA256 Credential=NOSUCHKEY/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=\(signature)", in: valid)
        #expect(rejection(request)?.code == .invalidAccessKeyId)
    }

    @Test(
        "a missing or unparsable request date is AccessDenied",
        arguments: [nil, "2013-05-24T00:00:00Z", "20130524T000000", "20130532T000000Z", "20130524T240000Z"])
    func missingDate(amzDate: String?) {
        let error = rejection(replacingHeader("x-amz-date", amzDate, in: valid))
        #expect(error?.code == .accessDenied)
        #expect(error?.message?.contains("Date") == true)
    }

    @Test("a credential date other than the request's is AuthorizationHeaderMalformed")
    func credentialDateMismatch() {
        let request = replacingHeader("x-amz-date", "20130525T000000Z", in: valid)
        #expect(rejection(request, now: now + 86_400)?.code == .authorizationHeaderMalformed)
    }

    @Test(
        "a request time more than 15 minutes from now is RequestTimeTooSkewed; exactly 15 is accepted",
        arguments: [-901, 901, -86_400, 86_400])
    func clockSkew(offset: Int64) throws {
        #expect(rejection(valid, now: now + offset)?.code == .requestTimeTooSkewed)
        _ = try verifier.verify(valid, now: now + (offset > 0 ? 900 : -900))
    }

    @Test("the allowed skew is configurable")
    func configurableSkew() throws {
        let strict = SigV4Verifier(region: "us-east-1", maxClockSkewSeconds: 60) { _ in SigV4TestSigner.secretKey }
        #expect(throws: S3Error.self) { try strict.verify(valid, now: now + 61) }
        _ = try strict.verify(valid, now: now + 60)
    }

    @Test("a missing x-amz-content-sha256 is InvalidRequest naming the header")
    func missingContentSHA256() {
        let error = rejection(replacingHeader("x-amz-content-sha256", nil, in: valid))
        #expect(error?.code == .invalidRequest)
        #expect(error?.message?.contains("x-amz-content-sha256") == true)
    }

    @Test(
        "an x-amz-content-sha256 that is neither a hash nor a known mode is InvalidArgument",
        arguments: ["UNSIGNED", "abc", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", String(repeating: "g", count: 64)])
    func invalidContentSHA256(value: String) {
        #expect(rejection(replacingHeader("x-amz-content-sha256", value, in: valid))?.code == .invalidArgument)
    }

    @Test(
        "each x-amz-content-sha256 value selects its payload mode",
        arguments: [
            ("UNSIGNED-PAYLOAD", PayloadMode.unsigned),
            ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", .streamingSigned),
            ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", .streamingSignedTrailer),
            ("STREAMING-UNSIGNED-PAYLOAD-TRAILER", .streamingUnsignedTrailer),
            (
                "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
                .sha256("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
            ),
        ])
    func payloadModes(value: String, mode: PayloadMode) throws {
        let request = SigV4TestSigner.headerSignedRequest(rawPath: "/", canonicalURI: "/", payload: value)
        let verified = try verifier.verify(request, now: now)
        #expect(verified.payload == mode)
        #expect((verified.chunkSigning != nil) == (mode == .streamingSigned || mode == .streamingSignedTrailer))
    }

    @Test("a signature that does not sign host is refused")
    func hostNotSigned() {
        let payload = "UNSIGNED-PAYLOAD"
        let canonical =
            "GET\n/key\n\nx-amz-content-sha256:\(payload)\nx-amz-date:20130524T000000Z\n\n"
            + "x-amz-content-sha256;x-amz-date\n\(payload)"
        let signature = SigV4TestSigner.signature(canonicalRequest: canonical)
        let request = replacingAuthorization(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=x-amz-content-sha256;x-amz-date, Signature=\(signature)", in: valid)
        #expect(rejection(request)?.code == .authorizationHeaderMalformed)
    }

    @Test("changing the method, path, query or a signed header is SignatureDoesNotMatch")
    func tampering() {
        var method = valid
        method.method = "DELETE"
        var path = valid
        path.rawPath = "/other"
        var query = valid
        query.rawQuery = "acl"
        let header = replacingHeader("host", "evil.example.com", in: valid)
        let missing = replacingHeader("host", nil, in: valid)
        for request in [method, path, query, header, missing] {
            let error = rejection(request)
            #expect(error?.code == .signatureDoesNotMatch)
        }
    }

    @Test("SignatureDoesNotMatch carries the string to sign and canonical request, like S3")
    func mismatchDetails() {
        var request = valid
        request.rawPath = "/other"
        let error = rejection(request)
        #expect(error?.details.contains { $0.0 == "CanonicalRequest" && $0.1.hasPrefix("GET\n/other\n") } == true)
        #expect(error?.details.contains { $0.0 == "StringToSign" && $0.1.hasPrefix("AWS4-HMAC-SHA256\n") } == true)
    }

    @Test("headers outside x-amz-* that were not signed may be added; an x-amz-* one may not (SignedHeaderRuleTests)")
    func unsignedHeadersAreFree() throws {
        var request = valid
        request.headers.append(("User-Agent", "anything"))
        request.headers.append(("X-Forwarded-For", "192.0.2.1"))
        _ = try verifier.verify(request, now: now)
        request.headers.append(("x-amz-meta-added", "1"))
        #expect(rejection(request)?.code == .accessDenied)
    }

    @Test("a signature made with another secret is SignatureDoesNotMatch")
    func wrongSecret() {
        let other = SigV4Verifier(region: "us-east-1") { _ in "another secret" }
        let error = #expect(throws: S3Error.self) { try other.verify(valid, now: now) }
        #expect(error?.code == .signatureDoesNotMatch)
    }

    @Test("an uppercase hex signature is accepted")
    func uppercaseSignature() throws {
        let authorization = valid.headers.first { $0.name == "Authorization" }!.value
        let request = replacingAuthorization(String(authorization.dropLast(64)) + signature.uppercased(), in: valid)
        _ = try verifier.verify(request, now: now)
    }

    @Test("an Authorization header together with a presigned query is InvalidArgument")
    func bothMechanisms() {
        var request = valid
        request.rawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256"
        #expect(rejection(request)?.code == .invalidArgument)
    }

    @Test("two Authorization headers are AuthorizationHeaderMalformed")
    func twoAuthorizationHeaders() {
        var request = valid
        request.headers.append(request.headers.first { $0.name == "Authorization" }!)
        #expect(rejection(request)?.code == .authorizationHeaderMalformed)
    }

    @Test(
        "a malformed percent escape in the path or query is InvalidURI",
        arguments: [("/a%zz", ""), ("/a%2", ""), ("/a%ff", ""), ("/a", "x=%g0")])
    func invalidURI(rawPath: String, rawQuery: String) {
        var request = valid
        request.rawPath = rawPath
        request.rawQuery = rawQuery
        #expect(rejection(request)?.code == .invalidURI)
    }
}
