import S3Protocol
import Testing

/// What the verifier refuses for Signature Version 2, and with which S3 error.
@Suite("SigV2 authentication failures")
struct SigV2RejectionTests {
    let verifier = SigV4TestSigner.verifier
    static let accessKey = "AKIAIOSFODNN7EXAMPLE"
    static let date = "Tue, 27 Mar 2007 19:36:42 +0000"
    static let signedAt: Int64 = 1_175_024_202

    /// A path-style `GET /johnsmith/photos/puppy.jpg`, signed over `stringToSign` (or, by
    /// default, over the request's own canonical form) with the AWS example secret.
    static func headerSigned(
        rawQuery: String = "", headers: [(name: String, value: String)] = [("Date", date)],
        stringToSign: String = "GET\n\n\n\(date)\n/johnsmith/photos/puppy.jpg", accessKey: String = accessKey
    ) -> SignableRequest {
        let signature = SigV2Crypto.signature(secretKey: SigV4TestSigner.secretKey, stringToSign: stringToSign)
        return SignableRequest(
            method: "GET", rawPath: "/johnsmith/photos/puppy.jpg", rawQuery: rawQuery,
            headers: [("Host", "s3.amazonaws.com")] + headers + [("Authorization", "AWS \(accessKey):\(signature)")])
    }

    static func presigned(expires: Int64, extraQuery: String = "", accessKey: String = accessKey) -> SignableRequest {
        let signature = SigV2Crypto.signature(
            secretKey: SigV4TestSigner.secretKey, stringToSign: "GET\n\n\n\(expires)\n/johnsmith/photos/puppy.jpg")
        let encoded = PercentEncoding.awsURIEncode(signature)
        return SignableRequest(
            method: "GET", rawPath: "/johnsmith/photos/puppy.jpg",
            rawQuery: "AWSAccessKeyId=\(accessKey)&Expires=\(expires)&Signature=\(encoded)\(extraQuery)",
            headers: [("Host", "s3.amazonaws.com")])
    }

    func rejection(
        _ request: SignableRequest, now: Int64 = Self.signedAt, sourceLocation: SourceLocation = #_sourceLocation
    ) -> S3Error? {
        #expect(throws: S3Error.self, sourceLocation: sourceLocation) { try verifier.verify(request, now: now) }
    }

    @Test("the baseline header-signed and presigned requests verify")
    func baseline() throws {
        _ = try verifier.verify(Self.headerSigned(), now: Self.signedAt)
        _ = try verifier.verify(Self.presigned(expires: Self.signedAt + 60), now: Self.signedAt)
    }

    @Test("an unknown access key is InvalidAccessKeyId, in the header and in the query")
    func unknownAccessKey() {
        #expect(rejection(Self.headerSigned(accessKey: "NOSUCHKEY"))?.code == .invalidAccessKeyId)
        #expect(
            rejection(Self.presigned(expires: Self.signedAt + 60, accessKey: "NOSUCHKEY"))?.code == .invalidAccessKeyId)
    }

    @Test("a signature over another string is SignatureDoesNotMatch naming the access key and StringToSign")
    func wrongSignature() {
        let request = Self.headerSigned(stringToSign: "GET\n\n\n\(Self.date)\n/johnsmith/photos/kitten.jpg")
        let error = rejection(request)
        #expect(error?.code == .signatureDoesNotMatch)
        #expect(error?.details.contains { $0 == ("AWSAccessKeyId", Self.accessKey) } == true)
        #expect(
            error?.details.contains { $0 == ("StringToSign", "GET\n\n\n\(Self.date)\n/johnsmith/photos/puppy.jpg") }
                == true)
    }

    @Test("signatures are compared as base64, so a change of letter case does not match")
    func signatureCaseMatters() {
        var request = Self.headerSigned()
        let signature = request.headers[request.headers.count - 1].value.split(separator: ":")[1]
        #expect(signature != Substring(signature.lowercased()))
        request.headers[request.headers.count - 1].value = "AWS \(Self.accessKey):\(signature.lowercased())"
        #expect(rejection(request)?.code == .signatureDoesNotMatch)
    }

    @Test("a signature that is not base64 is SignatureDoesNotMatch", arguments: ["!!!!", "abc", "===="])
    func malformedSignature(signature: String) {
        let request = SignableRequest(
            method: "GET", rawPath: "/johnsmith/photos/puppy.jpg", rawQuery: "",
            headers: [("Date", Self.date), ("Authorization", "AWS \(Self.accessKey):\(signature)")])
        #expect(rejection(request)?.code == .signatureDoesNotMatch)
    }

    @Test(
        "an Authorization value of scheme AWS without key:signature is InvalidArgument",
        arguments: [
            "AWS AKIAIOSFODNN7EXAMPLE", "AWS  AKIAIOSFODNN7EXAMPLE c2lnbmF0dXJl", "AWS :c2lnbmF0dXJl",
            "AWS AKIAIOSFODNN7EXAMPLE:",
        ])
    func malformedHeader(value: String) {
        let request = SignableRequest(
            method: "GET", rawPath: "/johnsmith/photos/puppy.jpg", rawQuery: "",
            headers: [("Date", Self.date), ("Authorization", value)])
        let error = rejection(request)
        #expect(error?.code == .invalidArgument)
        #expect(error?.details.contains { $0 == ("ArgumentName", "Authorization") } == true)
    }

    @Test(
        "a request time more than 15 minutes from now is RequestTimeTooSkewed; exactly 15 is accepted",
        arguments: [-901, 901, -86_400])
    func clockSkew(offset: Int64) throws {
        #expect(rejection(Self.headerSigned(), now: Self.signedAt + offset)?.code == .requestTimeTooSkewed)
        _ = try verifier.verify(Self.headerSigned(), now: Self.signedAt + (offset > 0 ? 900 : -900))
    }

    @Test(
        "a missing or unparsable Date is AccessDenied",
        arguments: [
            [], [("Date", "yesterday")], [("Date", "20070327T193642Z")], [("Date", "Tue, 27 Mar 2007 19:36:42 +2500")],
        ]
            as [[(String, String)]])
    func missingDate(headers: [(String, String)]) {
        let error = rejection(Self.headerSigned(headers: headers.map { (name: $0.0, value: $0.1) }))
        #expect(error?.code == .accessDenied)
        #expect(error?.message?.contains("Date") == true)
    }

    @Test("Date is accepted in GMT, in a numeric zone, and in RFC 850 form")
    func dateForms() throws {
        for date in [
            "Tue, 27 Mar 2007 19:36:42 GMT", "Tue, 27 Mar 2007 21:36:42 +0200", "Tuesday, 27-Mar-07 19:36:42 GMT",
        ] {
            let request = Self.headerSigned(
                headers: [("Date", date)], stringToSign: "GET\n\n\n\(date)\n/johnsmith/photos/puppy.jpg")
            _ = try verifier.verify(request, now: Self.signedAt)
        }
    }

    @Test("x-amz-date, not Date, is the request time when both are sent")
    func amzDateWins() throws {
        let request = Self.headerSigned(
            headers: [("Date", "Mon, 01 Jan 2001 00:00:00 GMT"), ("X-Amz-Date", Self.date)],
            stringToSign: "GET\n\n\n\nx-amz-date:\(Self.date)\n/johnsmith/photos/puppy.jpg")
        _ = try verifier.verify(request, now: Self.signedAt)
        #expect(rejection(request, now: Self.signedAt + 901)?.code == .requestTimeTooSkewed)
    }

    @Test("a presigned URL is refused one second after Expires, whatever its age")
    func presignedExpiry() throws {
        let request = Self.presigned(expires: Self.signedAt + 604_800 * 52)
        _ = try verifier.verify(request, now: Self.signedAt + 604_800 * 52)
        let error = rejection(request, now: Self.signedAt + 604_800 * 52 + 1)
        #expect(error?.code == .accessDenied)
        #expect(error?.message == "Request has expired")
    }

    @Test(
        "a presigned URL without Expires, or with a non-numeric one, is AccessDenied",
        arguments: [
            "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=c2lnbmF0dXJl",
            "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=c2lnbmF0dXJl&Expires=",
            "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=c2lnbmF0dXJl&Expires=-5",
            "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=c2lnbmF0dXJl&Expires=2007-03-29",
        ])
    func presignedWithoutExpires(query: String) {
        let request = SignableRequest(
            method: "GET", rawPath: "/johnsmith/photos/puppy.jpg", rawQuery: query, headers: [])
        #expect(rejection(request)?.code == .accessDenied)
    }

    @Test("a query parameter that is not a sub-resource may be added to a presigned URL; a sub-resource may not")
    func unsignedParameters() throws {
        _ = try verifier.verify(
            Self.presigned(expires: Self.signedAt + 60, extraQuery: "&x-id=GetObject"), now: Self.signedAt)
        for subResource in ["&acl", "&versionId=3", "&retention", "&legal-hold", "&response-content-type=text%2Fhtml"] {
            let request = Self.presigned(expires: Self.signedAt + 60, extraQuery: subResource)
            #expect(rejection(request)?.code == .signatureDoesNotMatch, "\(subResource)")
        }
    }

    @Test("a SigV2 query together with an Authorization header is InvalidArgument: only one auth mechanism")
    func twoMechanisms() {
        var request = Self.presigned(expires: Self.signedAt + 60)
        request.headers += Self.headerSigned().headers.filter { $0.name == "Authorization" || $0.name == "Date" }
        let error = rejection(request)
        #expect(error?.code == .invalidArgument)
        #expect(error?.message?.contains("Only one auth mechanism") == true)
    }

    @Test("a query with X-Amz-Algorithm is SigV4 even when it also carries AWSAccessKeyId and Signature")
    func signatureVersion4Wins() {
        var request = Self.presigned(expires: Self.signedAt + 60)
        request.rawQuery += "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
        #expect(rejection(request)?.code == .authorizationQueryParametersError)
    }

    @Test("SigV2Verifier alone refuses a request that is not SigV2 as AccessDenied")
    func standaloneVerifierRefusesOtherSchemes() {
        let standalone = SigV2Verifier { $0 == Self.accessKey ? SigV4TestSigner.secretKey : nil }
        let request = SigV4TestSigner.headerSignedRequest(rawPath: "/key", canonicalURI: "/key")
        #expect(throws: S3Error.self) { try standalone.verify(request, now: SigV4TestSigner.exampleTime) }
        #expect(throws: Never.self) { try standalone.verify(Self.headerSigned(), now: Self.signedAt) }
    }

    @Test(
        "a repeated AWSAccessKeyId, Signature or Expires is InvalidArgument naming it",
        arguments: ["AWSAccessKeyId", "Signature", "Expires"])
    func repeatedParameter(name: String) throws {
        let request = Self.presigned(expires: Self.signedAt + 60)
        let parameter = try #require(request.rawQuery.split(separator: "&").first { $0.hasPrefix(name + "=") })
        var repeated = request
        repeated.rawQuery += "&" + parameter
        let error = rejection(repeated)
        #expect(error?.code == .invalidArgument)
        #expect(error?.details.first { $0.0 == "ArgumentName" }?.1 == name)
    }

    @Test("a SigV2 signature is refused where only SigV4 is allowed (the admin API)")
    func signatureVersion2NotAllowed() {
        for request in [Self.headerSigned(), Self.presigned(expires: Self.signedAt + 60)] {
            let error = #expect(throws: S3Error.self) {
                try verifier.verify(request, virtualHostBucket: nil, now: Self.signedAt, signatureVersion2Allowed: false)
            }
            #expect(error?.code == .accessDenied)
            #expect(error?.message == "This endpoint accepts AWS Signature Version 4 only.")
        }
    }
}
