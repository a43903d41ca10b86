import NIOCore
import S3Protocol
import Testing

/// Decoding valid aws-chunked bodies: the AWS examples, a botocore body, and how input is cut.
@Suite("aws-chunked decoding of valid bodies")
struct AWSChunkedDecoderTests {
    static let signed = AWSChunkedDecoder.Mode.signed(
        AWSStreamingExample.context(seed: AWSStreamingExample.seedSignature))
    static let signedTrailer = AWSChunkedDecoder.Mode.signedWithTrailer(
        AWSStreamingExample.context(seed: AWSStreamingExample.trailerSeedSignature))
    /// botocore 1.43's PutObject body of "hello" with a CRC32 trailer.
    static let botocoreBody = Array("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n".utf8)

    @Test("the AWS signed example is 66824 bytes and decodes to 65536 + 1024 'a' in one piece")
    func awsSignedExampleWhole() throws {
        let body = AWSStreamingExample.signedBody
        #expect(body.count == 66824)
        let transcript = try ChunkedTranscript.run(body, mode: Self.signed)
        #expect(transcript.payload == AWSStreamingExample.payload)
        #expect(transcript.emitted == [65536, 1024])
        #expect(transcript.trailers.isEmpty)
    }

    @Test("the AWS signed example decodes the same in random pieces", arguments: 1...8 as ClosedRange<UInt64>)
    func awsSignedExampleRandomPieces(seed: UInt64) throws {
        let body = AWSStreamingExample.signedBody
        let cuts = ChunkedTranscript.randomCuts(
            count: body.count, maxPiece: seed.isMultiple(of: 2) ? 97 : 9000, seed: seed)
        let transcript = try ChunkedTranscript.run(body, mode: Self.signed, cuts: cuts)
        #expect(transcript.payload == AWSStreamingExample.payload)
    }

    @Test("the AWS signed example decodes the same fed one byte at a time")
    func awsSignedExampleByteByByte() throws {
        let body = AWSStreamingExample.signedBody
        let transcript = try ChunkedTranscript.run(body, mode: Self.signed, cuts: Array(1..<body.count))
        #expect(transcript.payload == AWSStreamingExample.payload)
        #expect(transcript.emitted.allSatisfy { $0 == 1 })
    }

    @Test("the AWS example request verifies and its body decodes with the handed-on context")
    func verifierToDecoder() throws {
        let verified = try SigV4TestSigner.verifier.verify(
            AWSStreamingExample.request, now: SigV4TestSigner.exampleTime)
        let context = try #require(verified.chunkSigning)
        let transcript = try ChunkedTranscript.run(AWSStreamingExample.signedBody, mode: .signed(context))
        #expect(transcript.payload == AWSStreamingExample.payload)
    }

    @Test(
        "the AWS trailer example decodes and yields its verified CRC32C trailer", arguments: [0, 1, 2, 3] as [UInt64])
    func awsTrailerExample(seed: UInt64) throws {
        let body = AWSStreamingExample.signedTrailerBody
        let cuts =
            seed == 0 ? [] : ChunkedTranscript.randomCuts(count: body.count, maxPiece: 300 * Int(seed), seed: seed)
        let transcript = try ChunkedTranscript.run(body, mode: Self.signedTrailer, cuts: cuts)
        #expect(transcript.payload == AWSStreamingExample.payload)
        #expect(transcript.trailers.map(\.name) == ["x-amz-checksum-crc32c"])
        #expect(transcript.trailers.map(\.value) == ["sOO8/Q=="])
        var crc = ChecksumHasher(.crc32c)
        crc.update(ByteBuffer(bytes: transcript.payload))
        #expect(crc.finalizeBase64() == "sOO8/Q==")
    }

    @Test("the AWS trailer example's trailer section decodes when cut at every byte of it")
    func awsTrailerExampleEveryCut() throws {
        let body = AWSStreamingExample.signedTrailerBody
        let tail = body.count - 300
        for cut in tail...body.count {
            let transcript = try ChunkedTranscript.run(body, mode: Self.signedTrailer, cuts: [cut])
            #expect(transcript.trailers.map(\.value) == ["sOO8/Q=="])
        }
    }

    @Test("botocore's unsigned-trailer body decodes when cut at every byte boundary, and byte by byte")
    func botocoreUnsignedTrailer() throws {
        let body = Self.botocoreBody
        var splits = (0...body.count).map { [$0] }
        splits.append(Array(1..<body.count))
        for cuts in splits {
            let transcript = try ChunkedTranscript.run(body, mode: .unsignedWithTrailer, cuts: cuts)
            #expect(transcript.payload == Array("hello".utf8))
            #expect(transcript.trailers.count == 1)
            #expect(transcript.trailers.first?.name == "x-amz-checksum-crc32")
            #expect(transcript.trailers.first?.value == "NhCmhg==")
        }
    }

    @Test("a multi-chunk signed body with trailers decodes at every cut point")
    func customSignedEveryCut() throws {
        let chunks = [Array("The quick brown fox ".utf8), Array("jumps over".utf8), [0, 13, 10, 255]]
        let body = SignedChunkedBody.make(
            chunks, trailers: [("x-amz-checksum-crc32", "AAAAAA=="), ("x-amz-meta-a", "b")])
        let mode = AWSChunkedDecoder.Mode.signedWithTrailer(SignedChunkedBody.context)
        for cut in 0...body.count {
            let transcript = try ChunkedTranscript.run(body, mode: mode, cuts: [cut])
            #expect(transcript.payload == chunks.flatMap { $0 })
            #expect(transcript.trailers.map(\.name) == ["x-amz-checksum-crc32", "x-amz-meta-a"])
        }
        let byByte = try ChunkedTranscript.run(body, mode: mode, cuts: Array(1..<body.count))
        #expect(byByte.payload == chunks.flatMap { $0 })
    }

    @Test("a signed body without trailers ends with the zero chunk and an empty line")
    func signedNoTrailer() throws {
        let body = SignedChunkedBody.make([Array("abc".utf8)])
        let transcript = try ChunkedTranscript.run(body, mode: .signed(SignedChunkedBody.context))
        #expect(transcript.payload == Array("abc".utf8))
    }

    @Test("a signed-trailer body whose only trailer is its signature decodes with no trailers")
    func signedTrailerWithoutHeaders() throws {
        let body = SignedChunkedBody.make([Array("abc".utf8)], trailers: [])
        let transcript = try ChunkedTranscript.run(body, mode: .signedWithTrailer(SignedChunkedBody.context))
        #expect(transcript.trailers.isEmpty)
    }

    @Test("chunk sizes are hex in either case, with leading zeros up to 16 digits")
    func chunkSizeForms() throws {
        let data = [UInt8](repeating: 7, count: 0xAB)
        for size in ["ab", "AB", "00000000000000ab"] {
            let body = Array("\(size)\r\n".utf8) + data + Array("\r\n0\r\nx-amz-checksum-crc32:x\r\n\r\n".utf8)
            let transcript = try ChunkedTranscript.run(body, mode: .unsignedWithTrailer)
            #expect(transcript.payload == data)
        }
    }

    @Test("chunk extensions in an unsigned body are ignored")
    func unsignedChunkExtensions() throws {
        let body = Array("3;name=value\r\nabc\r\n0;x\r\nx-amz-checksum-crc32:x\r\n\r\n".utf8)
        #expect(try ChunkedTranscript.run(body, mode: .unsignedWithTrailer).payload == Array("abc".utf8))
    }

    @Test("trailer names are lowercased and values trimmed")
    func trailerNormalisation() throws {
        let body = Array("0\r\nX-Amz-Checksum-CRC32:  NhCmhg== \t\r\n\r\n".utf8)
        let transcript = try ChunkedTranscript.run(body, mode: .unsignedWithTrailer)
        #expect(transcript.trailers.first?.name == "x-amz-checksum-crc32")
        #expect(transcript.trailers.first?.value == "NhCmhg==")
    }

    @Test("a large chunk passes through as slices of the input, never buffered")
    func largeChunkIsStreamed() throws {
        let size = 1 << 20
        var body = Array("\(String(size, radix: 16))\r\n".utf8)
        let header = body.count
        body += [UInt8](repeating: 0x5A, count: size)
        body += Array("\r\n0\r\nx-amz-checksum-crc32:x\r\n\r\n".utf8)
        var decoder = AWSChunkedDecoder(mode: .unsignedWithTrailer)
        #expect(try decoder.feed(ByteBuffer(bytes: body[0..<header])).isEmpty)
        var offset = header
        while offset < header + size {
            let piece = ByteBuffer(bytes: body[offset..<(offset + 4096)])
            let out = try decoder.feed(piece)
            #expect(out.map(\.readableBytes) == [4096])
            offset += 4096
        }
        _ = try decoder.feed(ByteBuffer(bytes: body[offset...]))
        try decoder.finish()
        #expect(decoder.decodedByteCount == UInt64(size))
    }

    @Test("decodedByteCount counts payload bytes across chunks")
    func decodedByteCount() throws {
        var decoder = AWSChunkedDecoder(mode: Self.signed)
        _ = try decoder.feed(ByteBuffer(bytes: AWSStreamingExample.signedBody))
        try decoder.finish()
        #expect(decoder.decodedByteCount == 66560)
        #expect(decoder.isComplete)
    }

    @Test("isComplete is false until the end and finish() may be called again after success")
    func completion() throws {
        var decoder = AWSChunkedDecoder(mode: .unsignedWithTrailer)
        _ = try decoder.feed(ByteBuffer(bytes: Self.botocoreBody.dropLast(2)))
        #expect(!decoder.isComplete)
        _ = try decoder.feed(ByteBuffer(bytes: Self.botocoreBody.suffix(2)))
        #expect(decoder.isComplete)
        try decoder.finish()
        try decoder.finish()
    }
}
