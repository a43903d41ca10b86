import S3Protocol
import Testing

@Suite("XMLWriter")
struct XMLWriterTests {
    @Test("a document starts with the UTF-8 declaration and a newline, then compact elements")
    func declarationAndCompactElements() {
        var writer = XMLWriter()
        writer.open("ListAllMyBucketsResult", attributes: [("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/")])
        writer.open("Buckets")
        writer.open("Bucket")
        writer.element("Name", "examplebucket")
        writer.element("CreationDate", "2019-12-11T23:32:47.000Z")
        writer.close("Bucket")
        writer.close("Buckets")
        writer.close("ListAllMyBucketsResult")
        #expect(
            writer.string
                == """
                <?xml version="1.0" encoding="UTF-8"?>
                <ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Buckets><Bucket>\
                <Name>examplebucket</Name><CreationDate>2019-12-11T23:32:47.000Z</CreationDate></Bucket>\
                </Buckets></ListAllMyBucketsResult>
                """)
    }

    @Test("without a declaration the document is just the elements")
    func noDeclaration() {
        var writer = XMLWriter(declaration: false)
        writer.element("LocationConstraint", "")
        #expect(writer.string == "<LocationConstraint></LocationConstraint>")
    }

    @Test("bytes are the UTF-8 of string")
    func bytesMatchString() {
        var writer = XMLWriter()
        writer.element("Key", "naïve/🚀")
        #expect(writer.bytes == Array(writer.string.utf8))
    }

    @Test("the five markup characters are escaped as predefined entities")
    func markupCharacters() {
        var writer = XMLWriter(declaration: false)
        writer.element("Key", #"a&b<c>d"e'f"#)
        #expect(writer.string == "<Key>a&amp;b&lt;c&gt;d&quot;e&apos;f</Key>")
    }

    @Test("an ETag's quotes are written as &quot; as S3 does")
    func etagQuotes() {
        var writer = XMLWriter(declaration: false)
        writer.element("ETag", "\"9b2cf535f27731c974343645a3985328\"")
        #expect(writer.string == "<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>")
    }

    @Test("tab, line feed and carriage return become character references so they survive parsing")
    func whitespaceControls() {
        var writer = XMLWriter(declaration: false)
        writer.element("Key", "a\tb\nc\rd\r\ne")
        #expect(writer.string == "<Key>a&#9;b&#10;c&#13;d&#13;&#10;e</Key>")
    }

    @Test("other control characters and U+FFFE/U+FFFF become hex references, as S3 writes them")
    func forbiddenCharacters() {
        var writer = XMLWriter(declaration: false)
        writer.element("Key", "\u{0}\u{1}x\u{1B}\u{1F}\u{FFFE}\u{FFFF}\u{FFFD}")
        #expect(writer.string == "<Key>&#x0;&#x1;x&#x1B;&#x1F;&#xFFFE;&#xFFFF;\u{FFFD}</Key>")
    }

    @Test("non-ASCII text, DEL and C1 controls are written literally")
    func literalUnicode() {
        var writer = XMLWriter(declaration: false)
        writer.element("Key", "ünïcødé/日本語/🚀\u{7F}\u{85}")
        #expect(writer.string == "<Key>ünïcødé/日本語/🚀\u{7F}\u{85}</Key>")
    }

    @Test("attribute values are escaped like text")
    func attributeEscaping() {
        var writer = XMLWriter(declaration: false)
        writer.open(
            "Grantee", attributes: [("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"), ("note", "a\"b<&\n")])
        writer.close("Grantee")
        #expect(
            writer.string
                == #"<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" note="a&quot;b&lt;&amp;&#10;"></Grantee>"#
        )
    }

    @Test("closing an element other than the innermost open one traps")
    func mismatchedCloseTraps() async {
        await #expect(processExitsWith: .failure) {
            var writer = XMLWriter()
            writer.open("Outer")
            writer.open("Inner")
            writer.close("Outer")
        }
    }

    @Test("isWellFormedText tells whether a key needs encoding-type=url to be valid XML 1.0")
    func wellFormedText() {
        #expect(XMLWriter.isWellFormedText("photos/2024/a b&c<d>.jpg"))
        #expect(XMLWriter.isWellFormedText("tab\tnewline\ncr\r"))
        #expect(XMLWriter.isWellFormedText("🚀 ünïcødé \u{FFFD}"))
        #expect(!XMLWriter.isWellFormedText("a\u{1}b"))
        #expect(!XMLWriter.isWellFormedText("\u{0}"))
        #expect(!XMLWriter.isWellFormedText("x\u{FFFF}"))
        #expect(!XMLWriter.isWellFormedText("x\u{FFFE}"))
    }

    @Test(
        "any key written by the writer parses back to the same text",
        arguments: [
            "plain.txt", "a & b/c < d > e", #"quotes " and ' apostrophes"#, "line\nfeed", "carriage\rreturn",
            "crlf\r\nend", "\ttabbed\t", "  leading and trailing spaces  ", "emoji 🚀🇫🇷",
            "ctrl\u{1}\u{8}\u{B}\u{C}\u{1F}",
            "]]>", "&amp; literally", "//double//slashes/../dots/", "",
        ])
    func roundTrip(key: String) throws {
        var writer = XMLWriter()
        writer.open("Delete", attributes: [("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/")])
        writer.open("Object")
        writer.element("Key", key)
        writer.close("Object")
        writer.close("Delete")
        let document = try XMLDocumentParser.parse(writer.bytes)
        #expect(document.child("Object")?.child("Key")?.text == key)
    }
}
