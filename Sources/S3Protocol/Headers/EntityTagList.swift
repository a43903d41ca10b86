/// Matching of an `If-Match` / `If-None-Match` header value against an object's ETag.
///
/// The header is `*` or a comma-separated list of entity tags, quoted or (as some clients
/// send them) bare. A `W/` prefix is ignored: Stowage only issues strong ETags, and a client
/// that holds a weakened copy (e.g. from a compressing proxy) still means the same object.
/// Commas inside a quoted tag do not split it.
enum EntityTagList {
    /// Whether `header` names `etag` (given without quotes) or is `*`.
    static func matches(_ header: String, etag: String) -> Bool {
        let target = unquoted(Substring(etag))
        for candidate in split(header) {
            if candidate == "*" { return true }
            var tag = candidate
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            if unquoted(tag) == target { return true }
        }
        return false
    }

    /// Whether the header holds no tag at all (empty or only whitespace and commas).
    static func isEmpty(_ header: String) -> Bool {
        split(header).isEmpty
    }

    private static func split(_ header: String) -> [Substring] {
        var tags: [Substring] = []
        var start = header.startIndex
        var insideQuotes = false
        var position = header.startIndex
        while position < header.endIndex {
            let character = header[position]
            if character == "\"" {
                insideQuotes.toggle()
            } else if character == ",", !insideQuotes {
                appendTrimmed(header[start..<position], to: &tags)
                start = header.index(after: position)
            }
            position = header.index(after: position)
        }
        appendTrimmed(header[start...], to: &tags)
        return tags
    }

    private static func appendTrimmed(_ text: Substring, to tags: inout [Substring]) {
        var trimmed = text
        while let first = trimmed.first, first == " " || first == "\t" { trimmed.removeFirst() }
        while let last = trimmed.last, last == " " || last == "\t" { trimmed.removeLast() }
        if !trimmed.isEmpty { tags.append(trimmed) }
    }

    private static func unquoted(_ tag: Substring) -> Substring {
        if tag.count >= 2, tag.first == "\"", tag.last == "\"" {
            return tag.dropFirst().dropLast()
        }
        return tag
    }
}
