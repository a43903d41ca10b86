import ErasureCode
import Testing

@Suite("CRC check values")
struct CRCTests {
    let check = Array("123456789".utf8)

    @Test("CRC-32 of 123456789 is CBF43926")
    func crc32CheckValue() { #expect(CRC32.checksum(check) == 0xCBF4_3926) }

    @Test("CRC-32C of 123456789 is E3069283")
    func crc32cCheckValue() { #expect(CRC32C.checksum(check) == 0xE306_9283) }

    @Test("CRC-64/NVME of 123456789 is AE8B14860A799888")
    func crc64nvmeCheckValue() { #expect(CRC64NVME.checksum(check) == 0xAE8B_1486_0A79_9888) }

    @Test("Feeding in pieces gives the same CRC as feeding at once", arguments: [1, 3, 7, 8, 13, 1000])
    func incrementalMatchesOneShot(piece: Int) {
        let bytes = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var a = CRC32(), b = CRC32C(), c = CRC64NVME()
        var i = 0
        while i < bytes.count {
            let slice = Array(bytes[i..<min(i + piece, bytes.count)])
            slice.withUnsafeBytes { a.update($0); b.update($0); c.update($0) }
            i += piece
        }
        #expect(a.value == CRC32.checksum(bytes))
        #expect(b.value == CRC32C.checksum(bytes))
        #expect(c.value == CRC64NVME.checksum(bytes))
    }
}
