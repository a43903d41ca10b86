internal import Crypto
internal import ErasureCode
package import NIOCore
internal import StowageCore

/// An incremental checksum of one `ChecksumAlgorithm`, in the byte form S3 transmits.
///
/// CRCs are encoded big-endian before base64, as AWS does (`x-amz-checksum-crc32` of
/// "hello world" is `DUoRhQ==`). `finalize()` does not consume the state: more can be fed after.
package struct ChecksumHasher: Sendable {
    private enum State: Sendable {
        case crc32(CRC32)
        case crc32c(CRC32C)
        case crc64nvme(CRC64NVME)
        case sha1(IncrementalDigest<Insecure.SHA1>)
        case sha256(IncrementalDigest<SHA256>)
    }

    package let algorithm: ChecksumAlgorithm
    private var state: State

    package init(_ algorithm: ChecksumAlgorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .crc32: state = .crc32(CRC32())
        case .crc32c: state = .crc32c(CRC32C())
        case .crc64nvme: state = .crc64nvme(CRC64NVME())
        case .sha1: state = .sha1(IncrementalDigest())
        case .sha256: state = .sha256(IncrementalDigest())
        }
    }

    package mutating func update(_ buffer: ByteBuffer) {
        switch state {
        case .crc32(var crc):
            crc.update(buffer)
            state = .crc32(crc)
        case .crc32c(var crc):
            crc.update(buffer)
            state = .crc32c(crc)
        case .crc64nvme(var crc):
            crc.update(buffer)
            state = .crc64nvme(crc)
        case .sha1(var digest):
            digest.update(buffer)
            state = .sha1(digest)
        case .sha256(var digest):
            digest.update(buffer)
            state = .sha256(digest)
        }
    }

    /// The raw digest of everything fed so far (big-endian for CRCs).
    package func finalize() -> [UInt8] {
        switch state {
        case .crc32(let crc): Self.bigEndianBytes(UInt64(crc.value), count: 4)
        case .crc32c(let crc): Self.bigEndianBytes(UInt64(crc.value), count: 4)
        case .crc64nvme(let crc): Self.bigEndianBytes(crc.value, count: 8)
        case .sha1(let digest): digest.finalize()
        case .sha256(let digest): digest.finalize()
        }
    }

    /// `finalize()` in base64, the form of `x-amz-checksum-*` headers.
    package func finalizeBase64() -> String {
        Base64.encode(finalize())
    }

    private static func bigEndianBytes(_ value: UInt64, count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(count - 1 - $0))) }
    }
}
