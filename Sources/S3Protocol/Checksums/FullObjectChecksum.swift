internal import StowageCore

/// The FULL_OBJECT checksum of a multipart object: the CRC of the whole object, computed from
/// the parts' CRCs and sizes without reading the bytes again (CRC combination, as zlib's
/// `crc32_combine`: CRC(A‖B) = CRC(A)·x^(8·|B|) mod P ⊕ CRC(B), for CRCs whose initial value
/// and final xor are all ones, which CRC-32, CRC-32C and CRC-64/NVME are). Base64 of the
/// big-endian CRC, as S3 writes it, without a `-N` suffix.
///
/// Returns nil for SHA-1 and SHA-256 (S3 offers them only as COMPOSITE checksums), without
/// parts, or when a part's digest is not base64 of the algorithm's length.
package func fullObjectChecksum(_ algorithm: ChecksumAlgorithm, parts: [(digestBase64: String, size: Int64)]) -> String? {
    guard let field = CRCField(algorithm), !parts.isEmpty else { return nil }
    var combined: UInt64?
    for part in parts {
        guard let bytes = Base64.decode(part.digestBase64), bytes.count == field.width / 8, part.size >= 0 else {
            return nil
        }
        let crc = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        combined = combined.map { field.combine($0, crc, length: UInt64(part.size)) } ?? crc
    }
    let value = combined!
    let bytes = (0..<(field.width / 8)).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    return Base64.encode(bytes)
}

/// Arithmetic modulo a CRC's polynomial, in the reflected bit order the CRCs use (the highest
/// bit of a `width`-bit value is x⁰).
struct CRCField {
    let width: Int
    /// The reflected polynomial.
    let polynomial: UInt64
    /// x^(2^k) mod P for k = 0, 1, …: enough for any byte count below 2^61.
    private let powers: [UInt64]

    init?(_ algorithm: ChecksumAlgorithm) {
        switch algorithm {
        case .crc32: self.init(width: 32, polynomial: 0xEDB8_8320)
        case .crc32c: self.init(width: 32, polynomial: 0x82F6_3B78)
        case .crc64nvme: self.init(width: 64, polynomial: 0x9A6C_9329_AC4B_C9B5)
        case .sha1, .sha256: return nil
        }
    }

    init(width: Int, polynomial: UInt64) {
        self.width = width
        self.polynomial = polynomial
        var powers: [UInt64] = []
        var power = UInt64(1) << UInt64(width - 2)  // x¹
        for _ in 0..<67 {
            powers.append(power)
            power = Self.multiply(power, power, width: width, polynomial: polynomial)
        }
        self.powers = powers
    }

    /// a·b mod P.
    static func multiply(_ a: UInt64, _ b: UInt64, width: Int, polynomial: UInt64) -> UInt64 {
        var mask = UInt64(1) << UInt64(width - 1)
        var b = b
        var product: UInt64 = 0
        while mask != 0 {
            if a & mask != 0 { product ^= b }
            mask >>= 1
            b = b & 1 != 0 ? (b >> 1) ^ polynomial : b >> 1
        }
        return product
    }

    /// x^(8·bytes) mod P.
    func shift(bytes: UInt64) -> UInt64 {
        var result = UInt64(1) << UInt64(width - 1)  // x⁰
        var n = bytes
        var k = 3  // x^(8n) = x^(n·2³)
        while n != 0 {
            if n & 1 != 0 { result = Self.multiply(powers[k], result, width: width, polynomial: polynomial) }
            n >>= 1
            k += 1
        }
        return result
    }

    /// The CRC of A‖B from CRC(A), CRC(B) and |B| in bytes.
    func combine(_ first: UInt64, _ second: UInt64, length: UInt64) -> UInt64 {
        Self.multiply(shift(bytes: length), first, width: width, polynomial: polynomial) ^ second
    }
}
