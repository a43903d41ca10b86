/// The binary body of an object record (record format versions 2 to 5).
///
/// Object records are read on every GET and HEAD, so they get a compact binary layout instead
/// of JSON (JSON decoding was ~14% of a 4 KiB GET's CPU time). Field order:
/// bucket, key, versionID, size, etag, lastModified, systemMetadata, userMetadata, checksums,
/// checksumType?, storageClass, inlineData? (flag + bytes), parts (count, then per part: number,
/// size, etag, shardID, checksums). Version 3 appends the erasure layout: a flag, then data
/// shards, parity shards, block size, shard count and one shard index per drive position.
/// Version 4 appends the version stamp (int64) and the delete-marker flag (a byte). Version 5
/// appends the id of the multipart upload the version was completed from (an optional string).
/// Appending fields needs a new version number.
package enum ObjectRecordFormat {
    /// The version `encode` writes (`RecordCodec` frames it with this number; the internode
    /// protocol sends it bare).
    package static let currentVersion: UInt8 = 5

    package static func encode(_ record: ObjectRecord) -> [UInt8] {
        var writer = BinaryRecordWriter(capacity: 192 + (record.inlineData?.count ?? 0))
        writer.string(record.bucket)
        writer.string(record.key)
        writer.string(record.versionID)
        writer.int64(record.size)
        writer.string(record.etag)
        writer.int64(record.lastModified)
        writer.dictionary(record.systemMetadata)
        writer.dictionary(record.userMetadata)
        writer.dictionary(record.checksums)
        writer.optionalString(record.checksumType)
        writer.string(record.storageClass)
        if let inline = record.inlineData {
            writer.byte(1)
            writer.blob(inline)
        } else {
            writer.byte(0)
        }
        writer.varint(record.parts.count)
        for part in record.parts {
            writer.varint(part.number)
            writer.int64(part.size)
            writer.string(part.etag)
            writer.string(part.shardID.value)
            writer.dictionary(part.checksums)
        }
        if let erasure = record.erasure {
            writer.byte(1)
            writer.varint(erasure.dataShards)
            writer.varint(erasure.parityShards)
            writer.varint(erasure.blockSize)
            writer.varint(erasure.distribution.count)
            for index in erasure.distribution { writer.varint(index) }
        } else {
            writer.byte(0)
        }
        writer.int64(record.versionStamp)
        writer.byte(record.isDeleteMarker ? 1 : 0)
        writer.optionalString(record.uploadID)
        return writer.bytes
    }

    package static func decode(_ body: ArraySlice<UInt8>, version: UInt8) throws -> ObjectRecord {
        var reader = BinaryRecordReader(body)
        let bucket = try reader.string()
        let key = try reader.string()
        let versionID = try reader.string()
        let size = try reader.int64()
        let etag = try reader.string()
        let lastModified = try reader.int64()
        let systemMetadata = try reader.dictionary()
        let userMetadata = try reader.dictionary()
        let checksums = try reader.dictionary()
        let checksumType = try reader.optionalString()
        let storageClass = try reader.string()
        var inlineData: [UInt8]?
        switch try reader.byte() {
        case 0: inlineData = nil
        case 1: inlineData = Array(try reader.blob())
        default: throw DriveError(.corrupt, "record: bad inline flag")
        }
        let partCount = try reader.varint()
        guard partCount <= 10_000 else { throw DriveError(.corrupt, "record: \(partCount) parts") }
        var parts: [PartLayout] = []
        parts.reserveCapacity(partCount)
        for _ in 0..<partCount {
            let number = try reader.varint()
            let partSize = try reader.int64()
            let partETag = try reader.string()
            guard let shardID = ShardID(try reader.string()) else { throw DriveError(.corrupt, "record: bad shard id") }
            let partChecksums = try reader.dictionary()
            parts.append(PartLayout(number: number, size: partSize, etag: partETag, shardID: shardID, checksums: partChecksums))
        }
        let erasure = version >= 3 ? try decodeErasure(&reader) : nil
        var stamp: Int64?
        var isDeleteMarker = false
        if version >= 4 {
            stamp = try reader.int64()
            switch try reader.byte() {
            case 0: isDeleteMarker = false
            case 1: isDeleteMarker = true
            default: throw DriveError(.corrupt, "record: bad delete-marker flag")
            }
        }
        let uploadID = version >= 5 ? try reader.optionalString() : nil
        guard reader.isAtEnd else { throw DriveError(.corrupt, "record: trailing bytes") }
        return ObjectRecord(
            bucket: bucket, key: key, versionID: versionID, size: size, etag: etag, lastModified: lastModified,
            systemMetadata: systemMetadata, userMetadata: userMetadata, checksums: checksums,
            checksumType: checksumType, storageClass: storageClass, inlineData: inlineData, parts: parts,
            erasure: erasure, versionStamp: stamp, isDeleteMarker: isDeleteMarker, uploadID: uploadID)
    }

    private static func decodeErasure(_ reader: inout BinaryRecordReader) throws -> ErasureInfo? {
        switch try reader.byte() {
        case 0: return nil
        case 1: break
        default: throw DriveError(.corrupt, "record: bad erasure flag")
        }
        let data = try reader.varint()
        let parity = try reader.varint()
        let blockSize = try reader.varint()
        let count = try reader.varint()
        guard data >= 1, parity >= 0, count == data + parity, count <= 256, blockSize >= 1, blockSize <= 64 << 20 else {
            throw DriveError(.corrupt, "record: bad erasure layout \(data)+\(parity)/\(count)")
        }
        var distribution: [Int] = []
        distribution.reserveCapacity(count)
        for _ in 0..<count {
            let index = try reader.varint()
            guard index < count else { throw DriveError(.corrupt, "record: bad shard index") }
            distribution.append(index)
        }
        return ErasureInfo(dataShards: data, parityShards: parity, blockSize: blockSize, distribution: distribution)
    }
}
