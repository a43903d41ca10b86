/// Byte-level character classes shared by `XMLWriter` and the parser (XML 1.0, fifth edition).
enum XMLCharacterRules {
    /// Whether an ASCII byte may appear literally in an XML 1.0 document.
    /// Bytes 0x80 and above are judged by UTF-8 validation and `isNonCharacter`.
    @inline(__always)
    static func isAllowedASCII(_ byte: UInt8) -> Bool {
        byte >= 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// Whether the three bytes at `index` encode U+FFFE or U+FFFF, the two BMP scalars
    /// that XML 1.0 excludes from `Char` (surrogates cannot occur in valid UTF-8).
    @inline(__always)
    static func isNonCharacter(_ bytes: some RandomAccessCollection<UInt8>, at index: Int) -> Bool {
        let start = bytes.index(bytes.startIndex, offsetBy: index)
        guard bytes.distance(from: start, to: bytes.endIndex) >= 3, bytes[start] == 0xEF else { return false }
        let second = bytes[bytes.index(start, offsetBy: 1)]
        let third = bytes[bytes.index(start, offsetBy: 2)]
        return second == 0xBF && (third == 0xBE || third == 0xBF)
    }

    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// A byte that may start a name. Non-ASCII bytes are accepted wholesale: S3 bodies use
    /// ASCII names, and rejecting exotic name characters buys nothing here.
    @inline(__always)
    static func isNameStart(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "_"), UInt8(ascii: ":"):
            return true
        default:
            return byte >= 0x80
        }
    }

    @inline(__always)
    static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."):
            return true
        default:
            return isNameStart(byte)
        }
    }
}
