import S3Protocol
import Testing

@Suite("XMLDocumentParser")
struct XMLDocumentParserTests {
    private func parse(_ text: String, maxDepth: Int = 32) throws -> XMLElement {
        try XMLDocumentParser.parse(Array(text.utf8), maxDepth: maxDepth)
    }

    // MARK: Real S3 request bodies

    @Test("CompleteMultipartUpload: parts with ETags quoted as &quot; or literally, and checksums")
    func completeMultipartUpload() throws {
        let document = try parse(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
               <Part>
                  <ChecksumCRC32>AAAAAA==</ChecksumCRC32>
                  <ETag>&quot;a54357aff0632cce46d942af68356b38&quot;</ETag>
                  <PartNumber>1</PartNumber>
               </Part>
               <Part>
                  <ETag>"0c78aef83f66abc1fa1e8477f296d394"</ETag>
                  <PartNumber>2</PartNumber>
               </Part>
               <Part><PartNumber>3</PartNumber><ETag>acbd18db4cc2f85cedef654fccc4a4d8</ETag></Part>
            </CompleteMultipartUpload>
            """)
        #expect(document.name == "CompleteMultipartUpload")
        #expect(document.attributes == ["xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"])
        let parts = document.children("Part")
        #expect(parts.count == 3)
        #expect(parts.map { $0.child("PartNumber")?.text } == ["1", "2", "3"])
        #expect(
            parts.map { $0.child("ETag")?.text } == [
                "\"a54357aff0632cce46d942af68356b38\"", "\"0c78aef83f66abc1fa1e8477f296d394\"",
                "acbd18db4cc2f85cedef654fccc4a4d8",
            ])
        #expect(parts[0].child("ChecksumCRC32")?.text == "AAAAAA==")
        #expect(parts[1].child("ChecksumCRC32") == nil)
    }

    @Test("Delete: Quiet, Objects with Key and VersionId, keys with escaped ampersands and unicode")
    func deleteObjects() throws {
        let document = try parse(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
                <Quiet>true</Quiet>
                <Object>
                     <Key>sample1.txt</Key>
                </Object>
                <Object>
                     <Key>rock &amp; roll/ünïcødé 🚀 &lt;1&gt;.txt</Key>
                     <VersionId>OYcLXagmS.WaD..oyH4KRguB95_YhLs7</VersionId>
                </Object>
            </Delete>
            """)
        #expect(document.name == "Delete")
        #expect(document.child("Quiet")?.text == "true")
        let objects = document.children("Object")
        #expect(objects.map { $0.child("Key")?.text } == ["sample1.txt", "rock & roll/ünïcødé 🚀 <1>.txt"])
        #expect(objects[0].child("VersionId") == nil)
        #expect(objects[1].child("VersionId")?.text == "OYcLXagmS.WaD..oyH4KRguB95_YhLs7")
    }

    @Test("a key keeps significant whitespace and carriage returns sent as references")
    func keyWhitespace() throws {
        let document = try parse("<Delete><Object><Key>  a&#13;&#10;b\t </Key></Object></Delete>")
        #expect(document.child("Object")?.child("Key")?.text == "  a\r\nb\t ")
    }

    @Test("CreateBucketConfiguration with a LocationConstraint, and with none")
    func createBucketConfiguration() throws {
        let document = try parse(
            """
            <CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <LocationConstraint>eu-west-1</LocationConstraint>
            </CreateBucketConfiguration>
            """)
        #expect(document.name == "CreateBucketConfiguration")
        #expect(document.child("LocationConstraint")?.text == "eu-west-1")

        let empty = try parse(#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#)
        #expect(empty.children.isEmpty)
        #expect(empty.text == "")
    }

    // MARK: XML features

    @Test("namespace prefixes are removed from element names but kept on attributes")
    func prefixes() throws {
        let document = try parse(#"<s3:Delete xmlns:s3="urn:x"><s3:Object><s3:Key>k</s3:Key></s3:Object></s3:Delete>"#)
        #expect(document.name == "Delete")
        #expect(document.attributes["xmlns:s3"] == "urn:x")
        #expect(document.child("Object")?.child("Key")?.text == "k")
    }

    @Test("CDATA sections are unwrapped into text without interpreting markup")
    func cdata() throws {
        let document = try parse("<Key>a<![CDATA[<b> & &amp; ]]]]><![CDATA[>]]>c</Key>")
        #expect(document.text == "a<b> & &amp; ]]>c")
    }

    @Test("decimal and hex character references decode to scalars, including outside the BMP")
    func characterReferences() throws {
        #expect(try parse("<a>&#65;&#x42;&#x0063;&#128640;&#x1F680;&#xe9;</a>").text == "ABc🚀🚀é")
    }

    @Test("references to control characters are accepted, matching what S3 writes for such keys")
    func controlReferences() throws {
        #expect(try parse("<a>&#x1;&#27;</a>").text == "\u{1}\u{1B}")
    }

    @Test("the five predefined entities decode")
    func predefinedEntities() throws {
        #expect(try parse("<a>&lt;&gt;&amp;&quot;&apos;</a>").text == "<>&\"'")
    }

    @Test("literal line ends are normalised to LF in text and CDATA")
    func lineEnds() throws {
        #expect(try parse("<a>x\r\ny\rz\n</a>").text == "x\ny\nz\n")
        #expect(try parse("<a><![CDATA[x\r\ny]]></a>").text == "x\ny")
    }

    @Test("comments and processing instructions are skipped everywhere they may appear")
    func commentsAndProcessingInstructions() throws {
        let document = try parse(
            """
            <?xml version='1.0' encoding='utf-8' standalone="yes"?>
            <!-- before --><?xml-stylesheet href="s.xsl"?>
            <a><!-- inside -->x<?target data?>y<b/><!---->z</a>
            <!-- after --><?after?>

            """)
        #expect(document.text == "xyz")
        #expect(document.children.map(\.name) == ["b"])
    }

    @Test("text is the character data directly inside, around the children")
    func mixedContent() throws {
        let document = try parse("<a>one<b>inner</b>two<c/>three</a>")
        #expect(document.text == "onetwothree")
        #expect(document.child("b")?.text == "inner")
        #expect(document.child("missing") == nil)
    }

    @Test("attributes in either quote style, with references decoded and whitespace normalised")
    func attributes() throws {
        let document = try parse("<a one=\"1\" two = 'x&amp;&quot;y' three=\"a\nb\tc\r\nd&#10;e\" four='\"'/>")
        #expect(document.attributes == ["one": "1", "two": "x&\"y", "three": "a b c d\ne", "four": "\""])
    }

    @Test("a byte-order mark, whitespace in end tags and a document without declaration are fine")
    func leniencies() throws {
        #expect(try XMLDocumentParser.parse([0xEF, 0xBB, 0xBF] + Array("<a>t</a >".utf8)).text == "t")
        #expect(try parse("\n  <a/>\n").name == "a")
    }

    @Test("nesting up to maxDepth parses; one level deeper is malformed")
    func depthLimit() throws {
        func nested(_ depth: Int) -> String {
            String(repeating: "<e>", count: depth) + String(repeating: "</e>", count: depth)
        }
        #expect(try parse(nested(32)).name == "e")
        let tooDeep = #expect(throws: S3Error.self) { try parse(nested(33)) }
        #expect(tooDeep?.code == .malformedXML)
        #expect(try parse(nested(2), maxDepth: 2).children.count == 1)
        #expect(throws: S3Error.self) { try parse(nested(3), maxDepth: 2) }
        #expect(throws: S3Error.self) { try parse(nested(10_000)) }
    }

    // MARK: Malformed documents

    @Test(
        "malformed documents are rejected with MalformedXML",
        arguments: [
            "", "   ", "text", "<!-- only a comment -->", "<a>", "<a><b></a></b>", "<a></b>", "<a><b/>",
            "<a/><b/>", "<a/>trailing", "<a/></a>", "< a/>", "<1a/>", "<:a/>", "<a:/>", "<a b/>", "<a b=1/>",
            "<a b='1' b='2'/>", "<a b='<'/>", "<a b='1'c='2'/>", "<a b='1/>",
            "<!DOCTYPE a><a/>", "<!DOCTYPE a [<!ENTITY x \"boom\">]><a>&x;</a>", "<a><!ELEMENT b ANY></a>",
            "<a>&unknown;</a>", "<a>&amp</a>", "<a>& b</a>", "<a>&#;</a>", "<a>&#x;</a>", "<a>&#0;</a>",
            "<a>&#xD800;</a>", "<a>&#x110000;</a>", "<a>&#99999999999999;</a>", "<a>&#xZZ;</a>", "<a>&#12a;</a>",
            "<a>&#xFFFE;</a>", "<a>x < y</a>", "<a>]]></a>", "<a><!-- a -- b --></a>", "<a><!-- unterminated</a>",
            "<a><![CDATA[unterminated</a>", "<a><?pi unterminated</a>", "<a><?xml version='1.0'?></a>",
            "  <?xml version='1.0'?><a/>", "<a/><?xml version='1.0'?>", "<?xml version='2.0'?><a/>",
            "<?xml encoding='UTF-8'?><a/>", "<?xml version='1.0' encoding='ISO-8859-1'?><a/>",
            "<?xml version='1.0' bogus='1'?><a/>", "<?xml version='1.0'><a/>", "<a>\u{1}</a>", "<a b='\u{8}'/>",
            "<a>\u{FFFF}</a>", "<a></a\u{0}>",
        ])
    func malformed(document: String) {
        let error = #expect(throws: S3Error.self) { try parse(document) }
        #expect(error?.code == .malformedXML)
    }

    @Test("invalid UTF-8 is malformed, wherever it appears")
    func invalidUTF8() {
        let documents: [[UInt8]] = [
            Array("<a>".utf8) + [0xFF] + Array("</a>".utf8),
            Array("<a>".utf8) + [0xC3] + Array("</a>".utf8),
            Array("<a>".utf8) + [0xED, 0xA0, 0x80] + Array("</a>".utf8),  // an encoded surrogate
            Array("<a/><!--".utf8) + [0xC0, 0xAF] + Array("-->".utf8),  // overlong encoding
        ]
        for document in documents {
            let error = #expect(throws: S3Error.self) { try XMLDocumentParser.parse(document) }
            #expect(error?.code == .malformedXML)
        }
    }
}
