import NIOCore
import S3Protocol
import Testing

/// FULL_OBJECT checksums of multipart uploads: combined from the parts' CRCs, they must equal
/// the CRC of the whole object computed over its bytes.
@Suite("Full-object multipart checksums")
struct FullObjectChecksumTests {
    static func digest(_ algorithm: ChecksumAlgorithm, _ bytes: [UInt8]) -> String {
        var hasher = ChecksumHasher(algorithm)
        hasher.update(ByteBuffer(bytes: bytes))
        return hasher.finalizeBase64()
    }

    @Test("the combined CRC of the parts is the CRC of the whole object", arguments: [ChecksumAlgorithm.crc32, .crc32c, .crc64nvme])
    func combinedEqualsWhole(algorithm: ChecksumAlgorithm) {
        // Lengths up to 2^17 exercise the shift's squarings well enough; a cheap generator keeps this
        // test from holding one of the few threads the other tests share.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func byte() -> UInt8 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        for sizes in [[1], [0, 7], [100, 50, 11], [65_537, 0, 1, 3_000], [131_071, 3]] {
            let parts = sizes.map { size in (0..<size).map { _ in byte() } }
            let combined = fullObjectChecksum(
                algorithm, parts: parts.map { (digestBase64: Self.digest(algorithm, $0), size: Int64($0.count)) })
            #expect(combined == Self.digest(algorithm, parts.flatMap { $0 }), "\(algorithm) of parts \(sizes)")
        }
    }

    @Test("known value: CRC32 of \"a\"×100, \"b\"×50 and \"hello world\" as parts is the CRC32 of their concatenation")
    func knownValue() {
        let parts: [[UInt8]] = [Array(repeating: 0x61, count: 100), Array(repeating: 0x62, count: 50), Array("hello world".utf8)]
        let combined = fullObjectChecksum(.crc32, parts: [("r3B6ZA==", 100), ("ztq+tQ==", 50), ("DUoRhQ==", 11)])
        #expect(combined == Self.digest(.crc32, parts.flatMap { $0 }))
    }

    @Test("SHA checksums have no full-object form; malformed part digests give nil")
    func refusals() {
        #expect(fullObjectChecksum(.sha256, parts: [("KBZZeIjkoNOja4K4MxarMmgOuPAPjNO5BNaBJG0oWg4=", 100)]) == nil)
        #expect(fullObjectChecksum(.crc32, parts: []) == nil)
        #expect(fullObjectChecksum(.crc32, parts: [("not base64", 1)]) == nil)
        #expect(fullObjectChecksum(.crc64nvme, parts: [("r3B6ZA==", 100)]) == nil)
    }
}
