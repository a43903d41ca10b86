/// One element of a parsed XML document: its local name, attributes, child elements and text.
///
/// Produced by `XMLDocumentParser`. The tree is a plain value: comments and processing
/// instructions are dropped, and character data between child elements is kept in `text`
/// (so pretty-printed bodies leave whitespace there; callers that want a scalar value should
/// trim it where S3 would).
package struct XMLElement: Sendable, Equatable {
    /// The local name; a namespace prefix (`s3:Delete` → `Delete`) is removed.
    package var name: String
    /// Attributes by their name as written (prefixes kept, e.g. `xmlns`, `xmlns:xsi`),
    /// values with references decoded and whitespace normalised as XML requires.
    package var attributes: [String: String]
    /// Child elements in document order.
    package var children: [XMLElement]
    /// All character data directly inside this element (not inside children), concatenated,
    /// with entity and character references decoded, CDATA sections unwrapped and line ends
    /// normalised to `\n`.
    package var text: String

    package init(name: String, attributes: [String: String] = [:], children: [XMLElement] = [], text: String = "") {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    /// The first child element with this local name, or nil.
    package func child(_ name: String) -> XMLElement? {
        children.first { $0.name == name }
    }

    /// Every child element with this local name, in document order.
    package func children(_ name: String) -> [XMLElement] {
        children.filter { $0.name == name }
    }
}
