import S3Protocol
import Testing

/// Composite (multipart) checksums for parts "a"×100, "b"×50 and "hello world", computed with
/// Python as base64(hash(concatenated raw part digests)) + "-3".
@Suite("Composite multipart checksums")
struct CompositeChecksumTests {
    @Test(
        "the composite is the checksum of the concatenated part digests, suffixed with the part count",
        arguments: [
            (ChecksumAlgorithm.crc32, ["r3B6ZA==", "ztq+tQ==", "DUoRhQ=="], "tmUCFw==-3"),
            (.crc32c, ["XqOtmQ==", "+8dWsg==", "yZRlqg=="], "6PNPew==-3"),
            (
                .sha1,
                ["f5AAJXpJGNcHJlXqRoVAzcvULgw=", "yEbklXp67nkPX+KJBPDdm6iO2Sg=", "Kq5sNclPz7QV2+lfQIuc6R7oRu0="],
                "i/yDIM9LAZ/PuioNn4t74jDmlKw=-3"
            ),
            (
                .sha256,
                [
                    "KBZZeIjkoNOja4K4MxarMmgOuPAPjNO5BNaBJG0oWg4=", "wBqbqg9rWaWlI+ub2ADfzVaBX5Jmql+SPpvBUg9nEvI=",
                    "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=",
                ],
                "Iz8TytsdZDgq5m2JTl7p8Rpijn8+qKTOb7T04vMVBOU=-3"
            ),
        ])
    func composite(algorithm: ChecksumAlgorithm, parts: [String], expected: String) {
        #expect(compositeChecksum(algorithm, partDigestsBase64: parts) == expected)
    }

    @Test("a single part still gets the -1 suffix")
    func singlePart() {
        let result = compositeChecksum(.crc32, partDigestsBase64: ["DUoRhQ=="])
        #expect(result?.hasSuffix("-1") == true)
    }

    @Test("no parts, a malformed digest, a digest of the wrong length, or CRC64NVME give nil")
    func invalid() {
        #expect(compositeChecksum(.crc32, partDigestsBase64: []) == nil)
        #expect(compositeChecksum(.crc32, partDigestsBase64: ["DUoRhQ=", "DUoRhQ=="]) == nil)
        #expect(compositeChecksum(.crc32, partDigestsBase64: ["AAAAAAAAAAA="]) == nil)
        #expect(compositeChecksum(.sha256, partDigestsBase64: ["DUoRhQ=="]) == nil)
        #expect(compositeChecksum(.crc64nvme, partDigestsBase64: ["jSnVw/bqjr4="]) == nil)
    }
}
