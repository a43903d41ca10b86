import NIOCore
internal import StowageCore

/// The COMPOSITE checksum of a multipart object: the algorithm applied to the concatenated raw
/// part digests, in base64, suffixed `-<number of parts>` (e.g. `…==-3`).
///
/// Returns nil when there are no parts, when a part digest is not base64 of the algorithm's
/// digest length, or for CRC64NVME, which S3 offers only as a FULL_OBJECT checksum.
package func compositeChecksum(_ algorithm: ChecksumAlgorithm, partDigestsBase64: [String]) -> String? {
    guard algorithm != .crc64nvme, !partDigestsBase64.isEmpty else { return nil }
    var concatenated = ByteBuffer()
    for digest in partDigestsBase64 {
        guard let bytes = Base64.decode(digest), bytes.count == algorithm.digestByteCount else { return nil }
        concatenated.writeBytes(bytes)
    }
    var hasher = ChecksumHasher(algorithm)
    hasher.update(concatenated)
    return hasher.finalizeBase64() + "-\(partDigestsBase64.count)"
}
