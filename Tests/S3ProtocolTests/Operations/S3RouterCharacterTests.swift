import S3Protocol
import Testing

/// The router splits paths and queries by Character, as Swift strings do; its byte-level fast
/// path must agree, so a combining mark joined to a separator keeps it from separating.
@Suite("S3Router Character semantics")
struct S3RouterCharacterTests {
    private let router = S3Router(virtualHostDomains: ["s3.example.com"])

    @Test("a slash joined by a combining mark does not end the bucket")
    func combiningMarkAfterBucketSlash() {
        let error = #expect(throws: S3Error.self) {
            try router.route(method: "GET", rawPath: "/b1k/\u{301}k", rawQuery: "", host: nil, headers: [])
        }
        #expect(error?.code == .invalidBucketName)
    }

    @Test("an ampersand joined by a combining mark does not separate parameters")
    func combiningMarkAfterAmpersand() throws {
        let request = try router.route(
            method: "GET", rawPath: "/b1k/k", rawQuery: "a=1&\u{301}acl", host: nil, headers: [])
        #expect(request.operation == .getObject)
        #expect(request.query == ["a": "1&\u{301}acl"])
    }

    @Test("mixed-case hosts name the bucket in lowercase, and the copy-source header matches in any case")
    func asciiCaseFolding() throws {
        let request = try router.route(
            method: "PUT", rawPath: "/k", rawQuery: "", host: "My.Bucket.S3.EXAMPLE.com:443",
            headers: [(name: "X-AMZ-COPY-SOURCE", value: "/b/k")])
        #expect(request.bucket == "my.bucket")
        #expect(request.operation == .copyObject)
    }
}
