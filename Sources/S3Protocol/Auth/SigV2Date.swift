/// The request time of a Signature Version 2 header-signed request (`x-amz-date`, else `Date`).
///
/// Accepts what `HTTPDate.parse` accepts (IMF-fixdate, RFC 850, asctime) and also the RFC 1123
/// form with a numeric zone that SigV2 clients commonly send (`Tue, 27 Mar 2007 19:36:42 +0000`,
/// as in the AWS examples and s3cmd); a non-zero offset is applied. Nothing else is accepted.
enum SigV2Date {
    /// Seconds since 1970, or nil when `text` is not a date in one of those forms.
    static func secondsSince1970(_ text: some StringProtocol) -> Int64? {
        let trimmed = String(SigV4Whitespace.trim(text))
        if let seconds = HTTPDate.parse(trimmed) { return seconds }
        // "…  19:36:42 +0000": swap the numeric zone for GMT, parse, then undo the offset.
        let utf8 = Array(trimmed.utf8)
        guard utf8.count > 6, utf8[utf8.count - 6] == UInt8(ascii: " ") else { return nil }
        let zone = utf8[(utf8.count - 5)...]
        let sign = zone[zone.startIndex]
        guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { return nil }
        let digits = zone.dropFirst()
        guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        let value = digits.map { Int64($0 - UInt8(ascii: "0")) }
        let hours = value[0] * 10 + value[1]
        let minutes = value[2] * 10 + value[3]
        guard hours <= 23, minutes <= 59 else { return nil }
        let asGMT = String(decoding: utf8[..<(utf8.count - 5)], as: UTF8.self) + "GMT"
        guard let local = HTTPDate.parse(asGMT) else { return nil }
        let offset = (hours * 3600 + minutes * 60) * (sign == UInt8(ascii: "+") ? 1 : -1)
        return local - offset
    }
}
