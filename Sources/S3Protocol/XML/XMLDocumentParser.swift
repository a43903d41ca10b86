/// Parses S3 request bodies (CompleteMultipartUpload, Delete, CreateBucketConfiguration, …)
/// into an `XMLElement` tree.
///
/// A small, non-validating XML 1.0 parser for UTF-8 input. It accepts the XML declaration,
/// comments, processing instructions, CDATA sections, character references and the five
/// predefined entities. It rejects, with `S3Error(.malformedXML)`: a DOCTYPE (so no entity
/// expansion can ever happen), unknown entities, mismatched or unclosed tags, duplicate
/// attributes, anything after the root element other than comments, processing instructions
/// and whitespace, invalid UTF-8, characters XML 1.0 forbids, and nesting deeper than `maxDepth`.
///
/// One deliberate leniency: character references to C0 control characters (`&#x1;`) are
/// accepted, because that is how S3 (and `XMLWriter`) spell such characters in keys.
/// Namespaces are not resolved: element names lose their prefix and `xmlns` stays an attribute.
/// Recursion is bounded by `maxDepth`; the parser keeps no state between calls.
package enum XMLDocumentParser {
    /// Parses a whole document. Throws S3Error(.malformedXML) on anything malformed.
    package static func parse(_ bytes: [UInt8], maxDepth: Int = 32) throws -> XMLElement {
        var scanner = try XMLScanner(bytes: bytes, maxDepth: maxDepth)
        return try scanner.parseDocument()
    }
}
