/// Evaluates an HTTP `Range` header (RFC 9110 §14) against an object size, the way S3 does.
///
/// S3 serves a single byte range only. Anything it cannot use is ignored rather than refused:
/// a malformed header, a unit other than `bytes`, a last position before the first, or a
/// multi-range request all yield `.full` (200 with the whole object). A well-formed range that
/// selects no byte of the object yields `.unsatisfiable` (416 InvalidRange).
package enum ByteRange {
    /// Parses an HTTP Range header against an object size, the way S3 does: `bytes=a-b`, `bytes=a-`, `bytes=-n`.
    /// Syntactically invalid or multi-range headers → .full (S3 ignores them and returns 200);
    /// a start beyond the end (or `-0`, or size 0 with a range) → .unsatisfiable (416 InvalidRange).
    ///
    /// A last position past the end is clamped to `size - 1`; a suffix longer than the object
    /// selects the whole object as a range. The unit is matched case-insensitively and
    /// whitespace around `=` and the range is tolerated. Numbers too large for `Int64` saturate,
    /// so they behave as "beyond the end" rather than as garbage.
    package static func evaluate(_ header: String, size: Int64) -> ByteRangeResult {
        precondition(size >= 0, "object size must not be negative")
        guard let spec = parse(header) else { return .full }
        switch spec {
        case .from(let first, let last):
            guard size > 0, first < size else { return .unsatisfiable }
            return .range(first...min(last ?? size - 1, size - 1))
        case .suffix(let length):
            guard size > 0, length > 0 else { return .unsatisfiable }
            return .range(max(0, size - length)...size - 1)
        }
    }

    private enum Spec {
        case from(Int64, Int64?)
        case suffix(Int64)
    }

    private static func parse(_ header: String) -> Spec? {
        var text = Substring(header)
        trimWhitespace(&text)
        guard let equals = text.firstIndex(of: "=") else { return nil }
        var unit = text[..<equals]
        trimWhitespace(&unit)
        guard unit.lowercased() == "bytes" else { return nil }
        var range = text[text.index(after: equals)...]
        trimWhitespace(&range)
        guard !range.contains(","), let dash = range.firstIndex(of: "-") else { return nil }
        let firstText = range[..<dash]
        let lastText = range[range.index(after: dash)...]
        if firstText.isEmpty {
            guard let length = digits(lastText) else { return nil }
            return .suffix(length)
        }
        guard let first = digits(firstText) else { return nil }
        if lastText.isEmpty { return .from(first, nil) }
        guard let last = digits(lastText), last >= first else { return nil }
        return .from(first, last)
    }

    /// One or more ASCII digits, saturating at `Int64.max`; nil for anything else (signs included).
    private static func digits(_ text: Substring) -> Int64? {
        guard !text.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (timesTen, overflowTen) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = timesTen.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            value = overflowTen || overflowSum ? Int64.max : sum
        }
        return value
    }

    private static func trimWhitespace(_ text: inout Substring) {
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
    }
}
