internal import Crypto
package import NIOCore

/// Decodes a `Content-Encoding: aws-chunked` request body incrementally, verifying chunk and
/// trailer signatures as it goes; a state machine with no IO.
///
/// Framing, per mode:
/// - signed: `hex-size;chunk-signature=<64 hex>\r\n<data>\r\n` … `0;chunk-signature=<sig>\r\n\r\n`.
/// - signed with trailer: the same chunks, then after the final chunk `name:value\r\n` lines,
///   `x-amz-trailer-signature:<64 hex>\r\n` and `\r\n`.
/// - unsigned with trailer: `hex-size\r\n<data>\r\n` … `0\r\n`, `name:value\r\n` lines, `\r\n`.
///
/// Memory is bounded whatever the chunk size: data is passed through as slices of the input
/// and hashed on the way, and only a chunk-size line (≤ `maxChunkHeaderLineBytes`) or the
/// trailer section (≤ `maxTrailerSectionBytes`) is ever buffered.
///
/// **Data is emitted before its chunk is verified**: a chunk's signature can only be checked
/// once its last byte has passed. A caller must therefore not commit anything it received
/// until `finish()` returns without throwing. Once any call throws, the decoder stays failed
/// and every later call throws the same error.
package struct AWSChunkedDecoder: Sendable {
    package enum Mode: Sendable {
        /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
        case signed(ChunkSigningContext)
        /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
        case signedWithTrailer(ChunkSigningContext)
        /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
        case unsignedWithTrailer
    }

    /// The longest chunk-size line accepted, CRLF included.
    package static let maxChunkHeaderLineBytes = 4096
    /// The largest trailer section accepted (every line with its CRLF, the final empty line too).
    package static let maxTrailerSectionBytes = 16 * 1024
    /// At most 16 hex digits of chunk size (the size is a `UInt64`).
    package static let maxChunkSizeHexDigits = 16

    private enum State: Sendable {
        /// Reading a chunk-size line (possibly across inputs, in `line`).
        case chunkHeader
        /// Passing a chunk's data through; `remaining` bytes of it still to come.
        case chunkData(remaining: UInt64)
        /// Expecting the CRLF after a chunk's data; `matched` of its two bytes seen.
        case chunkDataEnd(matched: Int)
        /// After the final (zero-size) chunk: trailer lines until an empty line.
        case trailerSection
        case complete
        case failed(S3Error)
    }

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let chunkSignaturePrefix = Array("chunk-signature=".utf8)

    private let signing: ChunkSigningContext?
    private let acceptsTrailers: Bool
    private var state: State = .chunkHeader
    /// A line not yet ended by LF in the input so far.
    private var line: [UInt8] = []
    /// The last verified signature: the seed, then each chunk's, then the trailer's.
    private var previousSignature: String
    /// The signature the current chunk's header claims.
    private var claimedSignature: String?
    private var chunkDigest = IncrementalDigest<SHA256>()
    private var trailerDigest = IncrementalDigest<SHA256>()
    private var trailerSectionBytes = 0
    private var trailerSignatureVerified = false
    private var receivedTrailers: [(name: String, value: String)] = []

    /// Payload bytes emitted so far (compare with `x-amz-decoded-content-length`).
    package private(set) var decodedByteCount: UInt64 = 0

    package init(mode: Mode) {
        switch mode {
        case .signed(let context):
            signing = context
            acceptsTrailers = false
        case .signedWithTrailer(let context):
            signing = context
            acceptsTrailers = true
        case .unsignedWithTrailer:
            signing = nil
            acceptsTrailers = true
        }
        previousSignature = signing?.seedSignature ?? ""
    }

    /// Trailing headers (lowercased names, trimmed values) in the order received, without
    /// `x-amz-trailer-signature`. Trustworthy only after `finish()` succeeded.
    package var trailers: [(name: String, value: String)] { receivedTrailers }

    /// True once the final chunk and the trailer section (if any) were read and verified.
    package var isComplete: Bool {
        if case .complete = state { return true }
        return false
    }

    /// Feeds the next piece of the raw body; returns the payload bytes decoded from it (slices
    /// of `input`, possibly none).
    ///
    /// Throws `S3Error`: `InvalidRequest` for malformed framing or limits exceeded,
    /// `SignatureDoesNotMatch` for a chunk or trailer signature that does not verify.
    package mutating func feed(_ input: ByteBuffer) throws -> [ByteBuffer] {
        var input = input
        var output: [ByteBuffer] = []
        do {
            while input.readableBytes > 0 || isFailed {
                try step(&input, into: &output)
            }
        } catch {
            state = .failed(error)
            throw error
        }
        return output
    }

    /// Call when the body ended. Throws `IncompleteBody` unless the final chunk (and the
    /// trailer section, if any) was read.
    ///
    /// A body that stops right before the final empty line is accepted when nothing of meaning
    /// is missing: in signed mode after the final chunk, with a trailer once the trailer
    /// signature (signed) or at least one trailer (unsigned) was read.
    package mutating func finish() throws {
        switch state {
        case .complete:
            return
        case .failed(let error):
            throw error
        case .trailerSection where (line.isEmpty || line == [Self.cr]) && canEndWithoutEmptyLine:
            state = .complete
        case .chunkHeader, .chunkData, .chunkDataEnd, .trailerSection:
            let error = S3Error(.incompleteBody, "The aws-chunked body ended before its final chunk and trailer.")
            state = .failed(error)
            throw error
        }
    }

    // MARK: - Steps

    private var isFailed: Bool {
        if case .failed = state { return true }
        return false
    }

    private var canEndWithoutEmptyLine: Bool {
        switch (signing, acceptsTrailers) {
        case (.some, false): true
        case (.some, true): trailerSignatureVerified
        case (.none, _): !receivedTrailers.isEmpty
        }
    }

    /// Consumes some of `input` (at least one byte, or throws).
    private mutating func step(_ input: inout ByteBuffer, into output: inout [ByteBuffer]) throws(S3Error) {
        switch state {
        case .chunkHeader:
            guard
                let header = try takeLine(
                    from: &input, limit: Self.maxChunkHeaderLineBytes,
                    tooLong: "a chunk-size line is longer than \(Self.maxChunkHeaderLineBytes) bytes")
            else { return }
            try beginChunk(header)
        case .chunkData(let remaining):
            let count = Int(min(remaining, UInt64(input.readableBytes)))
            let data = input.readSlice(length: count)!
            if signing != nil { chunkDigest.update(data) }
            output.append(data)
            decodedByteCount += UInt64(count)
            if UInt64(count) == remaining {
                try verifyChunk()
                state = .chunkDataEnd(matched: 0)
            } else {
                state = .chunkData(remaining: remaining - UInt64(count))
            }
        case .chunkDataEnd(let matched):
            let byte = input.readInteger(as: UInt8.self)!
            guard byte == (matched == 0 ? Self.cr : Self.lf) else {
                throw Self.malformed("chunk data is not followed by CRLF (wrong chunk size?)")
            }
            state = matched == 0 ? .chunkDataEnd(matched: 1) : .chunkHeader
        case .trailerSection:
            guard
                let trailer = try takeLine(
                    from: &input, limit: Self.maxTrailerSectionBytes - trailerSectionBytes,
                    tooLong: "the trailer section is larger than \(Self.maxTrailerSectionBytes) bytes")
            else { return }
            trailerSectionBytes += trailer.count + 2
            try acceptTrailerLine(trailer)
        case .complete:
            throw Self.malformed("data follows the final chunk")
        case .failed(let error):
            throw error
        }
    }

    /// A whole line without its CRLF, or nil when the input ran out first (the part read so
    /// far is kept in `line`). `limit` counts the CRLF.
    private mutating func takeLine(from input: inout ByteBuffer, limit: Int, tooLong: String) throws(S3Error)
        -> [UInt8]?
    {
        let view = input.readableBytesView
        guard let lf = view.firstIndex(of: Self.lf) else {
            guard line.count + view.count < limit else { throw Self.malformed(tooLong) }
            line += view
            input.moveReaderIndex(forwardBy: view.count)
            return nil
        }
        let length = lf - view.startIndex
        guard line.count + length + 1 <= limit else { throw Self.malformed(tooLong) }
        line += view[view.startIndex..<lf]
        input.moveReaderIndex(forwardBy: length + 1)
        guard line.last == Self.cr else { throw Self.malformed("a line is not ended by CRLF") }
        line.removeLast()
        let complete = line
        line = []
        return complete
    }

    /// Parses `hex-size[;chunk-signature=<sig>]` and enters the chunk.
    private mutating func beginChunk(_ header: [UInt8]) throws(S3Error) {
        let semicolon = header.firstIndex(of: UInt8(ascii: ";"))
        let digits = header[..<(semicolon ?? header.endIndex)]
        guard !digits.isEmpty, digits.count <= Self.maxChunkSizeHexDigits else {
            throw Self.malformed("the chunk size must be 1 to \(Self.maxChunkSizeHexDigits) hex digits")
        }
        var size: UInt64 = 0
        for digit in digits {
            guard let value = PercentEncoding.hexValue(digit) else { throw Self.malformed("the chunk size is not hex") }
            size = size << 4 | UInt64(value)
        }
        if signing != nil {
            guard let semicolon else { throw Self.malformed("a chunk has no chunk-signature") }
            let signature = header[(semicolon + 1)...]
            guard signature.starts(with: Self.chunkSignaturePrefix),
                signature.count == Self.chunkSignaturePrefix.count + 64
            else { throw Self.malformed("a chunk has no chunk-signature") }
            let hex = String(decoding: signature.dropFirst(Self.chunkSignaturePrefix.count), as: UTF8.self)
            guard SigV4Crypto.isHex(hex, count: 64) else { throw Self.malformed("a chunk-signature is not hex") }
            claimedSignature = hex
            chunkDigest = IncrementalDigest()
        }
        // Unsigned chunks may carry chunk extensions (RFC 9112); none has a meaning here.
        if size == 0 {
            try verifyChunk()
            state = .trailerSection
        } else {
            state = .chunkData(remaining: size)
        }
    }

    /// Checks the signature of the chunk whose data has just ended (signed modes only).
    private mutating func verifyChunk() throws(S3Error) {
        guard let signing, let claimed = claimedSignature else { return }
        let expected = signing.chunkSignature(
            previousSignature: previousSignature, chunkSHA256Hex: SigV4Crypto.hex(chunkDigest.finalize()))
        guard SigV4Crypto.constantTimeEquals(expected, claimed) else {
            throw S3Error(.signatureDoesNotMatch, "The chunk signature we calculated does not match the one provided.")
        }
        previousSignature = expected
        claimedSignature = nil
    }

    /// One line of the trailer section; the empty line ends it.
    private mutating func acceptTrailerLine(_ trailer: [UInt8]) throws(S3Error) {
        if trailer.isEmpty {
            if signing != nil && acceptsTrailers && !trailerSignatureVerified {
                throw S3Error(.signatureDoesNotMatch, "The trailer has no x-amz-trailer-signature.")
            }
            state = .complete
            return
        }
        guard acceptsTrailers else { throw Self.malformed("trailing headers need a -TRAILER x-amz-content-sha256") }
        guard !trailerSignatureVerified else { throw Self.malformed("a trailer follows x-amz-trailer-signature") }
        guard let colon = trailer.firstIndex(of: UInt8(ascii: ":")) else {
            throw Self.malformed("a trailer line has no ':'")
        }
        let name = String(decoding: trailer[..<colon], as: UTF8.self).lowercased()
        let value = String(SigV4Whitespace.trim(String(decoding: trailer[(colon + 1)...], as: UTF8.self)))
        guard !name.isEmpty, !name.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F }) else {
            throw Self.malformed("a trailer name is not a token")
        }
        guard name == "x-amz-trailer-signature" else {
            trailerDigest.update(Array("\(name):\(value)\n".utf8))
            receivedTrailers.append((name, value))
            return
        }
        guard let signing else { throw Self.malformed("x-amz-trailer-signature in an unsigned body") }
        guard SigV4Crypto.isHex(value, count: 64) else { throw Self.malformed("x-amz-trailer-signature is not hex") }
        let expected = signing.trailerSignature(
            previousSignature: previousSignature, trailerSHA256Hex: SigV4Crypto.hex(trailerDigest.finalize()))
        guard SigV4Crypto.constantTimeEquals(expected, value) else {
            throw S3Error(
                .signatureDoesNotMatch, "The trailer signature we calculated does not match the one provided.")
        }
        previousSignature = expected
        trailerSignatureVerified = true
    }

    private static func malformed(_ reason: String) -> S3Error {
        S3Error(.invalidRequest, "Malformed aws-chunked body: \(reason).")
    }
}
