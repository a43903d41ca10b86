internal import FoundationEssentials

/// Everything stored about one object version except its data blocks: what a HEAD returns,
/// plus where the bytes live (inline, or in one shard per part).
///
/// Records are encoded by the drive with a format version and a checksum; see `RecordCodec`.
package struct ObjectRecord: Codable, Sendable, Equatable {
    package var bucket: String
    package var key: String
    /// The S3 version id: "null" for the null version (unversioned and suspended buckets),
    /// else 32 lowercase hex digits.
    package var versionID: String
    /// Orders the versions of a key, newest highest: nanoseconds since 1970 from a clock that
    /// never repeats a value in one process. Records written before versioning use
    /// `lastModified` in nanoseconds.
    package var versionStamp: Int64
    /// A delete marker: a version without data that makes the key look deleted.
    package var isDeleteMarker: Bool
    package var size: Int64
    /// The ETag without quotes: hex MD5, or `hex-N` for multipart objects.
    package var etag: String
    /// Milliseconds since 1970.
    package var lastModified: Int64
    /// Content-Type, Content-Encoding, Content-Disposition, Cache-Control, Content-Language, Expires.
    package var systemMetadata: [String: String]
    /// `x-amz-meta-*` headers, names lowercased without the prefix.
    package var userMetadata: [String: String]
    /// Checksums by algorithm name (`CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256`), base64.
    package var checksums: [String: String]
    /// `FULL_OBJECT` or `COMPOSITE`, when a checksum is stored.
    package var checksumType: String?
    package var storageClass: String
    /// The bytes themselves for small objects; nil when the data lives in shards.
    package var inlineData: [UInt8]?
    /// The data layout: one entry per part (a single part for plain PUT). Empty when inline.
    package var parts: [PartLayout]
    /// How the parts are erasure-coded over the drives of the key's set; nil for records
    /// written before erasure coding (the whole object on one drive: `ErasureInfo.singleDrive`).
    package var erasure: ErasureInfo?
    /// The multipart upload this version was completed from: a CompleteMultipartUpload sent
    /// again after it succeeded (an SDK's retry of a lost answer) is answered with this version.
    package var uploadID: String?

    package init(
        bucket: String, key: String, versionID: String = "null", size: Int64, etag: String,
        lastModified: Int64, systemMetadata: [String: String] = [:], userMetadata: [String: String] = [:],
        checksums: [String: String] = [:], checksumType: String? = nil, storageClass: String = "STANDARD",
        inlineData: [UInt8]? = nil, parts: [PartLayout] = [], erasure: ErasureInfo? = nil,
        versionStamp: Int64? = nil, isDeleteMarker: Bool = false, uploadID: String? = nil
    ) {
        self.bucket = bucket
        self.key = key
        self.versionID = versionID
        self.versionStamp = versionStamp ?? lastModified &* 1_000_000
        self.isDeleteMarker = isDeleteMarker
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
        self.systemMetadata = systemMetadata
        self.userMetadata = userMetadata
        self.checksums = checksums
        self.checksumType = checksumType
        self.storageClass = storageClass
        self.inlineData = inlineData
        self.parts = parts
        self.erasure = erasure
        self.uploadID = uploadID
    }

    private enum CodingKeys: String, CodingKey {
        case bucket, key, versionID, size, etag, lastModified, systemMetadata, userMetadata, checksums, checksumType
        case storageClass, inlineData, parts, erasure, versionStamp, isDeleteMarker, uploadID
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bucket = try c.decode(String.self, forKey: .bucket)
        key = try c.decode(String.self, forKey: .key)
        versionID = try c.decode(String.self, forKey: .versionID)
        size = try c.decode(Int64.self, forKey: .size)
        etag = try c.decode(String.self, forKey: .etag)
        lastModified = try c.decode(Int64.self, forKey: .lastModified)
        systemMetadata = try c.decode([String: String].self, forKey: .systemMetadata)
        userMetadata = try c.decode([String: String].self, forKey: .userMetadata)
        checksums = try c.decode([String: String].self, forKey: .checksums)
        checksumType = try c.decodeIfPresent(String.self, forKey: .checksumType)
        storageClass = try c.decode(String.self, forKey: .storageClass)
        // Inline bytes are base64 in the record (compact and fast in JSON).
        if let text = try c.decodeIfPresent(String.self, forKey: .inlineData) {
            guard let data = Data(base64Encoded: text) else {
                throw DecodingError.dataCorruptedError(forKey: .inlineData, in: c, debugDescription: "bad base64")
            }
            inlineData = Array(data)
        } else {
            inlineData = nil
        }
        parts = try c.decode([PartLayout].self, forKey: .parts)
        erasure = try c.decodeIfPresent(ErasureInfo.self, forKey: .erasure)
        versionStamp = try c.decodeIfPresent(Int64.self, forKey: .versionStamp) ?? lastModified &* 1_000_000
        isDeleteMarker = try c.decodeIfPresent(Bool.self, forKey: .isDeleteMarker) ?? false
        uploadID = try c.decodeIfPresent(String.self, forKey: .uploadID)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(bucket, forKey: .bucket)
        try c.encode(key, forKey: .key)
        try c.encode(versionID, forKey: .versionID)
        try c.encode(size, forKey: .size)
        try c.encode(etag, forKey: .etag)
        try c.encode(lastModified, forKey: .lastModified)
        try c.encode(systemMetadata, forKey: .systemMetadata)
        try c.encode(userMetadata, forKey: .userMetadata)
        try c.encode(checksums, forKey: .checksums)
        try c.encodeIfPresent(checksumType, forKey: .checksumType)
        try c.encode(storageClass, forKey: .storageClass)
        try c.encodeIfPresent(inlineData.map { Data($0).base64EncodedString() }, forKey: .inlineData)
        try c.encode(parts, forKey: .parts)
        try c.encodeIfPresent(erasure, forKey: .erasure)
        try c.encode(versionStamp, forKey: .versionStamp)
        try c.encode(isDeleteMarker, forKey: .isDeleteMarker)
        try c.encodeIfPresent(uploadID, forKey: .uploadID)
    }

    /// The erasure layout, with records from before erasure coding read as single-drive.
    package var layout: ErasureInfo { erasure ?? .singleDrive() }

    /// True when `other` is the same write of this key (not merely equal content): drives that
    /// agree on this agree on the version. Used to vote between drives' copies of a record.
    package func isSameVersion(as other: ObjectRecord) -> Bool {
        lastModified == other.lastModified && etag == other.etag && size == other.size
            && versionID == other.versionID && versionStamp == other.versionStamp
            && isDeleteMarker == other.isDeleteMarker && shardIDs == other.shardIDs && erasure == other.erasure
            && userMetadata == other.userMetadata && systemMetadata == other.systemMetadata
    }

    /// A delete marker for `key`.
    package static func deleteMarker(bucket: String, key: String, lastModified: Int64) -> ObjectRecord {
        ObjectRecord(bucket: bucket, key: key, size: 0, etag: "", lastModified: lastModified, isDeleteMarker: true)
    }

    /// True when this version is newer than `other` (of the same key).
    package func isNewer(than other: ObjectRecord) -> Bool {
        Self.isNewer(stamp: versionStamp, versionID: versionID, than: other.versionStamp, other.versionID)
    }

    /// The order of versions: a higher stamp is newer; of equal stamps, the smaller id (bytes).
    package static func isNewer(stamp: Int64, versionID: String, than otherStamp: Int64, _ otherID: String) -> Bool {
        if stamp != otherStamp { return stamp > otherStamp }
        return versionID.utf8.lexicographicallyPrecedes(otherID.utf8)
    }

    /// The shards this record owns on a drive.
    package var shardIDs: [ShardID] { parts.map(\.shardID) }
}

/// One part of an object's data: a contiguous range of the object stored as one shard file.
package struct PartLayout: Codable, Sendable, Equatable {
    package var number: Int
    package var size: Int64
    package var etag: String
    package var shardID: ShardID
    /// Part checksums by algorithm, base64 (kept for GetObjectAttributes / partNumber reads).
    package var checksums: [String: String]

    package init(number: Int, size: Int64, etag: String, shardID: ShardID, checksums: [String: String] = [:]) {
        self.number = number
        self.size = size
        self.etag = etag
        self.shardID = shardID
        self.checksums = checksums
    }
}
