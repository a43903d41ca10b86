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
        appendTrimmedAll(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the UTF-8 of `trimAll(text)` to `out`.
    static func appendTrimmedAll(_ text: some StringProtocol, to out: inout [UInt8]) {
        if let done: Void = text.utf8.withContiguousStorageIfAvailable({ appendTrimmedAll(buffer: $0, to: &out) }) {
            return done
        }
        Array(text.utf8).withUnsafeBufferPointer { appendTrimmedAll(buffer: $0, to: &out) }
    }

    /// Copies each run of non-blank bytes in one go, with one space between runs.
    private static func appendTrimmedAll(buffer bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var index = 0
        var wrote = false
        while index < bytes.count {
            while index < bytes.count, isBlank(bytes[index]) { index += 1 }
            let runStart = index
            while index < bytes.count, !isBlank(bytes[index]) { index += 1 }
            guard runStart < index else { break }
            if wrote { out.append(UInt8(ascii: " ")) }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            wrote = true
        }
    }

    @inline(__always)
    private static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    private static func isSpace(_ c: Character) -> Bool { c == " " || c == "\t" }
}
