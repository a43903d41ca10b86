/// Builds an XML document with correct escaping, for S3 response bodies.
///
/// Output is compact (no indentation), UTF-8, and starts with the XML declaration followed by
/// a newline when `declaration` is true, as S3's own responses do.
///
/// Escaping of text and attribute values, chosen so that any S3 key survives a round trip:
/// - `& < > " '` become `&amp; &lt; &gt; &quot; &apos;`;
/// - tab, line feed and carriage return become `&#9; &#10; &#13;`, because a parser would
///   otherwise normalise `\r\n` to `\n` (and, in attributes, all three to spaces);
/// - the remaining C0 controls and U+FFFE/U+FFFF become hexadecimal character references
///   (`&#x1;`). That is what S3 sends too, but such references are not well-formed XML 1.0 and
///   strict client parsers reject them; listings should honour `encoding-type=url` for such
///   keys. `XMLWriter.isWellFormedText(_:)` tells whether a string needs it.
///
/// The writer checks that `close` matches the innermost `open` (a programming error traps);
/// element and attribute names are written as given and must be valid XML names.
package struct XMLWriter: Sendable {
    private var buffer: [UInt8]
    private var openElements: [String]

    /// Starts a document; with `declaration`, emits `<?xml version="1.0" encoding="UTF-8"?>\n`.
    package init(declaration: Bool = true) {
        buffer = []
        buffer.reserveCapacity(256)
        openElements = []
        if declaration {
            buffer.append(contentsOf: #"<?xml version="1.0" encoding="UTF-8"?>"#.utf8)
            buffer.append(UInt8(ascii: "\n"))
        }
    }

    /// Emits a start tag `<name a="v" …>`; attribute values are escaped, order is kept.
    package mutating func open(_ name: String, attributes: [(String, String)] = []) {
        buffer.append(UInt8(ascii: "<"))
        buffer.append(contentsOf: name.utf8)
        for (attributeName, value) in attributes {
            buffer.append(UInt8(ascii: " "))
            buffer.append(contentsOf: attributeName.utf8)
            buffer.append(UInt8(ascii: "="))
            buffer.append(UInt8(ascii: "\""))
            Self.appendEscaped(value, to: &buffer)
            buffer.append(UInt8(ascii: "\""))
        }
        buffer.append(UInt8(ascii: ">"))
        openElements.append(name)
    }

    /// Emits the end tag of the innermost open element, which must be `name`.
    package mutating func close(_ name: String) {
        let innermost = openElements.popLast()
        precondition(innermost == name, "XMLWriter.close(\(name)) does not match open element \(innermost ?? "none")")
        buffer.append(UInt8(ascii: "<"))
        buffer.append(UInt8(ascii: "/"))
        buffer.append(contentsOf: name.utf8)
        buffer.append(UInt8(ascii: ">"))
    }

    /// Emits `<name>text</name>` with `text` escaped; an empty text gives `<name></name>`.
    package mutating func element(_ name: String, _ text: String) {
        buffer.append(UInt8(ascii: "<"))
        buffer.append(contentsOf: name.utf8)
        buffer.append(UInt8(ascii: ">"))
        Self.appendEscaped(text, to: &buffer)
        buffer.append(UInt8(ascii: "<"))
        buffer.append(UInt8(ascii: "/"))
        buffer.append(contentsOf: name.utf8)
        buffer.append(UInt8(ascii: ">"))
    }

    /// The document so far, as UTF-8 bytes.
    package var bytes: [UInt8] { buffer }

    /// The document so far, as a string.
    package var string: String { String(decoding: buffer, as: UTF8.self) }

    /// Whether `text` consists only of characters XML 1.0 allows, i.e. whether the writer's
    /// output for it is well-formed without resorting to `&#xN;` references to control characters.
    package static func isWellFormedText(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        for index in utf8.indices {
            let byte = utf8[index]
            if !XMLCharacterRules.isAllowedASCII(byte)
                || (byte == 0xEF && XMLCharacterRules.isNonCharacter(utf8, at: index))
            {
                return false
            }
        }
        return true
    }

    private static func appendEscaped(_ text: String, to buffer: inout [UInt8]) {
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            switch byte {
            case UInt8(ascii: "&"): buffer.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): buffer.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): buffer.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): buffer.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): buffer.append(contentsOf: "&apos;".utf8)
            case 0x09: buffer.append(contentsOf: "&#9;".utf8)
            case 0x0A: buffer.append(contentsOf: "&#10;".utf8)
            case 0x0D: buffer.append(contentsOf: "&#13;".utf8)
            case 0x00..<0x20:
                appendHexReference(UInt32(byte), to: &buffer)
            case 0xEF where XMLCharacterRules.isNonCharacter(utf8, at: index):
                appendHexReference(utf8[index + 2] == 0xBE ? 0xFFFE : 0xFFFF, to: &buffer)
                index += 3
                continue
            default:
                buffer.append(byte)
            }
            index += 1
        }
    }

    private static func appendHexReference(_ value: UInt32, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: "&#x".utf8)
        buffer.append(contentsOf: String(value, radix: 16, uppercase: true).utf8)
        buffer.append(UInt8(ascii: ";"))
    }
}
