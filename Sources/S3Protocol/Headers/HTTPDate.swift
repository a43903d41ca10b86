/// The date formats of the S3 wire protocol, all in UTC and without Foundation.
///
/// - HTTP headers (`Last-Modified`, `If-Modified-Since`, …) use the RFC 9110 HTTP-date:
///   IMF-fixdate on output; IMF-fixdate, RFC 850 and asctime on input.
/// - XML bodies use ISO 8601 with milliseconds (`2009-10-12T17:50:30.000Z`).
/// - SigV4 uses the basic ISO 8601 form of `x-amz-date` (`20130524T000000Z`).
///
/// Parsing is strict about layout and ranges (a 31st of April is rejected) but does not
/// check that a stated weekday matches the date. A leap second (`:60`) is accepted and
/// folded into the next second.
package enum HTTPDate {
    private static let weekdayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let longWeekdayNames = [
        "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
    ]
    private static let monthNames = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
    package static func format(_ secondsSince1970: Int64) -> String {
        let (days, secondOfDay) = split(secondsSince1970, by: 86_400)
        let date = CivilDate(daysSince1970: days)
        return weekdayNames[CivilDate.weekday(daysSince1970: days)] + ", " + pad(date.day, 2) + " "
            + monthNames[Int(date.month - 1)] + " " + pad(date.year, 4) + " " + clock(secondOfDay, separator: ":")
            + " GMT"
    }

    /// Seconds since 1970 for an IMF-fixdate, RFC 850 or asctime date; nil if invalid.
    /// RFC 850's two-digit years are read as 1970...2069.
    package static func parse(_ text: String) -> Int64? {
        let tokens = text.split(separator: " ", omittingEmptySubsequences: true)
        switch tokens.count {
        case 6:
            // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            guard tokens[0].hasSuffix(","), weekdayNames.contains(String(tokens[0].dropLast())),
                tokens[1].utf8.count == 2, tokens[3].utf8.count == 4, tokens[5] == "GMT",
                let day = number(tokens[1]), let month = month(tokens[2]), let year = number(tokens[3])
            else { return nil }
            return timestamp(CivilDate(year: year, month: month, day: day), clock: tokens[4])
        case 4:
            // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
            let parts = tokens[1].split(separator: "-", omittingEmptySubsequences: false)
            guard tokens[0].hasSuffix(","), longWeekdayNames.contains(String(tokens[0].dropLast())),
                tokens[3] == "GMT", parts.count == 3, parts[0].utf8.count == 2, parts[2].utf8.count == 2,
                let day = number(parts[0]), let month = month(parts[1]), let shortYear = number(parts[2])
            else { return nil }
            let year = shortYear < 70 ? 2000 + shortYear : 1900 + shortYear
            return timestamp(CivilDate(year: year, month: month, day: day), clock: tokens[2])
        case 5:
            // asctime: Sun Nov  6 08:49:37 1994
            guard weekdayNames.contains(String(tokens[0])), (1...2).contains(tokens[2].utf8.count),
                tokens[4].utf8.count == 4, let month = month(tokens[1]), let day = number(tokens[2]),
                let year = number(tokens[4])
            else { return nil }
            return timestamp(CivilDate(year: year, month: month, day: day), clock: tokens[3])
        default:
            return nil
        }
    }

    /// ISO 8601 with milliseconds, as in S3 XML: "2009-10-12T17:50:30.000Z".
    package static func iso8601(millisecondsSince1970: Int64) -> String {
        let (seconds, milliseconds) = split(millisecondsSince1970, by: 1_000)
        let (days, secondOfDay) = split(seconds, by: 86_400)
        let date = CivilDate(daysSince1970: days)
        return pad(date.year, 4) + "-" + pad(date.month, 2) + "-" + pad(date.day, 2) + "T"
            + clock(secondOfDay, separator: ":") + "." + pad(milliseconds, 3) + "Z"
    }

    /// Seconds since 1970 for an `x-amz-date` value such as "20130524T000000Z"; nil if invalid.
    package static func parseAmzDate(_ text: String) -> Int64? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 16, utf8[8] == UInt8(ascii: "T"), utf8[15] == UInt8(ascii: "Z"),
            let year = number(utf8[0..<4]), let month = number(utf8[4..<6]), let day = number(utf8[6..<8]),
            let hour = number(utf8[9..<11]), let minute = number(utf8[11..<13]), let second = number(utf8[13..<15])
        else { return nil }
        return timestamp(CivilDate(year: year, month: month, day: day), hour: hour, minute: minute, second: second)
    }

    // MARK: Helpers

    private static func timestamp(_ date: CivilDate, clock: Substring) -> Int64? {
        let parts = clock.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ $0.utf8.count == 2 }),
            let hour = number(parts[0]), let minute = number(parts[1]), let second = number(parts[2])
        else { return nil }
        return timestamp(date, hour: hour, minute: minute, second: second)
    }

    private static func timestamp(_ date: CivilDate, hour: Int64, minute: Int64, second: Int64) -> Int64? {
        guard date.isValid, (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else {
            return nil
        }
        return date.daysSince1970 * 86_400 + hour * 3_600 + minute * 60 + second
    }

    private static func month(_ name: Substring) -> Int64? {
        monthNames.firstIndex(of: String(name)).map { Int64($0 + 1) }
    }

    /// Non-empty ASCII digits only (no sign), at most 9 of them.
    private static func number(_ text: some Collection<UInt8>) -> Int64? {
        guard !text.isEmpty, text.count <= 9 else { return nil }
        var value: Int64 = 0
        for byte in text {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func number(_ text: Substring) -> Int64? {
        number(text.utf8)
    }

    /// Floor division with a non-negative remainder, so times before 1970 format correctly.
    private static func split(_ value: Int64, by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        var quotient = value / divisor
        var remainder = value % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }

    private static func clock(_ secondOfDay: Int64, separator: String) -> String {
        pad(secondOfDay / 3_600, 2) + separator + pad(secondOfDay / 60 % 60, 2) + separator + pad(secondOfDay % 60, 2)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
