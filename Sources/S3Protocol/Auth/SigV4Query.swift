/// The query string of a request, decoded into name/value pairs for SigV4.
///
/// `+` is kept as a literal `+` (botocore and the AWS SDKs encode spaces as `%20`, and a `+`
/// a client sent literally must canonicalise to `%2B`). A parameter without `=` has an empty value.
struct SigV4Query: Sendable {
    /// Decoded pairs in the order they appeared.
    var parameters: [(name: String, value: String)]

    /// Throws `InvalidURI` for a malformed percent escape or bytes that are not UTF-8.
    init(parsing rawQuery: String) throws {
        if SigV4HeaderIndex.isASCII(rawQuery) {
            try self.init(parsingASCII: rawQuery)
        } else {
            // Outside ASCII, `&` or `=` followed by a combining scalar is one Character that
            // separates nothing; splitting by Character keeps that rule.
            try self.init(parsingCharacters: rawQuery)
        }
    }

    /// The parser by byte, for an ASCII query.
    private init(parsingASCII rawQuery: String) throws {
        var rawQuery = rawQuery
        parameters = try rawQuery.withUTF8(Self.parseASCII)
    }

    private static func parseASCII(_ bytes: UnsafeBufferPointer<UInt8>) throws -> [(name: String, value: String)] {
        var parameters: [(name: String, value: String)] = []
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.count
            if start < end {
                let equals = bytes[start..<end].firstIndex(of: UInt8(ascii: "=")) ?? end
                guard let name = decoded(bytes, start..<equals),
                    let value = decoded(bytes, min(equals + 1, end)..<end)
                else {
                    throw Self.malformed()
                }
                parameters.append((name, value))
            }
            start = end + 1
        }
        return parameters
    }

    /// `PercentEncoding.decode` of an ASCII range.
    private static func decoded(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String? {
        let piece = UnsafeBufferPointer(rebasing: bytes[range])
        guard piece.contains(UInt8(ascii: "%")) else { return String(decoding: piece, as: UTF8.self) }
        var out = [UInt8]()
        guard PercentEncoding.appendDecoded(piece, to: &out) else { return nil }
        return String(validating: out, as: UTF8.self)
    }

    private static func malformed() -> S3Error {
        S3Error(.invalidURI, "Couldn't parse the specified URI: malformed query string.")
    }

    private init(parsingCharacters rawQuery: String) throws {
        var parameters: [(name: String, value: String)] = []
        for piece in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            if let equals = piece.firstIndex(of: "=") {
                parameters.append(try Self.decoded(piece[..<equals], piece[piece.index(after: equals)...]))
            } else {
                parameters.append(try Self.decoded(piece, ""))
            }
        }
        self.parameters = parameters
    }

    private static func decoded(_ name: Substring, _ value: Substring) throws -> (name: String, value: String) {
        guard let decodedName = PercentEncoding.decode(name), let decodedValue = PercentEncoding.decode(value) else {
            throw malformed()
        }
        return (decodedName, decodedValue)
    }

    /// The first value of the parameter `name` (case-sensitive, as S3 treats `X-Amz-*`).
    func first(_ name: String) -> String? {
        parameters.first(where: { $0.name == name })?.value
    }

    func contains(_ name: String) -> Bool {
        parameters.contains(where: { $0.name == name })
    }

    /// The first of `names` that appears more than once, nil when each appears at most once.
    /// Authentication parameters must be unique: with two, the signature and what it is read
    /// as could each take a different one.
    func firstRepeated(of names: [String]) -> String? {
        names.first { name in parameters.lazy.filter { $0.name == name }.count > 1 }
    }

    /// The SigV4 canonical query string: each name and value `UriEncode`d (slash included), sorted
    /// by name then value in byte order, joined as `name=value` with `&`.
    ///
    /// `excluding` drops a parameter (`X-Amz-Signature` of a presigned URL).
    func canonical(excluding excluded: String? = nil) -> String {
        var out = [UInt8]()
        appendCanonical(excluding: excluded, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `canonical(excluding:)` to `out`, without intermediate strings.
    func appendCanonical(excluding excluded: String? = nil, to out: inout [UInt8]) {
        // Encode every pair in place, `name=value&…`, remembering where each lies; clients
        // usually send the parameters sorted already (the SDKs do), and then that is the answer.
        let base = out.count
        var pairs: [EncodedPair] = []
        pairs.reserveCapacity(parameters.count)
        for parameter in parameters where parameter.name != excluded {
            if !pairs.isEmpty { out.append(UInt8(ascii: "&")) }
            let start = out.count
            PercentEncoding.appendAWSURIEncoded(parameter.name.utf8, encodeSlash: true, to: &out)
            let nameEnd = out.count
            out.append(UInt8(ascii: "="))
            PercentEncoding.appendAWSURIEncoded(parameter.value.utf8, encodeSlash: true, to: &out)
            pairs.append(EncodedPair(start: start, nameEnd: nameEnd, end: out.count))
        }
        let isSorted = out.withUnsafeBufferPointer { bytes in
            pairs.indices.dropFirst().allSatisfy { !pairs[$0].precedes(pairs[$0 - 1], in: bytes) }
        }
        guard !isSorted else { return }
        let encoded = Array(out[base...])
        out.removeSubrange(base...)
        encoded.withUnsafeBufferPointer { bytes in
            let shifted = pairs.map {
                EncodedPair(start: $0.start - base, nameEnd: $0.nameEnd - base, end: $0.end - base)
            }
            for (index, pair) in shifted.sorted(by: { $0.precedes($1, in: bytes) }).enumerated() {
                if index > 0 { out.append(UInt8(ascii: "&")) }
                out.append(contentsOf: bytes[pair.start..<pair.end])
            }
        }
    }

    /// Where one encoded `name=value` lies in a buffer.
    private struct EncodedPair {
        var start: Int
        var nameEnd: Int
        var end: Int

        /// Byte order of the name, then of the value.
        func precedes(_ other: EncodedPair, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            let name = bytes[start..<nameEnd]
            let otherName = bytes[other.start..<other.nameEnd]
            if name.elementsEqual(otherName) {
                return bytes[(nameEnd + 1)..<end].lexicographicallyPrecedes(bytes[(other.nameEnd + 1)..<other.end])
            }
            return name.lexicographicallyPrecedes(otherName)
        }
    }
}
