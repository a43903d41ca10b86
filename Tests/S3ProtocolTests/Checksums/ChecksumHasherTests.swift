import NIOCore
import S3Protocol
import Testing

/// Known vectors, computed independently with Python (zlib for CRC32, bitwise reference
/// implementations for CRC32C and CRC-64/NVME, hashlib for SHA), base64 of big-endian digests.
@Suite("S3 additional checksums")
struct ChecksumHasherTests {
    static let inputs: [(String, [UInt8])] = [
        ("empty", []),
        ("hello world", Array("hello world".utf8)),
        ("123456789", Array("123456789".utf8)),
        ("0…255 × 40", Array((0..<40).flatMap { _ in (0...255).map { UInt8($0) } })),
    ]

    static let expected: [ChecksumAlgorithm: [String]] = [
        .crc32: ["AAAAAA==", "DUoRhQ==", "y/Q5Jg==", "u847nQ=="],
        .crc32c: ["AAAAAA==", "yZRlqg==", "4waSgw==", "vYRs1w=="],
        .crc64nvme: ["AAAAAAAAAAA=", "jSnVw/bqjr4=", "rosUhgp5mIg=", "4XY+hejrRZk="],
        .sha1: [
            "2jmj7l5rSw0yVb/vlWAYkK/YBwk=", "Kq5sNclPz7QV2+lfQIuc6R7oRu0=", "98O8HYCOBHMq32eZZczDTKeuNEE=",
            "NoEumfLVkcURSnsJUZ6p19q6I4A=",
        ],
        .sha256: [
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=",
            "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=", "6WdgqHdocXvOvP0l3cfUa028laSwAU3vCAwIU599kNA=",
        ],
    ]

    @Test("each algorithm matches the reference vectors", arguments: ChecksumAlgorithm.allCases)
    func vectors(algorithm: ChecksumAlgorithm) throws {
        for (index, (name, bytes)) in Self.inputs.enumerated() {
            var hasher = ChecksumHasher(algorithm)
            hasher.update(ByteBuffer(bytes: bytes))
            #expect(hasher.finalizeBase64() == Self.expected[algorithm]![index], "\(algorithm) of \(name)")
            #expect(hasher.finalize().count == algorithm.digestByteCount)
        }
    }

    @Test("the standard check values of \"123456789\" come out big-endian")
    func checkValues() {
        var crc32c = ChecksumHasher(.crc32c)
        crc32c.update(ByteBuffer(string: "123456789"))
        #expect(crc32c.finalize() == [0xE3, 0x06, 0x92, 0x83])
        var crc64 = ChecksumHasher(.crc64nvme)
        crc64.update(ByteBuffer(string: "123456789"))
        #expect(crc64.finalize() == [0xAE, 0x8B, 0x14, 0x86, 0x0A, 0x79, 0x98, 0x88])
        var crc32 = ChecksumHasher(.crc32)
        crc32.update(ByteBuffer(string: "123456789"))
        #expect(crc32.finalize() == [0xCB, 0xF4, 0x39, 0x26])
    }

    @Test("feeding in pieces gives the same checksum as feeding at once", arguments: ChecksumAlgorithm.allCases)
    func incremental(algorithm: ChecksumAlgorithm) {
        let bytes = Self.inputs[3].1
        for pieceSize in [1, 7, 64, 1000] {
            var hasher = ChecksumHasher(algorithm)
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + pieceSize, bytes.count)
                hasher.update(ByteBuffer(bytes: bytes[offset..<end]))
                offset = end
            }
            #expect(hasher.finalizeBase64() == Self.expected[algorithm]![3])
        }
    }

    @Test(
        "finalize leaves the state intact, so more input continues the checksum", arguments: ChecksumAlgorithm.allCases)
    func finalizeIsNonDestructive(algorithm: ChecksumAlgorithm) {
        var hasher = ChecksumHasher(algorithm)
        hasher.update(ByteBuffer(string: "hello "))
        _ = hasher.finalize()
        hasher.update(ByteBuffer(string: "world"))
        #expect(hasher.finalizeBase64() == Self.expected[algorithm]![1])
    }

    @Test("a copy of a hasher continues independently of the original", arguments: ChecksumAlgorithm.allCases)
    func copiesAreIndependent(algorithm: ChecksumAlgorithm) {
        var original = ChecksumHasher(algorithm)
        original.update(ByteBuffer(string: "hello"))
        var copy = original
        copy.update(ByteBuffer(string: " world"))
        original.update(ByteBuffer(string: " world"))
        #expect(copy.finalizeBase64() == Self.expected[algorithm]![1])
        #expect(original.finalizeBase64() == Self.expected[algorithm]![1])
    }

    @Test("only the readable bytes of a ByteBuffer are hashed")
    func readableBytesOnly() {
        var buffer = ByteBuffer(string: "XXhello world")
        buffer.moveReaderIndex(forwardBy: 2)
        var hasher = ChecksumHasher(.sha256)
        hasher.update(buffer)
        #expect(hasher.finalizeBase64() == Self.expected[.sha256]![1])
    }
}
