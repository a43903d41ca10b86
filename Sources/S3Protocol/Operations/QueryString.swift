/// A raw URL query string decoded into S3 request parameters.
///
/// Splits on `&`, then on the first `=`; percent-decodes names and values with `+` as a
/// space. The first occurrence of a name wins; empty segments (`a&&b`) are skipped; a
/// parameter without `=` has the value "".
struct QueryString {
    /// Every parameter, decoded, first value winning.
    var parameters: [String: String] = [:]
    /// Which routing parameters appear among `parameters`.
    var routing: RoutingParameters = []

    /// Throws `S3Error(.invalidURI)` for a malformed escape or bytes that are not UTF-8.
    init(parsing rawQuery: String) throws {
        guard !rawQuery.isEmpty else { return }
        var rawQuery = rawQuery
        let parsed = try rawQuery.withUTF8 { bytes in
            // One branch-free pass, which the compiler vectorises: ASCII or not, and how many `&`.
            var bitsSet: UInt8 = 0
            var separators = 0
            for byte in bytes {
                bitsSet |= byte
                separators &+= byte == UInt8(ascii: "&") ? 1 : 0
            }
            guard bitsSet < 0x80 else { return false }
            try parse(ascii: bytes, separators: separators)
            return true
        }
        if !parsed {
            // Outside ASCII, `&` or `=` next to a combining or prepended scalar is part of a
            // larger Character that separates nothing; splitting by Character keeps that rule.
            try parse(characters: rawQuery)
        }
    }

    /// The parser by byte, for an ASCII query: every Character is then one byte (CR LF aside,
    /// which neither is nor holds `&` or `=`).
    private mutating func parse(ascii bytes: UnsafeBufferPointer<UInt8>, separators: Int) throws {
        // Not `reserveCapacity`, which the standard library runs unspecialised.
        parameters = Dictionary(minimumCapacity: separators + 1)
        var scratch: [UInt8] = []
        var start = 0
        while start < bytes.count {
            // One pass over the segment finds its end, its first `=`, and whether the name and
            // the value hold anything to decode.
            var end = start
            var equals = -1
            var nameEscapes = false
            var valueEscapes = false
            while end < bytes.count {
                let byte = bytes[end]
                if byte == UInt8(ascii: "&") { break }
                if byte == UInt8(ascii: "=") && equals < 0 {
                    equals = end
                } else if byte == UInt8(ascii: "%") || byte == UInt8(ascii: "+") {
                    if equals < 0 { nameEscapes = true } else { valueEscapes = true }
                }
                end &+= 1
            }
            if start < end {
                let nameEnd = equals < 0 ? end : equals
                let valueStart = equals < 0 ? end : equals &+ 1
                let name = UnsafeBufferPointer(rebasing: bytes[start..<nameEnd])
                let value = UnsafeBufferPointer(rebasing: bytes[valueStart..<end])
                let decodedName: String
                let decodedValue: String
                if nameEscapes {
                    guard let text = String(percentDecoding: name, plusAsSpace: true, scratch: &scratch) else {
                        throw S3Error(.invalidURI)
                    }
                    decodedName = text
                    routing.formUnion(scratch.withUnsafeBufferPointer(RoutingParameters.named))
                } else {
                    decodedName = String(decoding: name, as: UTF8.self)
                    routing.formUnion(RoutingParameters.named(name))
                }
                if valueEscapes {
                    guard let text = String(percentDecoding: value, plusAsSpace: true, scratch: &scratch) else {
                        throw S3Error(.invalidURI)
                    }
                    decodedValue = text
                } else {
                    decodedValue = String(decoding: value, as: UTF8.self)
                }
                Self.keepFirst(decodedName, decodedValue, in: &parameters)
            }
            start = end &+ 1
        }
    }

    /// The original parser by Character, for queries with non-ASCII bytes (clients should
    /// percent-encode them, so this is the rare path).
    private mutating func parse(characters rawQuery: String) throws {
        for segment in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let rawName: Substring
            let rawValue: Substring
            if let equals = segment.firstIndex(of: "=") {
                rawName = segment[..<equals]
                rawValue = segment[segment.index(after: equals)...]
            } else {
                rawName = segment
                rawValue = ""
            }
            guard let name = PercentEncoding.decode(rawName, plusAsSpace: true),
                let value = PercentEncoding.decode(rawValue, plusAsSpace: true)
            else { throw S3Error(.invalidURI) }
            routing.formUnion(RoutingParameters.named(name))
            Self.keepFirst(name, value, in: &parameters)
        }
    }

    /// Inserts `value` for `name` unless `name` is already present.
    @inline(__always)
    private static func keepFirst(_ name: String, _ value: String, in parameters: inout [String: String]) {
        // Mutating through the defaulting subscript inserts the default when the key is absent
        // and leaves a present value alone: one hash lookup, where `== nil` then `=` takes two.
        func leaveAlone(_: inout String) {}
        leaveAlone(&parameters[name, default: value])
    }
}
