package import StowageCore

/// The internode drive protocol: one frame per `Drive` call (`InternodeFrame`) on a
/// persistent, authenticated connection to the node that holds the drive, naming the drive's
/// slot and the operation.
///
/// A call carries a binary `DriveRPC.Call` and is answered with a `DriveRPC.Reply` (see
/// `DriveRPC+Binary`), or with the `DriveError` the drive raised, which the caller rethrows.
/// Shard data travels raw in the frame's data: `shard-append` carries the bytes of one `write`,
/// `shard-read` answers the bytes asked for, so no call holds more than one block in memory.
package enum DriveRPC {
    /// The operations; a frame names one by its index in `allCases` (append new ones at the end).
    package enum Operation: String, Sendable, CaseIterable {
        case createBucket = "create-bucket", bucket, listBuckets = "list-buckets", updateBucket = "update-bucket"
        case deleteBucket = "delete-bucket"
        case readObject = "read-object", readVersion = "read-version", commitObject = "commit-object"
        case deleteVersion = "delete-version", listObjects = "list-objects", listVersions = "list-versions"
        case shardCreate = "shard-create", shardAppend = "shard-append", shardFinish = "shard-finish"
        case shardAbort = "shard-abort", shardOpen = "shard-open", shardRead = "shard-read"
        case createUpload = "create-upload", upload, listUploads = "list-uploads", commitPart = "commit-part"
        case listParts = "list-parts", completeUpload = "complete-upload", abortUpload = "abort-upload"
        case availableBytes = "available-bytes", healthCheck = "health-check"

        package var code: UInt8 { UInt8(Self.allCases.firstIndex(of: self)!) }

        package init?(code: UInt8) {
            guard Int(code) < Self.allCases.count else { return nil }
            self = Self.allCases[Int(code)]
        }
    }

    /// The arguments of a call; each operation reads the fields it needs.
    package struct Call: Sendable {
        package var bucketRecord: BucketRecord?
        package var object: ObjectRecord?
        package var uploadRecord: UploadRecord?
        package var part: PartRecord?
        package var bucket: String?
        package var key: String?
        package var versionID: String?
        package var prefix: String?
        package var after: [UInt8]?
        package var inclusive: Bool?
        package var cursor: Cursor?
        package var limit: Int?
        package var uploadID: String?
        package var afterKey: String?
        package var afterUploadID: String?
        package var shard: ShardID?
        package var blockSize: Int?
        package var offset: Int64?
        package var length: Int?
        /// The lock token of a fenced change (see `Drive`).
        package var fence: Int64?
        /// The slots a grouped change applies to, the frame's own among them (`GroupedDrive`):
        /// answered with one `Reply.outcomes` entry per slot, in this order.
        package var group: [Int]?

        package init() {}
    }

    /// `VersionCursor` on the wire.
    package struct Cursor: Codable, Sendable {
        package var key: [UInt8]
        /// `atKey`, `afterKey` or `afterVersion` (with `stamp` and `versionID`).
        package var position: String
        package var stamp: Int64?
        package var versionID: String?

        package init(_ cursor: VersionCursor) {
            key = cursor.key
            switch cursor.position {
            case .atKey: position = "atKey"
            case .afterKey: position = "afterKey"
            case .afterVersion(let stamp, let versionID):
                position = "afterVersion"
                self.stamp = stamp
                self.versionID = versionID
            }
        }

        package var value: VersionCursor? {
            switch position {
            case "atKey": return VersionCursor(key: key, position: .atKey)
            case "afterKey": return VersionCursor(key: key, position: .afterKey)
            case "afterVersion":
                guard let stamp, let versionID else { return nil }
                return VersionCursor(key: key, position: .afterVersion(stamp: stamp, versionID: versionID))
            default: return nil
            }
        }
    }

    /// The result of a call; each operation fills the field it returns.
    package struct Reply: Sendable {
        package var bucket: BucketRecord?
        package var buckets: [BucketRecord]?
        package var object: ObjectRecord?
        package var objects: [ObjectRecord]?
        package var upload: UploadRecord?
        package var uploads: [UploadRecord]?
        package var parts: [PartRecord]?
        package var bytes: Int64?
        /// What each slot of a grouped change (`Call.group`) answered, in its order.
        package var outcomes: [Outcome]?

        package init() {}
    }

    /// One slot's answer to a grouped change: what its own call would have answered.
    package enum Outcome: Sendable, Equatable {
        case ok(ObjectRecord?)
        case driveError(DriveError)
        /// Not served on that slot (its drive is not online there): why.
        case refused(String)
    }
}
