import S3Protocol
import Testing

/// The verifier reads ASCII requests byte by byte; these cases pin what it does outside ASCII,
/// where Swift's Character and Unicode rules decide (a separator followed by a combining mark
/// is one Character, and header names match after Unicode lowercasing).
@Suite("SigV4 parsing outside ASCII")
struct SigV4UnicodeRulesTests {
    let verifier = SigV4TestSigner.verifier
    let now = SigV4TestSigner.exampleTime
    let zeros = String(repeating: "0", count: 64)

    func error(_ request: SignableRequest) -> S3Error? {
        #expect(throws: S3Error.self) { try verifier.verify(request, now: now) }
    }

    func withAuthorization(_ value: String) -> SignableRequest {
        var request = SigV4TestSigner.headerSignedRequest(rawPath: "/key", canonicalURI: "/key")
        request.headers.removeAll { $0.name == "Authorization" }
        request.headers.append(("Authorization", value))
        return request
    }

    @Test("a '/' followed by a combining mark does not separate credential parts")
    func combiningMarkAfterSlash() {
        let request = withAuthorization(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\u{301}/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host, Signature=\(zeros)")
        // Five parts, the first "AKIDEXAMPLE/́", which is no known key.
        #expect(error(request)?.code == .invalidAccessKeyId)
    }

    @Test("a space followed by a combining mark after the algorithm is another scheme")
    func combiningMarkAfterAlgorithm() {
        let request = withAuthorization(
            "AWS4-HMAC-SHA256 \u{301}Credential=AKIDEXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host, Signature=\(zeros)")
        #expect(error(request)?.code == .invalidRequest)
    }

    @Test("a non-ASCII Authorization value that is otherwise well-formed is parsed")
    func nonASCIIAccessKey() {
        let request = withAuthorization(
            "AWS4-HMAC-SHA256 Credential=AKIDÉ/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host, Signature=\(zeros)")
        #expect(error(request)?.code == .invalidAccessKeyId)
    }

    @Test("a header name matches a signed name after Unicode lowercasing (KELVIN SIGN is 'k')")
    func unicodeLowercasedHeaderName() throws {
        var request = SigV4TestSigner.headerSignedRequest(
            rawPath: "/key", canonicalURI: "/key", extraSignedHeaders: [("key", "v", "v")])
        let index = try #require(request.headers.firstIndex { $0.name == "key" })
        request.headers[index].name = "\u{212A}EY"
        _ = try verifier.verify(request, now: now)
    }

    @Test("an '&' followed by a combining mark does not separate query parameters")
    func combiningMarkAfterAmpersand() throws {
        let request = SigV4TestSigner.headerSignedRequest(
            rawPath: "/", rawQuery: "b=1&\u{301}a=2", canonicalURI: "/", canonicalQuery: "b=1%26%CC%81a%3D2")
        _ = try verifier.verify(request, now: now)
    }

    @Test("header names in any ASCII case match their lowercased signed names")
    func asciiHeaderNameCase() throws {
        var request = SigV4TestSigner.headerSignedRequest(
            rawPath: "/key", canonicalURI: "/key", extraSignedHeaders: [("x-amz-meta-a", "1", "1")])
        for index in request.headers.indices where request.headers[index].name != "Authorization" {
            request.headers[index].name = request.headers[index].name.uppercased()
        }
        _ = try verifier.verify(request, now: now)
    }
}
