package import StowageCore

/// The internode drive protocol: one HTTP request per `Drive` call, to
/// `POST /_stowage/internode/v1/drive/<slot>/<operation>` on the node that holds the drive.
///
/// Metadata calls carry a JSON `DriveRPC.Call` and answer JSON (`DriveRPC.Reply`); a drive
/// error answers 409 with `DriveRPC.Failure`, so the caller rethrows the same `DriveError`.
/// Shard data travels raw: `shard-append` carries the bytes of one `write`, `shard-read`
/// answers the bytes asked for, so no request holds more than one block in memory.
package enum DriveRPC {
    /// Every path of the protocol starts with this; the slot and operation follow.
    package static let pathPrefix = "/_stowage/internode/v1/drive/"

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
    }

    /// The arguments of a call; each operation reads the fields it needs.
    package struct Call: Codable, Sendable {
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
    package struct Reply: Codable, Sendable {
        package var bucket: BucketRecord?
        package var buckets: [BucketRecord]?
        package var object: ObjectRecord?
        package var objects: [ObjectRecord]?
        package var upload: UploadRecord?
        package var uploads: [UploadRecord]?
        package var parts: [PartRecord]?
        package var bytes: Int64?

        package init() {}
    }

    /// A `DriveError` on the wire (HTTP 409).
    package struct Failure: Codable, Sendable {
        package var code: String
        package var detail: String

        package init(_ error: DriveError) {
            code = error.code.rawValue
            detail = error.detail
        }

        package var error: DriveError {
            DriveError(DriveError.Code(rawValue: code) ?? .io, detail)
        }
    }
}
