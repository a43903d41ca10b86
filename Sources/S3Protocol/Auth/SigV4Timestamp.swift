/// A request time as SigV4 uses it: seconds since 1970 and the ISO 8601 basic form
/// `yyyyMMdd'T'HHmmss'Z'` that goes into the string to sign.
///
/// Parsing is strict (fixed widths, UTC only) and needs no Foundation; dates before 1970 or
/// after 9999 are rejected.
package struct SigV4Timestamp: Sendable, Equatable {
    package var secondsSince1970: Int64
    /// `yyyyMMdd'T'HHmmss'Z'`.
    package var amzDate: String
    /// The first 8 characters of `amzDate`, as in a credential scope.
    package var scopeDate: String {
        // `amzDate` is ASCII (parsed or formatted here), so 8 bytes are 8 Characters.
        String(decoding: amzDate.utf8.prefix(8), as: UTF8.self)
    }

    package init(secondsSince1970: Int64) {
        self.secondsSince1970 = secondsSince1970
        let days = secondsSince1970 >= 0 ? secondsSince1970 / 86_400 : (secondsSince1970 - 86_399) / 86_400
        let secondOfDay = secondsSince1970 - days * 86_400
        let (year, month, day) = Self.civil(fromDays: days)
        amzDate =
            Self.digits(year, 4) + Self.digits(month, 2) + Self.digits(day, 2) + "T"
            + Self.digits(secondOfDay / 3600, 2) + Self.digits(secondOfDay / 60 % 60, 2)
            + Self.digits(secondOfDay % 60, 2) + "Z"
    }

    /// Parses `yyyyMMdd'T'HHmmss'Z'` (the `x-amz-date` header and `X-Amz-Date` parameter).
    package init?(amzDate text: String) {
        guard text.utf8.count == 16 else { return nil }
        let parsed =
            text.utf8.withContiguousStorageIfAvailable(Self.parseAmzDate)
            ?? Array(text.utf8).withUnsafeBufferPointer(Self.parseAmzDate)
        guard let parsed else { return nil }
        self.secondsSince1970 = parsed
        self.amzDate = text
    }

    /// Seconds since 1970 of `yyyyMMdd'T'HHmmss'Z'`, or nil.
    static func parseAmzDate(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z"),
            let year = Self.number(b[0..<4]), let month = Self.number(b[4..<6]), let day = Self.number(b[6..<8]),
            let hour = Self.number(b[9..<11]), let minute = Self.number(b[11..<13]),
            let second = Self.number(b[13..<15]),
            let seconds = Self.seconds(year, month, day, hour, minute, second)
        else { return nil }
        return seconds
    }

    /// Parses an IMF-fixdate `Date` header: `Sun, 06 Nov 1994 08:49:37 GMT`.
    package init?(httpDate text: String) {
        let b = Array(text.utf8)
        guard b.count == 29, b[3] == UInt8(ascii: ","), b[4] == UInt8(ascii: " "), b[7] == UInt8(ascii: " "),
            b[11] == UInt8(ascii: " "), b[16] == UInt8(ascii: " "), b[19] == UInt8(ascii: ":"),
            b[22] == UInt8(ascii: ":"), b[25] == UInt8(ascii: " "),
            String(decoding: b[26..<29], as: UTF8.self) == "GMT",
            Self.weekdays.contains(String(decoding: b[0..<3], as: UTF8.self)),
            let monthIndex = Self.months.firstIndex(of: String(decoding: b[8..<11], as: UTF8.self)),
            let day = Self.number(b[5..<7]), let year = Self.number(b[12..<16]),
            let hour = Self.number(b[17..<19]), let minute = Self.number(b[20..<22]),
            let second = Self.number(b[23..<25]),
            let seconds = Self.seconds(year, Int64(monthIndex + 1), day, hour, minute, second)
        else { return nil }
        self.init(secondsSince1970: seconds)
    }

    private static let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func number(_ bytes: some Collection<UInt8>) -> Int64? {
        var value: Int64 = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func seconds(
        _ year: Int64, _ month: Int64, _ day: Int64, _ hour: Int64, _ minute: Int64, _ second: Int64
    ) -> Int64? {
        guard year >= 1970, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
            hour < 24, minute < 60, second < 60
        else { return nil }
        return days(fromCivil: year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days, proleptic Gregorian calendar.
    private static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func digits(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
