internal import FoundationEssentials
package import StowageCore

/// S3 semantics over drives: buckets, objects, multipart uploads and listing.
///
/// Today every object lives on one drive (a set of one, no parity); the erasure set replaces
/// `drive` with a set of drives without changing this type's interface.
///
/// Guarantees: a write is acknowledged only after the drive made it durable; readers see the
/// old or the new version of a key, never a mix; bytes read are verified by the drive.
package struct ObjectStore: Sendable {
    let drive: any Drive
    /// Objects up to this size are stored inside their metadata record.
    package let inlineThreshold: Int
    /// Bytes read from a shard per step of a GET (memory per reader).
    let readChunkSize = 1 << 20
    package let maxObjectSize: Int64 = 5 << 40
    package let maxPartSize: Int64 = 5 << 30
    package let minPartSize: Int64 = 5 << 20

    package init(drive: any Drive, inlineThreshold: Int = 64 << 10) {
        self.drive = drive
        self.inlineThreshold = inlineThreshold
    }

    static func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Maps drive errors to object-layer errors where they have S3 meaning.
    func translate<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DriveError {
            switch error.code {
            case .bucketNotFound: throw ObjectLayerError(.noSuchBucket, error.detail)
            case .bucketExists: throw ObjectLayerError(.bucketAlreadyOwnedByYou, error.detail)
            case .bucketNotEmpty: throw ObjectLayerError(.bucketNotEmpty, error.detail)
            case .uploadNotFound: throw ObjectLayerError(.noSuchUpload, error.detail)
            case .full: throw ObjectLayerError(.storageFull, error.detail)
            case .corrupt: throw ObjectLayerError(.corrupt, error.detail)
            case .notFound, .io: throw error
            }
        }
    }

    func requireBucket(_ bucket: String) async throws {
        guard try await drive.bucket(named: bucket) != nil else { throw ObjectLayerError(.noSuchBucket, bucket) }
    }

    /// Refuses a write that would eat into the drive's reserve.
    func requireSpace(_ bytes: Int64) async throws {
        let available = try await drive.availableBytes()
        if available < max(bytes, 1) { throw ObjectLayerError(.storageFull, "need \(bytes), available \(available)") }
    }
}
