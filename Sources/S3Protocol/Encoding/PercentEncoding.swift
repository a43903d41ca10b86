/// Percent-encoding as S3 and SigV4 use it.
package enum PercentEncoding {
    /// Decodes `%XX` escapes (and `+` as a space when `plusAsSpace`, as in query strings).
    /// Returns nil for a malformed escape or bytes that are not UTF-8.
    package static func decode(_ text: some StringProtocol, plusAsSpace: Bool = false) -> String? {
        // Most names, values and paths have nothing to decode: hand the text back without copying bytes.
        let needsDecoding = { (byte: UInt8) in byte == UInt8(ascii: "%") || (plusAsSpace && byte == UInt8(ascii: "+")) }
        guard
            text.utf8.withContiguousStorageIfAvailable({ $0.contains(where: needsDecoding) })
                ?? text.utf8.contains(where: needsDecoding)
        else {
            return String(text)
        }
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count)
        let decoded =
            text.utf8.withContiguousStorageIfAvailable { appendDecoded($0, plusAsSpace: plusAsSpace, to: &out) }
            ?? appendDecoded(text.utf8, plusAsSpace: plusAsSpace, to: &out)
        guard decoded else { return nil }
        return String(validating: out, as: UTF8.self)
    }

    /// Appends the bytes `utf8` decodes to; false for a malformed escape (UTF-8 is not checked).
    static func appendDecoded(
        _ utf8: some Collection<UInt8>, plusAsSpace: Bool = false, to out: inout [UInt8]
    ) -> Bool {
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let byte = utf8[i]
            utf8.formIndex(after: &i)
            if byte == UInt8(ascii: "%") {
                guard i != utf8.endIndex, let hi = hexValue(utf8[i]) else { return false }
                utf8.formIndex(after: &i)
                guard i != utf8.endIndex, let lo = hexValue(utf8[i]) else { return false }
                utf8.formIndex(after: &i)
                out.append(hi << 4 | lo)
            } else if plusAsSpace && byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else {
                out.append(byte)
            }
        }
        return true
    }

    /// AWS `UriEncode`: every byte except `A-Z a-z 0-9 - . _ ~` becomes `%XX` (uppercase hex);
    /// `/` is kept when `encodeSlash` is false (object key paths).
    package static func awsURIEncode(_ text: some StringProtocol, encodeSlash: Bool = true) -> String {
        // Most keys and values need no escape: return them as they are.
        let needsWork = { (byte: UInt8) in needsEncoding(byte, encodeSlash: encodeSlash) }
        guard
            text.utf8.withContiguousStorageIfAvailable({ $0.contains(where: needsWork) })
                ?? text.utf8.contains(where: needsWork)
        else {
            return String(text)
        }
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count + 16)
        appendAWSURIEncoded(text.utf8, encodeSlash: encodeSlash, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the AWS `UriEncode` form of `bytes` to `out`; see `awsURIEncode`.
    static func appendAWSURIEncoded(_ bytes: some Collection<UInt8>, encodeSlash: Bool, to out: inout [UInt8]) {
        // A String's UTF-8 view is far quicker to read through a buffer than byte by byte.
        if let done: Void = bytes.withContiguousStorageIfAvailable({
            appendAWSURIEncoded(buffer: $0, encodeSlash: encodeSlash, to: &out)
        }) {
            return done
        }
        Array(bytes).withUnsafeBufferPointer { appendAWSURIEncoded(buffer: $0, encodeSlash: encodeSlash, to: &out) }
    }

    /// Copies each run of bytes that need no escape in one go.
    private static func appendAWSURIEncoded(
        buffer bytes: UnsafeBufferPointer<UInt8>, encodeSlash: Bool, to out: inout [UInt8]
    ) {
        var runStart = 0
        for (index, byte) in bytes.enumerated() where needsEncoding(byte, encodeSlash: encodeSlash) {
            if runStart < index { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index])) }
            runStart = index + 1
            out.append(UInt8(ascii: "%"))
            out.append(upperHexDigit(byte >> 4))
            out.append(upperHexDigit(byte & 0xF))
        }
        if runStart < bytes.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
    }

    @inline(__always)
    static func needsEncoding(_ byte: UInt8, encodeSlash: Bool) -> Bool {
        !(isUnreserved(byte) || (!encodeSlash && byte == UInt8(ascii: "/")))
    }

    @inline(__always)
    private static func upperHexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") - 10 + nibble
    }

    @inline(__always)
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
