/// The query string of a request, decoded into name/value pairs for SigV4.
///
/// `+` is kept as a literal `+` (botocore and the AWS SDKs encode spaces as `%20`, and a `+`
/// a client sent literally must canonicalise to `%2B`). A parameter without `=` has an empty value.
struct SigV4Query: Sendable {
    /// Decoded pairs in the order they appeared.
    var parameters: [(name: String, value: String)]

    /// Throws `InvalidURI` for a malformed percent escape or bytes that are not UTF-8.
    init(parsing rawQuery: String) throws {
        var parameters: [(name: String, value: String)] = []
        for piece in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let value: Substring
            if let equals = piece.firstIndex(of: "=") {
                name = piece[..<equals]
                value = piece[piece.index(after: equals)...]
            } else {
                name = piece
                value = ""
            }
            guard let decodedName = PercentEncoding.decode(name), let decodedValue = PercentEncoding.decode(value)
            else {
                throw S3Error(.invalidURI, "Couldn't parse the specified URI: malformed query string.")
            }
            parameters.append((decodedName, decodedValue))
        }
        self.parameters = parameters
    }

    /// The first value of the parameter `name` (case-sensitive, as S3 treats `X-Amz-*`).
    func first(_ name: String) -> String? {
        parameters.first(where: { $0.name == name })?.value
    }

    func contains(_ name: String) -> Bool {
        parameters.contains(where: { $0.name == name })
    }

    /// The SigV4 canonical query string: each name and value `UriEncode`d (slash included), sorted
    /// by name then value in byte order, joined as `name=value` with `&`.
    ///
    /// `excluding` drops a parameter (`X-Amz-Signature` of a presigned URL).
    func canonical(excluding excluded: String? = nil) -> String {
        var encoded: [(name: [UInt8], value: [UInt8])] = []
        encoded.reserveCapacity(parameters.count)
        for parameter in parameters where parameter.name != excluded {
            encoded.append(
                (
                    Array(PercentEncoding.awsURIEncode(parameter.name, encodeSlash: true).utf8),
                    Array(PercentEncoding.awsURIEncode(parameter.value, encodeSlash: true).utf8)
                ))
        }
        encoded.sort { a, b in
            a.name == b.name ? a.value.lexicographicallyPrecedes(b.value) : a.name.lexicographicallyPrecedes(b.name)
        }
        var out = [UInt8]()
        for (index, pair) in encoded.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            out += pair.name
            out.append(UInt8(ascii: "="))
            out += pair.value
        }
        return String(decoding: out, as: UTF8.self)
    }
}
