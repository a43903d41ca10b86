import NIOCore
import S3Protocol
import Testing

/// What the aws-chunked decoder refuses: bad signatures, bad framing, limits and truncation.
@Suite("aws-chunked decoding failures")
struct AWSChunkedDecoderFailureTests {
    static let context = SignedChunkedBody.context
    static let unsignedBody = Array("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n".utf8)

    func failure(
        _ body: [UInt8], mode: AWSChunkedDecoder.Mode, cuts: [Int] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> S3Error? {
        #expect(throws: S3Error.self, sourceLocation: sourceLocation) {
            try ChunkedTranscript.run(body, mode: mode, cuts: cuts)
        }
    }

    @Test("a changed data byte fails its chunk with SignatureDoesNotMatch once the chunk has passed")
    func tamperedData() throws {
        var body = AWSStreamingExample.signedBody
        body[200] = UInt8(ascii: "b")
        var decoder = AWSChunkedDecoder(mode: .signed(Self.context))
        // The chunk's data is emitted before its signature can be checked …
        let header = "10000;chunk-signature=\(AWSStreamingExample.chunkSignatures[0])\r\n".utf8.count
        let emitted = try decoder.feed(ByteBuffer(bytes: body[0..<(header + 1000)]))
        #expect(emitted.map(\.readableBytes) == [1000])
        // … and the failure comes with the chunk's last byte.
        let error = #expect(throws: S3Error.self) { try decoder.feed(ByteBuffer(bytes: body[(header + 1000)...])) }
        #expect(error?.code == .signatureDoesNotMatch)
    }

    @Test(
        "a chunk signature that is not the chain's next is SignatureDoesNotMatch",
        arguments: [0, 1, 2])
    func wrongChunkSignature(index: Int) {
        let body = AWSStreamingExample.signedBody
        let forged = replacing(
            AWSStreamingExample.chunkSignatures[index], with: String(repeating: "0", count: 64), in: body)
        #expect(failure(forged, mode: .signed(Self.context))?.code == .signatureDoesNotMatch)
    }

    @Test("chunks in the wrong order fail the signature chain")
    func reorderedChunks() {
        let first = SignedChunkedBody.make([Array("one".utf8), Array("two".utf8)])
        let second = SignedChunkedBody.make([Array("two".utf8), Array("one".utf8)])
        // Each chunk is "3;chunk-signature=<64>\r\n" + 3 bytes + "\r\n": 89 bytes. Both first chunks
        // carry genuine signatures chained from the seed, so "one" cannot follow "two".
        let spliced = Array(second[0..<89]) + Array(first[0..<89]) + Array(first[178...])
        #expect(failure(spliced, mode: .signed(Self.context))?.code == .signatureDoesNotMatch)
    }

    @Test("the seed signature binds the chunks to their request")
    func wrongSeed() {
        let other = AWSStreamingExample.context(seed: AWSStreamingExample.trailerSeedSignature)
        #expect(failure(AWSStreamingExample.signedBody, mode: .signed(other))?.code == .signatureDoesNotMatch)
    }

    @Test(
        "malformed chunk-size lines are InvalidRequest",
        arguments: [
            "zz\r\n", "\r\n", ";chunk-signature=00\r\n", "00000000000000001\r\n", "5 \r\nhello\r\n", "5\nhello\r\n",
            "-5\r\n",
        ])
    func malformedSizeLine(line: String) {
        let body = Array(line.utf8) + Array("0\r\n\r\n".utf8)
        #expect(failure(body, mode: .unsignedWithTrailer)?.code == .invalidRequest)
    }

    @Test(
        "signed chunks without a well-formed chunk-signature are InvalidRequest",
        arguments: [
            "3\r\n", "3;chunk-signature=abc\r\n", "3;signature=\(String(repeating: "0", count: 64))\r\n",
            "3;chunk-signature=\(String(repeating: "z", count: 64))\r\n",
        ])
    func missingChunkSignature(line: String) {
        let body = Array(line.utf8) + Array("abc\r\n".utf8)
        #expect(failure(body, mode: .signed(Self.context))?.code == .invalidRequest)
    }

    @Test(
        "chunk data not followed by CRLF (a wrong size) is InvalidRequest",
        arguments: ["4\r\nhello\r\n", "6\r\nhello\r\n0\r\n", "5\r\nhello\n0\r\n"])
    func wrongChunkSize(body: String) {
        #expect(failure(Array(body.utf8), mode: .unsignedWithTrailer)?.code == .invalidRequest)
    }

    @Test("a chunk-size line over 4 KiB is refused before its end arrives")
    func headerLineLimit() throws {
        var decoder = AWSChunkedDecoder(mode: .unsignedWithTrailer)
        _ = try decoder.feed(ByteBuffer(bytes: Array("5;".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 4000)))
        let error = #expect(throws: S3Error.self) {
            try decoder.feed(ByteBuffer(bytes: [UInt8](repeating: UInt8(ascii: "x"), count: 200)))
        }
        #expect(error?.code == .invalidRequest)
    }

    @Test("a chunk-size line of exactly 4 KiB including CRLF is accepted")
    func headerLineAtLimit() throws {
        let line = "3;" + String(repeating: "x", count: 4096 - 4) + "\r\n"
        #expect(line.utf8.count == 4096)
        let body = Array((line + "abc\r\n0\r\nx-amz-checksum-crc32:x\r\n\r\n").utf8)
        #expect(try ChunkedTranscript.run(body, mode: .unsignedWithTrailer).payload == Array("abc".utf8))
    }

    @Test("a trailer section over 16 KiB is InvalidRequest")
    func trailerSectionLimit() {
        var body = Array("0\r\n".utf8)
        for i in 0..<200 { body += Array("x-amz-meta-\(i):\(String(repeating: "v", count: 80))\r\n".utf8) }
        body += Array("\r\n".utf8)
        #expect(failure(body, mode: .unsignedWithTrailer)?.code == .invalidRequest)
    }

    @Test("a body cut short fails with IncompleteBody unless only the final empty line is missing")
    func truncation() throws {
        let cases: [([UInt8], AWSChunkedDecoder.Mode)] = [
            (Self.unsignedBody, .unsignedWithTrailer),
            (SignedChunkedBody.make([Array("hello".utf8)]), .signed(Self.context)),
            (
                SignedChunkedBody.make([Array("hello".utf8)], trailers: [("x-amz-checksum-crc32", "NhCmhg==")]),
                .signedWithTrailer(Self.context)
            ),
        ]
        for (body, mode) in cases {
            for length in 0..<body.count {
                let prefix = Array(body[0..<length])
                if length >= body.count - 2 {
                    _ = try ChunkedTranscript.run(prefix, mode: mode)
                } else {
                    #expect(failure(prefix, mode: mode)?.code == .incompleteBody, "cut at \(length)")
                }
            }
        }
    }

    @Test("an unsigned body ending at its zero chunk, with no trailer at all, is IncompleteBody")
    func unsignedWithoutTrailerEnd() {
        #expect(failure(Array("5\r\nhello\r\n0\r\n".utf8), mode: .unsignedWithTrailer)?.code == .incompleteBody)
    }

    @Test("bytes after the final empty line are InvalidRequest")
    func dataAfterEnd() {
        #expect(failure(Self.unsignedBody + [0x41], mode: .unsignedWithTrailer)?.code == .invalidRequest)
        let signed = SignedChunkedBody.make([Array("hello".utf8)]) + Array("\r\n".utf8)
        #expect(failure(signed, mode: .signed(Self.context))?.code == .invalidRequest)
    }

    @Test("trailers in a body declared without trailer are InvalidRequest")
    func trailerWithoutTrailerMode() {
        var body = SignedChunkedBody.make([Array("hello".utf8)])
        body.removeLast(2)
        body += Array("x-amz-checksum-crc32:NhCmhg==\r\n\r\n".utf8)
        #expect(failure(body, mode: .signed(Self.context))?.code == .invalidRequest)
    }

    @Test("a signed trailer section without x-amz-trailer-signature is SignatureDoesNotMatch")
    func missingTrailerSignature() {
        var body = SignedChunkedBody.make([Array("hello".utf8)])
        body.removeLast(2)
        body += Array("x-amz-checksum-crc32:NhCmhg==\r\n\r\n".utf8)
        #expect(failure(body, mode: .signedWithTrailer(Self.context))?.code == .signatureDoesNotMatch)
    }

    @Test("a changed trailer value or a forged trailer signature is SignatureDoesNotMatch")
    func tamperedTrailer() {
        let mode = AWSChunkedDecoder.Mode.signedWithTrailer(
            AWSStreamingExample.context(seed: AWSStreamingExample.trailerSeedSignature))
        let changedValue = replacing("sOO8/Q==", with: "AAAAAA==", in: AWSStreamingExample.signedTrailerBody)
        #expect(failure(changedValue, mode: mode)?.code == .signatureDoesNotMatch)
        let forged = replacing(
            AWSStreamingExample.trailerSignature, with: String(repeating: "1", count: 64),
            in: AWSStreamingExample.signedTrailerBody)
        #expect(failure(forged, mode: mode)?.code == .signatureDoesNotMatch)
    }

    @Test("a trailer after x-amz-trailer-signature is InvalidRequest")
    func trailerAfterSignature() {
        var body = SignedChunkedBody.make([Array("hello".utf8)], trailers: [("x-amz-checksum-crc32", "NhCmhg==")])
        body.removeLast(2)
        body += Array("x-amz-meta-late:1\r\n\r\n".utf8)
        #expect(failure(body, mode: .signedWithTrailer(Self.context))?.code == .invalidRequest)
    }

    @Test(
        "x-amz-trailer-signature in an unsigned body, or a trailer line without ':', is InvalidRequest",
        arguments: ["x-amz-trailer-signature:\(String(repeating: "0", count: 64))", "no-colon", ":empty-name", "a b:c"])
    func badUnsignedTrailer(line: String) {
        let body = Array("0\r\n\(line)\r\n\r\n".utf8)
        #expect(failure(body, mode: .unsignedWithTrailer)?.code == .invalidRequest)
    }

    @Test("after a failure every later feed and finish throws the same error")
    func failureIsSticky() throws {
        var decoder = AWSChunkedDecoder(mode: .unsignedWithTrailer)
        #expect(throws: S3Error.self) { try decoder.feed(ByteBuffer(string: "zz\r\n")) }
        let again = #expect(throws: S3Error.self) { try decoder.feed(ByteBuffer()) }
        #expect(again?.code == .invalidRequest)
        let atFinish = #expect(throws: S3Error.self) { try decoder.finish() }
        #expect(atFinish?.code == .invalidRequest)
        #expect(!decoder.isComplete)
    }

    /// `body` with the first occurrence of `target` replaced by a string of the same length.
    func replacing(_ target: String, with replacement: String, in body: [UInt8]) -> [UInt8] {
        let needle = Array(target.utf8)
        precondition(needle.count == replacement.utf8.count)
        var body = body
        for start in 0...(body.count - needle.count) where body[start..<(start + needle.count)].elementsEqual(needle) {
            body.replaceSubrange(start..<(start + needle.count), with: Array(replacement.utf8))
            return body
        }
        preconditionFailure("\(target) not found")
    }
}
