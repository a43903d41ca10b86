import S3Protocol
import Testing

@Suite("ConditionalHeaders")
struct ConditionalHeadersTests {
    /// The object under test: ETag and Last-Modified "Wed, 21 Oct 2015 07:28:00 GMT".
    private let etag = "9b2cf535f27731c974343645a3985328"
    private let lastModified: Int64 = 1_445_412_480
    private let before = "Wed, 21 Oct 2015 07:27:59 GMT"
    private let exactly = "Wed, 21 Oct 2015 07:28:00 GMT"
    private let after = "Wed, 21 Oct 2015 07:28:01 GMT"

    private func evaluate(
        ifMatch: String? = nil, ifNoneMatch: String? = nil, ifModifiedSince: String? = nil,
        ifUnmodifiedSince: String? = nil
    ) -> ConditionalOutcome {
        ConditionalHeaders(
            ifMatch: ifMatch, ifNoneMatch: ifNoneMatch, ifModifiedSince: ifModifiedSince,
            ifUnmodifiedSince: ifUnmodifiedSince
        ).evaluate(etag: etag, lastModified: lastModified)
    }

    private func evaluateCopy(
        ifMatch: String? = nil, ifNoneMatch: String? = nil, ifModifiedSince: String? = nil,
        ifUnmodifiedSince: String? = nil
    ) -> ConditionalOutcome {
        ConditionalHeaders(
            ifMatch: ifMatch, ifNoneMatch: ifNoneMatch, ifModifiedSince: ifModifiedSince,
            ifUnmodifiedSince: ifUnmodifiedSince
        ).evaluateCopySource(etag: etag, lastModified: lastModified)
    }

    @Test("no conditional headers proceed")
    func none() {
        #expect(evaluate() == .proceed)
        #expect(evaluateCopy() == .proceed)
    }

    @Test("If-Match proceeds on a matching ETag in any spelling and fails with 412 otherwise")
    func ifMatch() {
        #expect(evaluate(ifMatch: "\"\(etag)\"") == .proceed)
        #expect(evaluate(ifMatch: etag) == .proceed)
        #expect(evaluate(ifMatch: "*") == .proceed)
        #expect(evaluate(ifMatch: "W/\"\(etag)\"") == .proceed)
        #expect(evaluate(ifMatch: "\"other\", \"\(etag)\"") == .proceed)
        #expect(evaluate(ifMatch: "\"other\",\"\(etag)\" , \"third\"") == .proceed)
        #expect(evaluate(ifMatch: "\"other\"") == .preconditionFailed)
        #expect(evaluate(ifMatch: "\"\(etag.uppercased())\"") == .preconditionFailed)
        #expect(evaluate(ifMatch: "\"\(etag)") == .preconditionFailed)
        #expect(evaluate(ifMatch: "\"a,\(etag)\"") == .preconditionFailed)
    }

    @Test("If-None-Match answers 304 on a matching ETag or * and proceeds otherwise")
    func ifNoneMatch() {
        #expect(evaluate(ifNoneMatch: "\"\(etag)\"") == .notModified)
        #expect(evaluate(ifNoneMatch: "*") == .notModified)
        #expect(evaluate(ifNoneMatch: "W/\"\(etag)\"") == .notModified)
        #expect(evaluate(ifNoneMatch: "\"x\", \"\(etag)\"") == .notModified)
        #expect(evaluate(ifNoneMatch: "\"other\"") == .proceed)
    }

    @Test("an ETag given with quotes matches the same as without")
    func quotedObjectETag() {
        let headers = ConditionalHeaders(ifMatch: etag, ifNoneMatch: nil, ifModifiedSince: nil, ifUnmodifiedSince: nil)
        #expect(headers.evaluate(etag: "\"\(etag)\"", lastModified: lastModified) == .proceed)
    }

    @Test("a multipart ETag with its part-count suffix matches exactly")
    func multipartETag() {
        let headers = ConditionalHeaders(
            ifMatch: "\"d41d8cd98f00b204e9800998ecf8427e-3\"", ifNoneMatch: nil, ifModifiedSince: nil,
            ifUnmodifiedSince: nil)
        #expect(headers.evaluate(etag: "d41d8cd98f00b204e9800998ecf8427e-3", lastModified: 0) == .proceed)
        #expect(headers.evaluate(etag: "d41d8cd98f00b204e9800998ecf8427e", lastModified: 0) == .preconditionFailed)
    }

    @Test("empty ETag headers count as absent")
    func emptyETagHeaders() {
        #expect(evaluate(ifMatch: "") == .proceed)
        #expect(evaluate(ifMatch: " , ") == .proceed)
        #expect(evaluate(ifNoneMatch: "") == .proceed)
        #expect(evaluate(ifMatch: "", ifUnmodifiedSince: before) == .preconditionFailed)
    }

    @Test("If-Modified-Since answers 304 unless modified strictly after the date")
    func ifModifiedSince() {
        #expect(evaluate(ifModifiedSince: before) == .proceed)
        #expect(evaluate(ifModifiedSince: exactly) == .notModified)
        #expect(evaluate(ifModifiedSince: after) == .notModified)
    }

    @Test("If-Unmodified-Since fails with 412 when modified strictly after the date")
    func ifUnmodifiedSince() {
        #expect(evaluate(ifUnmodifiedSince: before) == .preconditionFailed)
        #expect(evaluate(ifUnmodifiedSince: exactly) == .proceed)
        #expect(evaluate(ifUnmodifiedSince: after) == .proceed)
    }

    @Test("dates in the obsolete RFC 850 and asctime formats are honoured")
    func obsoleteDateFormats() {
        #expect(evaluate(ifModifiedSince: "Wednesday, 21-Oct-15 07:28:00 GMT") == .notModified)
        #expect(evaluate(ifModifiedSince: "Wed Oct 21 07:27:59 2015") == .proceed)
    }

    @Test(
        "invalid dates are ignored",
        arguments: ["yesterday", "", "2015-10-21T07:28:00Z", "Wed, 32 Oct 2015 07:28:00 GMT"])
    func invalidDates(date: String) {
        #expect(evaluate(ifModifiedSince: date) == .proceed)
        #expect(evaluate(ifUnmodifiedSince: date) == .proceed)
        #expect(evaluate(ifNoneMatch: "\"other\"", ifModifiedSince: date) == .proceed)
    }

    @Test("S3: If-Match true and If-Unmodified-Since false returns 200 with the data")
    func ifMatchOverridesIfUnmodifiedSince() {
        #expect(evaluate(ifMatch: "\"\(etag)\"", ifUnmodifiedSince: before) == .proceed)
    }

    @Test("If-Match false fails even when If-Unmodified-Since is true")
    func ifMatchFalseWins() {
        #expect(evaluate(ifMatch: "\"other\"", ifUnmodifiedSince: after) == .preconditionFailed)
    }

    @Test("S3: If-None-Match false and If-Modified-Since true returns 304")
    func ifNoneMatchOverridesIfModifiedSince() {
        #expect(evaluate(ifNoneMatch: "\"\(etag)\"", ifModifiedSince: before) == .notModified)
    }

    @Test("If-None-Match true proceeds even when If-Modified-Since is false")
    func ifNoneMatchTrueWins() {
        #expect(evaluate(ifNoneMatch: "\"other\"", ifModifiedSince: after) == .proceed)
    }

    @Test("a failed precondition takes precedence over not-modified")
    func preconditionBeforeNotModified() {
        #expect(evaluate(ifMatch: "\"other\"", ifNoneMatch: "\"\(etag)\"") == .preconditionFailed)
        #expect(evaluate(ifNoneMatch: "*", ifUnmodifiedSince: before) == .preconditionFailed)
        #expect(evaluate(ifMatch: "*", ifNoneMatch: "*") == .notModified)
    }

    @Test("copy-source conditions use the same order but every failure is 412")
    func copySource() {
        #expect(evaluateCopy(ifMatch: "\"\(etag)\"", ifUnmodifiedSince: before) == .proceed)
        #expect(evaluateCopy(ifMatch: "\"other\"") == .preconditionFailed)
        #expect(evaluateCopy(ifNoneMatch: "\"\(etag)\"") == .preconditionFailed)
        #expect(evaluateCopy(ifNoneMatch: "\"\(etag)\"", ifModifiedSince: before) == .preconditionFailed)
        #expect(evaluateCopy(ifModifiedSince: exactly) == .preconditionFailed)
        #expect(evaluateCopy(ifModifiedSince: before) == .proceed)
        #expect(evaluateCopy(ifUnmodifiedSince: before) == .preconditionFailed)
        #expect(evaluateCopy(ifNoneMatch: "\"other\"", ifModifiedSince: after) == .proceed)
    }
}
