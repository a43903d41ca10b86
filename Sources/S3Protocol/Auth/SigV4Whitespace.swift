/// Whitespace handling of SigV4 canonical headers and of the `Authorization` value.
enum SigV4Whitespace {
    /// Without leading and trailing spaces and tabs (HTTP optional whitespace).
    static func trim<S: StringProtocol>(_ text: S) -> S.SubSequence {
        var start = text.startIndex
        var end = text.endIndex
        while start < end, isSpace(text[start]) { start = text.index(after: start) }
        while end > start, isSpace(text[text.index(before: end)]) { end = text.index(before: end) }
        return text[start..<end]
    }

    /// AWS `Trimall`: trimmed, with every inner run of spaces and tabs replaced by one space.
    static func trimAll(_ text: some StringProtocol) -> String {
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(UInt8(ascii: " ")) }
                pendingSpace = false
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isSpace(_ c: Character) -> Bool { c == " " || c == "\t" }
}
