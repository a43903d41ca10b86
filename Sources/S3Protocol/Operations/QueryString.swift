/// Decoding of a raw URL query string into S3 request parameters.
enum QueryString {
    /// Splits on `&`, then on the first `=`; percent-decodes names and values with `+` as a
    /// space. The first occurrence of a name wins; empty segments (`a&&b`) are skipped.
    /// Throws `S3Error(.invalidURI)` for a malformed escape or bytes that are not UTF-8.
    static func parse(_ rawQuery: String) throws -> [String: String] {
        var parameters: [String: String] = [:]
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
            if parameters[name] == nil { parameters[name] = value }
        }
        return parameters
    }
}
