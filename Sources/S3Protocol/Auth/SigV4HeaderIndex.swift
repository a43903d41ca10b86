/// Request headers looked up by lowercased name, keeping every value of a repeated name in
/// the order received.
///
/// A request carries a dozen headers or so, so lookups scan the list instead of building a
/// dictionary of lowercased copies; names match as `name.lowercased() == lowercasedName` would.
struct SigV4HeaderIndex: Sendable {
    private let headers: [(name: String, value: String)]
    /// Per header, `fingerprint` of its name: most names are told apart without reading them.
    private let fingerprints: [UInt32]
    /// True when every header name is ASCII, so that names compare byte by byte.
    private let namesAreASCII: Bool

    init(_ headers: [(name: String, value: String)]) {
        var fingerprints: [UInt32] = []
        fingerprints.reserveCapacity(headers.count)
        var namesAreASCII = true
        for header in headers {
            var name = header.name
            let fingerprint = name.withUTF8 { bytes in
                namesAreASCII = namesAreASCII && bytes.allSatisfy { $0 < 0x80 }
                return Self.fingerprint(bytes)
            }
            fingerprints.append(fingerprint)
        }
        self.headers = headers
        self.fingerprints = fingerprints
        self.namesAreASCII = namesAreASCII
    }

    /// Every value of `lowercasedName`; empty when absent.
    func values(_ lowercasedName: String) -> [String] {
        var values: [String] = []
        forEachValue(lowercasedName) { values.append($0) }
        return values
    }

    /// The single value of `lowercasedName`, nil when absent; repeated values are joined with
    /// `,` as HTTP field combination does.
    func value(_ lowercasedName: String) -> String? {
        var found: String?
        forEachValue(lowercasedName) { value in
            if let previous = found { found = previous + "," + value } else { found = value }
        }
        return found
    }

    /// Calls `body` with each value of `lowercasedName`, in the order received.
    func forEachValue(_ lowercasedName: String, _ body: (String) -> Void) {
        var target = lowercasedName
        let asciiTarget: UInt32? = target.withUTF8 { bytes in
            bytes.allSatisfy { $0 < 0x80 } ? Self.fingerprint(bytes) : nil
        }
        if namesAreASCII, let asciiTarget {
            for index in fingerprints.indices
            where fingerprints[index] == asciiTarget && Self.asciiLowercasedEquals(headers[index].name, target) {
                body(headers[index].value)
            }
        } else {
            // Unicode case mapping and canonical equivalence apply; this is the rare slow path.
            for header in headers where header.name.lowercased() == lowercasedName { body(header.value) }
        }
    }

    /// Length, first and last byte of an ASCII name, case folded; equal for names that match.
    private static func fingerprint(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        guard let first = bytes.first, let last = bytes.last else { return 0 }
        return UInt32(truncatingIfNeeded: bytes.count) << 16 | UInt32(ASCII.lowered(first)) << 8 | UInt32(ASCII.lowered(last))
    }

    /// Whether the ASCII `name`, lowercased, is byte for byte the ASCII `lowercasedName`.
    private static func asciiLowercasedEquals(_ name: String, _ lowercasedName: String) -> Bool {
        var name = name
        var lowercasedName = lowercasedName
        return name.withUTF8 { a in
            lowercasedName.withUTF8 { b in
                guard a.count == b.count else { return false }
                for i in 0..<a.count where ASCII.lowered(a[i]) != b[i] { return false }
                return true
            }
        }
    }

    static func isASCII(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in bytes.allSatisfy { $0 < 0x80 } }
    }
}
