import S3Protocol
import Testing

/// Request times: the ISO 8601 basic form of `x-amz-date` and the IMF-fixdate of `Date`
/// (expected seconds computed with Python's `calendar.timegm`).
@Suite("SigV4 request timestamps")
struct SigV4TimestampTests {
    @Test(
        "x-amz-date parses to seconds since 1970 and formats back unchanged",
        arguments: [
            ("20130524T000000Z", 1_369_353_600 as Int64),
            ("20240229T235959Z", 1_709_251_199),
            ("19700101T000000Z", 0),
            ("20991231T120000Z", 4_102_401_600),
            ("20000301T000000Z", 951_868_800),
        ])
    func amzDateRoundTrip(text: String, seconds: Int64) throws {
        let parsed = try #require(SigV4Timestamp(amzDate: text))
        #expect(parsed.secondsSince1970 == seconds)
        #expect(SigV4Timestamp(secondsSince1970: seconds).amzDate == text)
        #expect(parsed.scopeDate == String(text.prefix(8)))
    }

    @Test(
        "malformed or impossible x-amz-date values are rejected",
        arguments: [
            "", "20130524", "20130524T000000", "20130524T000000z", "2013-05-24T00:00:00Z", "20230229T000000Z",
            "20131301T000000Z", "20130500T000000Z", "20130524T246000Z", "20130524T006000Z", "20130524T000060Z",
            "19691231T235959Z", "2013O524T000000Z", "+0130524T000000Z",
        ])
    func invalidAmzDate(text: String) {
        #expect(SigV4Timestamp(amzDate: text) == nil)
    }

    @Test("an IMF-fixdate Date header parses")
    func httpDate() throws {
        let parsed = try #require(SigV4Timestamp(httpDate: "Sun, 06 Nov 1994 08:49:37 GMT"))
        #expect(parsed.secondsSince1970 == 784_111_777)
        #expect(parsed.amzDate == "19941106T084937Z")
    }

    @Test(
        "other Date forms are rejected",
        arguments: [
            "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
        ])
    func invalidHTTPDate(text: String) {
        #expect(SigV4Timestamp(httpDate: text) == nil)
    }
}
