internal import CISAL
public import NIOCore

/// Incremental CRC-32 (IEEE 802.3, the zlib/gzip polynomial), computed by ISA-L.
///
/// `value` is the finished CRC of everything fed so far; feeding more continues it.
package struct CRC32: Sendable, Hashable {
    package private(set) var value: UInt32 = 0

    package init() {}

    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        // crc32_gzip_refl applies the initial and final inversion itself, so the
        // finished value can be passed back in to continue.
        value = crc32_gzip_refl(value, base.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
    }

    package mutating func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { update($0) }
    }

    package static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        var crc = CRC32()
        Array(bytes).withUnsafeBytes { crc.update($0) }
        return crc.value
    }
}

/// Incremental CRC-32C (Castagnoli), computed by ISA-L; also the block checksum of shard files.
package struct CRC32C: Sendable, Hashable {
    // ISA-L's crc32_iscsi neither inverts on entry nor on exit; we keep the raw register.
    private var register: UInt32 = 0xFFFF_FFFF

    package init() {}

    package var value: UInt32 { register ^ 0xFFFF_FFFF }

    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var offset = 0
        // crc32_iscsi takes an Int32 length.
        while offset < bytes.count {
            let n = min(bytes.count - offset, 1 << 30)
            register = crc32_iscsi(
                UnsafeMutablePointer(mutating: (base + offset).assumingMemoryBound(to: UInt8.self)),
                Int32(n),
                register
            )
            offset += n
        }
    }

    package mutating func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { update($0) }
    }

    package static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        var crc = CRC32C()
        Array(bytes).withUnsafeBytes { crc.update($0) }
        return crc.value
    }
}

/// Incremental CRC-64/NVME (the `x-amz-checksum-crc64nvme` algorithm).
///
/// ISA-L 2.30 (Debian 12) has no Rocksoft/NVMe CRC-64, so this is a slicing-by-8 table
/// implementation of the reflected polynomial 0x9A6C9329AC4BC9B5.
package struct CRC64NVME: Sendable, Hashable {
    private var register: UInt64 = ~0

    package init() {}

    package var value: UInt64 { ~register }

    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var crc = register
        let tables = CRC64NVMETables.shared
        var index = 0
        let count = bytes.count
        tables.withUnsafeBufferPointer { t in
            while count - index >= 8 {
                let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)) ^ crc
                crc = t[7 * 256 + Int(word & 0xFF)]
                    ^ t[6 * 256 + Int((word >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((word >> 16) & 0xFF)]
                    ^ t[4 * 256 + Int((word >> 24) & 0xFF)]
                    ^ t[3 * 256 + Int((word >> 32) & 0xFF)]
                    ^ t[2 * 256 + Int((word >> 40) & 0xFF)]
                    ^ t[1 * 256 + Int((word >> 48) & 0xFF)]
                    ^ t[0 * 256 + Int(word >> 56)]
                index += 8
            }
            while index < count {
                crc = t[Int((crc ^ UInt64(bytes[index])) & 0xFF)] ^ (crc >> 8)
                index += 1
            }
        }
        register = crc
    }

    package mutating func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { update($0) }
    }

    package static func checksum(_ bytes: some Collection<UInt8>) -> UInt64 {
        var crc = CRC64NVME()
        Array(bytes).withUnsafeBytes { crc.update($0) }
        return crc.value
    }
}

private enum CRC64NVMETables {
    static let polynomial: UInt64 = 0x9A6C_9329_AC4B_C9B5

    /// 8 tables of 256 entries, table k advancing a byte through k further zero bytes.
    static let shared: [UInt64] = {
        var t = [UInt64](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var crc = UInt64(i)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1 }
            t[i] = crc
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let previous = t[(k - 1) * 256 + i]
                t[k * 256 + i] = t[Int(previous & 0xFF)] ^ (previous >> 8)
            }
        }
        return t
    }()
}
