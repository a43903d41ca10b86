/// The recursive-descent reader behind `XMLDocumentParser`: a cursor over validated UTF-8.
///
/// Every failure throws `S3Error(.malformedXML)`. Because the input is checked for valid UTF-8
/// and forbidden characters up front, every byte run copied out of it is valid UTF-8 too.
struct XMLScanner {
    private let bytes: [UInt8]
    private var index: Int
    private let maxDepth: Int

    init(bytes: [UInt8], maxDepth: Int) throws {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw Self.malformed }
        for position in bytes.indices {
            let byte = bytes[position]
            guard XMLCharacterRules.isAllowedASCII(byte),
                byte != 0xEF || !XMLCharacterRules.isNonCharacter(bytes, at: position)
            else { throw Self.malformed }
        }
        self.bytes = bytes
        self.index = 0
        self.maxDepth = maxDepth
    }

    private static var malformed: S3Error { S3Error(.malformedXML) }

    // MARK: Document structure

    mutating func parseDocument() throws -> XMLElement {
        if hasPrefix([0xEF, 0xBB, 0xBF]) { index += 3 }
        if hasPrefix("<?xml"), index + 5 < bytes.count, XMLCharacterRules.isWhitespace(bytes[index + 5]) {
            try parseDeclaration()
        }
        try skipMisc()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "<") else { throw Self.malformed }
        // `skipMisc` stops at `<!DOCTYPE` and any other markup declaration; none is allowed.
        guard !hasPrefix("<!") else { throw Self.malformed }
        let root = try parseElement(depth: 1)
        try skipMisc()
        guard index == bytes.count else { throw Self.malformed }
        return root
    }

    /// `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`; only UTF-8-compatible encodings.
    private mutating func parseDeclaration() throws {
        index += 5
        var pseudoAttributes: [String: String] = [:]
        while true {
            let hadSpace = skipWhitespace()
            if hasPrefix("?>") {
                index += 2
                break
            }
            guard hadSpace else { throw Self.malformed }
            let name = try parseName()
            guard pseudoAttributes[name] == nil else { throw Self.malformed }
            pseudoAttributes[name] = try parseAttributeValueAfterName()
        }
        guard let version = pseudoAttributes["version"], version.hasPrefix("1.") else { throw Self.malformed }
        if let encoding = pseudoAttributes["encoding"] {
            let lowered = encoding.lowercased()
            guard lowered == "utf-8" || lowered == "utf8" || lowered == "us-ascii" else { throw Self.malformed }
        }
        let known: Set<String> = ["version", "encoding", "standalone"]
        guard pseudoAttributes.keys.allSatisfy(known.contains) else { throw Self.malformed }
    }

    /// Skips whitespace, comments and processing instructions between top-level constructs.
    private mutating func skipMisc() throws {
        while true {
            skipWhitespace()
            if hasPrefix("<!--") {
                try skipComment()
            } else if hasPrefix("<?") {
                try skipProcessingInstruction()
            } else {
                return
            }
        }
    }

    private mutating func parseElement(depth: Int) throws -> XMLElement {
        guard depth <= maxDepth else { throw Self.malformed }
        index += 1  // "<"
        let qualifiedName = try parseName()
        let localName = try Self.localName(qualifiedName)
        var attributes: [String: String] = [:]
        while true {
            let hadSpace = skipWhitespace()
            guard index < bytes.count else { throw Self.malformed }
            if hasPrefix("/>") {
                index += 2
                return XMLElement(name: localName, attributes: attributes)
            }
            if bytes[index] == UInt8(ascii: ">") {
                index += 1
                break
            }
            guard hadSpace else { throw Self.malformed }
            let attributeName = try parseName()
            guard attributes[attributeName] == nil else { throw Self.malformed }
            attributes[attributeName] = try parseAttributeValueAfterName()
        }

        var text: [UInt8] = []
        var children: [XMLElement] = []
        while true {
            guard index < bytes.count else { throw Self.malformed }
            let byte = bytes[index]
            if byte == UInt8(ascii: "<") {
                if hasPrefix("</") {
                    index += 2
                    let endName = try parseName()
                    guard endName == qualifiedName else { throw Self.malformed }
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else { throw Self.malformed }
                    index += 1
                    return XMLElement(
                        name: localName, attributes: attributes, children: children,
                        text: String(decoding: text, as: UTF8.self))
                } else if hasPrefix("<!--") {
                    try skipComment()
                } else if hasPrefix("<![CDATA[") {
                    try appendCDATA(to: &text)
                } else if hasPrefix("<?") {
                    try skipProcessingInstruction()
                } else if hasPrefix("<!") {
                    throw Self.malformed
                } else {
                    children.append(try parseElement(depth: depth + 1))
                }
            } else if byte == UInt8(ascii: "&") {
                try appendReference(to: &text)
            } else if byte == UInt8(ascii: "\r") {
                appendNormalisedLineEnd(to: &text)
            } else {
                // "]]>" may not appear literally in character data.
                guard !hasPrefix("]]>") else { throw Self.malformed }
                text.append(byte)
                index += 1
            }
        }
    }

    /// `prefix:local` → `local`; a name with an empty prefix or local part is malformed.
    private static func localName(_ qualifiedName: String) throws -> String {
        guard let colon = qualifiedName.lastIndex(of: ":") else { return qualifiedName }
        let local = qualifiedName[qualifiedName.index(after: colon)...]
        guard colon != qualifiedName.startIndex, !local.isEmpty else { throw Self.malformed }
        return String(local)
    }

    // MARK: Lexical pieces

    private mutating func parseName() throws -> String {
        let start = index
        guard index < bytes.count, XMLCharacterRules.isNameStart(bytes[index]) else { throw Self.malformed }
        index += 1
        while index < bytes.count, XMLCharacterRules.isNameByte(bytes[index]) { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// Reads `S? = S? "value"` (or single quotes) and returns the normalised value.
    private mutating func parseAttributeValueAfterName() throws -> String {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { throw Self.malformed }
        index += 1
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else {
            throw Self.malformed
        }
        let quote = bytes[index]
        index += 1
        var value: [UInt8] = []
        while true {
            guard index < bytes.count else { throw Self.malformed }
            let byte = bytes[index]
            if byte == quote {
                index += 1
                return String(decoding: value, as: UTF8.self)
            }
            switch byte {
            case UInt8(ascii: "<"):
                throw Self.malformed
            case UInt8(ascii: "&"):
                try appendReference(to: &value)
            case UInt8(ascii: "\r"):
                // Attribute-value normalisation: a line end (CR, LF or CRLF) becomes one space.
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "\n") { index += 1 }
                value.append(UInt8(ascii: " "))
            case UInt8(ascii: "\n"), UInt8(ascii: "\t"):
                index += 1
                value.append(UInt8(ascii: " "))
            default:
                value.append(byte)
                index += 1
            }
        }
    }

    /// Decodes `&name;`, `&#NN;` or `&#xNN;` at the cursor.
    private mutating func appendReference(to output: inout [UInt8]) throws {
        index += 1  // "&"
        guard let semicolon = bytes[index...].prefix(32).firstIndex(of: UInt8(ascii: ";")) else {
            throw Self.malformed
        }
        let body = bytes[index..<semicolon]
        index = semicolon + 1
        if body.first == UInt8(ascii: "#") {
            let scalar = try Self.characterReference(body.dropFirst())
            output.append(contentsOf: String(Character(scalar)).utf8)
            return
        }
        switch String(decoding: body, as: UTF8.self) {
        case "amp": output.append(UInt8(ascii: "&"))
        case "lt": output.append(UInt8(ascii: "<"))
        case "gt": output.append(UInt8(ascii: ">"))
        case "quot": output.append(UInt8(ascii: "\""))
        case "apos": output.append(UInt8(ascii: "'"))
        default: throw Self.malformed
        }
    }

    /// `NN` (decimal) or `xNN` (hex) after `&#`: any scalar except NUL, surrogates and U+FFFE/U+FFFF.
    private static func characterReference(_ digits: ArraySlice<UInt8>) throws -> Unicode.Scalar {
        var digits = digits
        var radix: UInt32 = 10
        if digits.first == UInt8(ascii: "x") {
            radix = 16
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty else { throw malformed }
        var value: UInt32 = 0
        for digit in digits {
            let digitValue: UInt32
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digitValue = UInt32(digit - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f") where radix == 16:
                digitValue = UInt32(digit - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F") where radix == 16:
                digitValue = UInt32(digit - UInt8(ascii: "A") + 10)
            default: throw malformed
            }
            value = value * radix + digitValue
            guard value <= 0x10FFFF else { throw malformed }
        }
        guard value != 0, value != 0xFFFE, value != 0xFFFF, let scalar = Unicode.Scalar(value) else {
            throw malformed
        }
        return scalar
    }

    private mutating func appendCDATA(to output: inout [UInt8]) throws {
        index += 9  // "<![CDATA["
        while true {
            guard index < bytes.count else { throw Self.malformed }
            if hasPrefix("]]>") {
                index += 3
                return
            }
            if bytes[index] == UInt8(ascii: "\r") {
                appendNormalisedLineEnd(to: &output)
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
    }

    /// CR and CRLF become LF, as XML 1.0 §2.11 requires of every parser.
    private mutating func appendNormalisedLineEnd(to output: inout [UInt8]) {
        index += 1
        if index < bytes.count, bytes[index] == UInt8(ascii: "\n") { index += 1 }
        output.append(UInt8(ascii: "\n"))
    }

    /// `<!-- … -->`; `--` inside a comment is malformed.
    private mutating func skipComment() throws {
        index += 4
        while true {
            guard index < bytes.count else { throw Self.malformed }
            if hasPrefix("--") {
                guard hasPrefix("-->") else { throw Self.malformed }
                index += 3
                return
            }
            index += 1
        }
    }

    /// `<?target …?>`; the target `xml` (any case) is reserved for the declaration.
    private mutating func skipProcessingInstruction() throws {
        index += 2
        let target = try parseName()
        guard target.lowercased() != "xml" else { throw Self.malformed }
        guard hasPrefix("?>") || (index < bytes.count && XMLCharacterRules.isWhitespace(bytes[index])) else {
            throw Self.malformed
        }
        while true {
            guard index < bytes.count else { throw Self.malformed }
            if hasPrefix("?>") {
                index += 2
                return
            }
            index += 1
        }
    }

    @discardableResult
    private mutating func skipWhitespace() -> Bool {
        let start = index
        while index < bytes.count, XMLCharacterRules.isWhitespace(bytes[index]) { index += 1 }
        return index > start
    }

    private func hasPrefix(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        return literal.withUTF8Buffer { literalBytes in
            for offset in 0..<count where bytes[index + offset] != literalBytes[offset] { return false }
            return true
        }
    }

    private func hasPrefix(_ literal: [UInt8]) -> Bool {
        bytes.count - index >= literal.count && bytes[index..<index + literal.count].elementsEqual(literal)
    }
}
