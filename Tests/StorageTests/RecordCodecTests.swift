import ErasureCode
import Foundation
@testable import Storage
import StowageCore
import Testing

@Suite("RecordCodec")
struct RecordCodecTests {
    let record = ObjectRecord(
        bucket: "photos", key: "2026/ü 😀/a b", size: 12_345_678, etag: "0123456789abcdef0123456789abcdef-3",
        lastModified: 1_795_655_743_123, systemMetadata: ["content-type": "image/jpeg", "cache-control": "no-cache"],
        userMetadata: ["camera": "x100", "empty": ""], checksums: ["CRC32": "AAAAAA==-3"], checksumType: "COMPOSITE",
        storageClass: "STANDARD", inlineData: nil,
        parts: [
            PartLayout(number: 1, size: 5 << 20, etag: "aa", shardID: ShardID.random(), checksums: ["CRC32": "AQIDBA=="]),
            PartLayout(number: 3, size: 7, etag: "bb", shardID: ShardID.random()),
        ])

    @Test("An object record round-trips through the binary format, inline data included")
    func objectRecordRoundTrips() throws {
        #expect(try RecordCodec.decode(ObjectRecord.self, from: RecordCodec.encode(record)) == record)
        var inline = record
        inline.parts = []
        inline.inlineData = Array(0...255) + [0, 0]
        inline.checksumType = nil
        #expect(try RecordCodec.decode(ObjectRecord.self, from: RecordCodec.encode(inline)) == inline)
        let bytes = try RecordCodec.encode(record)
        #expect(bytes[0] == RecordCodec.binaryObjectVersion)
    }

    @Test("The erasure layout round-trips, and version 2, 3 and 4 records (before erasure coding, versioning, upload ids) still decode")
    func erasureLayoutAndOlderVersions() throws {
        var coded = record
        coded.erasure = ErasureInfo(dataShards: 4, parityShards: 2, blockSize: 1 << 20, distribution: [2, 3, 4, 5, 0, 1])
        #expect(try RecordCodec.decode(ObjectRecord.self, from: RecordCodec.encode(coded)) == coded)
        // Version 5 appends the upload id (a 0 flag without one) to the version 4 body, which is
        // the version 3 body plus the stamp (8 bytes) and the delete-marker flag; version 3 is
        // the version 2 body plus the layout flag (0 without a layout).
        let current = try RecordCodec.encode(record)
        #expect(current.last == 0)
        let versionFour = Array(current[5..<(current.count - 1)])
        #expect(versionFour.last == 0)
        let versionThree = Array(versionFour.dropLast(9))
        #expect(versionThree.last == 0)
        let versionTwo = Array(versionThree.dropLast())
        var crc = CRC32CProbe()
        let four = [RecordCodec.binaryObjectVersionWithoutUploadID] + crc.littleEndianChecksum(versionFour) + versionFour
        #expect(try RecordCodec.decode(ObjectRecord.self, from: four) == record)
        for (version, body) in [
            (RecordCodec.binaryObjectVersionWithoutVersioning, versionThree),
            (RecordCodec.binaryObjectVersionWithoutErasure, versionTwo),
        ] {
            let framed = [version] + crc.littleEndianChecksum(body) + body
            let decoded = try RecordCodec.decode(ObjectRecord.self, from: framed)
            // Records from before versioning are the null version, stamped by their modification time.
            #expect(decoded == record)
            #expect(decoded.versionID == "null" && decoded.versionStamp == record.lastModified * 1_000_000)
            #expect(!decoded.isDeleteMarker)
            #expect(decoded.layout == .singleDrive())
        }
    }

    @Test("The multipart upload a version was completed from round-trips")
    func uploadIDRoundTrips() throws {
        var completed = record
        completed.uploadID = "0f3c9a7e5b2d4c1a8e6f0b9d7c5a3e1f"
        let decoded = try RecordCodec.decode(ObjectRecord.self, from: RecordCodec.encode(completed))
        #expect(decoded == completed && decoded.uploadID == completed.uploadID)
    }

    @Test("Version ids, stamps and delete markers round-trip")
    func versionFieldsRoundTrip() throws {
        var version = record
        version.versionID = "18eb839cd08c56b1b1254a447aca0fc7"
        version.versionStamp = 1_795_655_743_123_456_789
        #expect(try RecordCodec.decode(ObjectRecord.self, from: RecordCodec.encode(version)) == version)
        let marker = ObjectRecord.deleteMarker(bucket: "b", key: "k", lastModified: 1_795_655_743_999)
        let decoded = try RecordCodec.decode(ObjectRecord.self, from: RecordCodec.encode(marker))
        #expect(decoded == marker && decoded.isDeleteMarker && decoded.parts.isEmpty)
    }

    @Test("Object records written as version 1 JSON still decode")
    func versionOneObjectRecordsStillDecode() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = Array(try encoder.encode(record))
        var crc = CRC32CProbe()
        let framed = [RecordCodec.jsonVersion] + crc.littleEndianChecksum(body) + body
        #expect(try RecordCodec.decode(ObjectRecord.self, from: framed) == record)
    }

    @Test("Any flipped byte or truncation is reported as corrupt, never decoded")
    func damageIsDetected() throws {
        let bytes = try RecordCodec.encode(record)
        for index in stride(from: 0, to: bytes.count, by: 7) {
            var damaged = bytes
            damaged[index] ^= 0x40
            #expect(throws: DriveError.self) { _ = try RecordCodec.decode(ObjectRecord.self, from: damaged) }
        }
        for length in [0, 4, 5, bytes.count / 2, bytes.count - 1] {
            #expect(throws: DriveError.self) { _ = try RecordCodec.decode(ObjectRecord.self, from: Array(bytes.prefix(length))) }
        }
    }
}

/// Computes the frame checksum the way RecordCodec does, for building old-format records.
struct CRC32CProbe {
    mutating func littleEndianChecksum(_ body: [UInt8]) -> [UInt8] {
        var crc = CRC32C()
        body.withUnsafeBytes { crc.update($0) }
        return withUnsafeBytes(of: crc.value.littleEndian) { Array($0) }
    }
}
