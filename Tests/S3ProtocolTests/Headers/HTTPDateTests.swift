import S3Protocol
import Testing

@Suite("HTTPDate")
struct HTTPDateTests {
    @Test(
        "format writes IMF-fixdate",
        arguments: [
            (Int64(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT"),
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (1_445_412_480, "Wed, 21 Oct 2015 07:28:00 GMT"),
            (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 GMT"),
            (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
        ])
    func format(seconds: Int64, text: String) {
        #expect(HTTPDate.format(seconds) == text)
        #expect(HTTPDate.parse(text) == seconds)
    }

    @Test("the three HTTP-date formats of RFC 9110 parse to the same instant")
    func threeFormats() {
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994") == 784_111_777)
        #expect(HTTPDate.parse("Sun Nov 16 08:49:37 1994") == 784_975_777)
    }

    @Test("RFC 850 two-digit years are read as 1970 to 2069")
    func twoDigitYears() {
        #expect(HTTPDate.parse("Thursday, 01-Jan-70 00:00:00 GMT") == 0)
        #expect(HTTPDate.parse("Saturday, 01-Jan-00 00:00:00 GMT") == 946_684_800)
        #expect(HTTPDate.parse("Friday, 31-Dec-69 00:00:00 GMT") == 3_155_673_600)
    }

    @Test("a leap second is accepted")
    func leapSecond() {
        #expect(HTTPDate.parse("Sat, 31 Dec 2016 23:59:60 GMT") == 1_483_228_800)
    }

    @Test(
        "invalid dates parse to nil",
        arguments: [
            "", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37 +0000",
            "Sun 06 Nov 1994 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 nov 1994 08:49:37 GMT", "Sun, 06 Nov 94 08:49:37 GMT", "Sun, 31 Apr 1994 08:49:37 GMT",
            "Sun, 29 Feb 1900 08:49:37 GMT", "Sun, 00 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT", "Sun, 06 Nov 1994 08:49:61 GMT", "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, 06 Nov 1994 08:49 GMT", "Sun, 06 Nov 1994 08:49:37:00 GMT", "Sun, -6 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 94",
            "1994-11-06T08:49:37Z", "784111777",
        ])
    func invalid(text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }

    @Test(
        "iso8601 writes S3 XML timestamps with milliseconds",
        arguments: [
            (Int64(1_255_369_830_000), "2009-10-12T17:50:30.000Z"),
            (0, "1970-01-01T00:00:00.000Z"),
            (1_576_107_167_123, "2019-12-11T23:32:47.123Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (951_868_799_007, "2000-02-29T23:59:59.007Z"),
        ])
    func iso8601(milliseconds: Int64, text: String) {
        #expect(HTTPDate.iso8601(millisecondsSince1970: milliseconds) == text)
    }

    @Test("parseAmzDate reads the basic ISO 8601 form of x-amz-date")
    func amzDate() {
        #expect(HTTPDate.parseAmzDate("20130524T000000Z") == 1_369_353_600)
        #expect(HTTPDate.parseAmzDate("20150830T123600Z") == 1_440_938_160)
        #expect(HTTPDate.parseAmzDate("19700101T000000Z") == 0)
        #expect(HTTPDate.parseAmzDate("20240229T235959Z") == 1_709_251_199)
    }

    @Test(
        "malformed x-amz-date values parse to nil",
        arguments: [
            "", "20130524T000000", "20130524 000000Z", "2013-05-24T00:00:00Z", "20130524T0000000Z", "2013052AT000000Z",
            "20131324T000000Z", "20130532T000000Z", "20230229T000000Z", "20130524T240000Z", "20130524T006000Z",
            "20130524t000000z",
        ])
    func invalidAmzDate(text: String) {
        #expect(HTTPDate.parseAmzDate(text) == nil)
    }

    @Test("format and parse agree on every day across four centuries")
    func roundTripDays() {
        var seconds: Int64 = -2_208_988_800  // 1900-01-01
        while seconds < 10_413_792_000 {  // 2300-01-01
            #expect(HTTPDate.parse(HTTPDate.format(seconds + 45_296)) == seconds + 45_296)
            seconds += 86_400 * 7 + 3_600
        }
    }
}
