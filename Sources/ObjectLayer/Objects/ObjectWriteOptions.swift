package import StowageCore

/// What a write stores besides the bytes, and what it must verify before committing.
package struct ObjectWriteOptions: Sendable {
    package var systemMetadata: [String: String]
    package var userMetadata: [String: String]
    package var storageClass: String
    /// The decoded Content-MD5, verified against the bytes received.
    package var expectedMD5: [UInt8]?
    /// Called once the whole body has been read and before anything is committed. Returns the
    /// checksums to store (algorithm → base64) or throws to reject the write (e.g. BadDigest).
    package var finalizeChecksums: @Sendable () throws -> [String: String]
    package var checksumType: String?
    /// A conditional write (`If-None-Match: *`, `If-Match`), checked atomically with the commit.
    package var condition: WriteCondition?

    package init(
        systemMetadata: [String: String] = [:], userMetadata: [String: String] = [:], storageClass: String = "STANDARD",
        expectedMD5: [UInt8]? = nil, finalizeChecksums: @escaping @Sendable () throws -> [String: String] = { [:] },
        checksumType: String? = nil
    ) {
        self.systemMetadata = systemMetadata
        self.userMetadata = userMetadata
        self.storageClass = storageClass
        self.expectedMD5 = expectedMD5
        self.finalizeChecksums = finalizeChecksums
        self.checksumType = checksumType
    }
}

/// The state a conditional write requires of its key at the moment it commits.
package enum WriteCondition: Sendable, Equatable {
    /// `If-None-Match: *`: the key must not exist.
    case absent
    /// `If-Match: *`: the key must exist.
    case exists
    /// `If-Match: "etag"`: the key's current version must have this ETag (without quotes).
    case etag(String)
}
