import S3Protocol
import Testing

@Suite("Checksum algorithm names")
struct ChecksumAlgorithmTests {
    @Test(
        "each algorithm has its x-amz-checksum header and AWS name",
        arguments: [
            (ChecksumAlgorithm.crc32, "x-amz-checksum-crc32", "CRC32"),
            (.crc32c, "x-amz-checksum-crc32c", "CRC32C"),
            (.crc64nvme, "x-amz-checksum-crc64nvme", "CRC64NVME"),
            (.sha1, "x-amz-checksum-sha1", "SHA1"),
            (.sha256, "x-amz-checksum-sha256", "SHA256"),
        ])
    func names(algorithm: ChecksumAlgorithm, header: String, name: String) {
        #expect(algorithm.headerName == header)
        #expect(algorithm.rawValue == name)
        #expect(ChecksumAlgorithm(headerName: header) == algorithm)
        #expect(ChecksumAlgorithm(headerName: header.uppercased()) == algorithm)
        #expect(ChecksumAlgorithm(algorithmName: name.lowercased()) == algorithm)
    }

    @Test(
        "other headers are not checksum headers",
        arguments: [
            "x-amz-checksum-md5", "x-amz-checksum-", "x-amz-checksum-type", "content-md5", "x-amz-checksum-crc32 ",
        ])
    func unknownHeaders(header: String) {
        #expect(ChecksumAlgorithm(headerName: header) == nil)
    }
}
