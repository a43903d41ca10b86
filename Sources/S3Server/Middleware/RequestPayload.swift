internal import Crypto
public import Hummingbird
internal import S3Protocol
internal import StowageCore
internal import StowageCore
internal import Synchronization

/// The checksums a payload stream computed, shared with the code that commits the write.
final class ComputedChecksums: Sendable {
    private let values = Mutex<[String: String]>([:])

    var all: [String: String] { values.withLock { $0 } }

    func set(_ algorithm: ChecksumAlgorithm, _ base64: String) { values.withLock { $0[algorithm.rawValue] = base64 } }
}

/// How one request's body must be decoded and verified; built from its headers and its auth.
struct PayloadSpec: Sendable {
    var payload: PayloadMode
    var chunkSigning: ChunkSigningContext?
    /// `Content-Encoding: aws-chunked` framing (streaming payload modes).
    var isAWSChunked: Bool
    /// The checksum to compute, and the value the client declared in a header (nil when it
    /// comes in a trailer, or was not given).
    var checksum: ChecksumAlgorithm?
    var declaredChecksum: String?
    /// The decoded length of the payload (Content-Length, or x-amz-decoded-content-length).
    var decodedLength: Int64?
}

/// The request body as the object layer should see it: aws-chunked framing removed, chunk
/// signatures, `x-amz-content-sha256` and `x-amz-checksum-*` verified.
///
/// Verification failures are thrown from the final `next()`, before the sequence ends, so a
/// write whose body fails any check is never committed.
struct RequestPayload: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let body: RequestBody
    let spec: PayloadSpec
    let computed: ComputedChecksums

    func makeAsyncIterator() -> Iterator {
        var decoder: AWSChunkedDecoder?
        if spec.isAWSChunked {
            switch spec.payload {
            case .streamingSigned: decoder = AWSChunkedDecoder(mode: .signed(spec.chunkSigning!))
            case .streamingSignedTrailer: decoder = AWSChunkedDecoder(mode: .signedWithTrailer(spec.chunkSigning!))
            default: decoder = AWSChunkedDecoder(mode: .unsignedWithTrailer)
            }
        }
        var sha: SHA256?
        if case .sha256 = spec.payload { sha = SHA256() }
        return Iterator(
            base: body.makeAsyncIterator(), spec: spec, computed: computed, decoder: decoder, sha256: sha,
            checksum: spec.checksum.map { ChecksumHasher($0) })
    }

    struct Iterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let spec: PayloadSpec
        let computed: ComputedChecksums
        var decoder: AWSChunkedDecoder?
        var sha256: SHA256?
        var checksum: ChecksumHasher?
        var pending: [ByteBuffer] = []
        var finished = false

        mutating func next() async throws -> ByteBuffer? {
            while true {
                if !pending.isEmpty { return emit(pending.removeFirst()) }
                if finished { return nil }
                guard let raw = try await base.next() else {
                    try finish()
                    finished = true
                    return nil
                }
                if decoder != nil {
                    pending = try decoder!.feed(raw).filter { $0.readableBytes > 0 }
                } else if raw.readableBytes > 0 {
                    return emit(raw)
                }
            }
        }

        private mutating func emit(_ buffer: ByteBuffer) -> ByteBuffer {
            buffer.withUnsafeReadableBytes { sha256?.update(bufferPointer: $0) }
            checksum?.update(buffer)
            return buffer
        }

        private mutating func finish() throws {
            var trailers: [(name: String, value: String)] = []
            if decoder != nil {
                try decoder!.finish()
                trailers = decoder!.trailers
            }
            if case .sha256(let declared) = spec.payload, let sha256 {
                let actual = Hex.string(sha256.finalize())
                guard actual == declared.lowercased() else { throw S3Error(.xAmzContentSHA256Mismatch) }
            }
            if let algorithm = spec.checksum, let checksum {
                let actual = checksum.finalizeBase64()
                let declared = spec.declaredChecksum
                    ?? trailers.first(where: { $0.name == algorithm.headerName })?.value
                if let declared, declared != actual {
                    throw S3Error(.badDigest, "The \(algorithm.rawValue) you specified did not match the calculated checksum.")
                }
                computed.set(algorithm, actual)
            }
        }
    }
}
