package import StowageCore

/// Errors with S3 meaning raised by the object layer. The server maps each code to an S3
/// error in one place; anything else thrown from below becomes `InternalError`.
package struct ObjectLayerError: Error, Sendable, CustomStringConvertible {
    package enum Code: String, Sendable {
        case noSuchBucket, noSuchKey, noSuchUpload, noSuchVersion
        /// A GET or HEAD of a delete marker by its version id (S3 answers 405).
        case deleteMarkerVersion
        case bucketAlreadyOwnedByYou, bucketNotEmpty
        case invalidPart, invalidPartOrder, entityTooSmall, entityTooLarge
        case badDigest, incompleteBody, preconditionFailed
        case storageFull
        /// Too few drives answered or took a write (read or write quorum not met); retryable.
        case insufficientDrives
        case corrupt
        /// A decision the cluster makes together (a key's lock, a bucket change) could not be
        /// made now: etcd is unreachable, or the write lost its lock. Retryable.
        case coordinationUnavailable
        case invalidRequest, invalidArgument
    }

    package var code: Code
    package var detail: String
    /// The delete marker that made the key absent (`noSuchKey`) or was named (`deleteMarkerVersion`).
    package var deleteMarker: ObjectRecord?
    /// A write that failed without knowing whether it took effect: it may have reached a write
    /// quorum, and was left for healing to settle rather than undone. Its staged shards are kept,
    /// so that healing can complete it.
    package var mayHaveTakenEffect = false

    package init(_ code: Code, _ detail: String = "", deleteMarker: ObjectRecord? = nil) {
        self.code = code
        self.detail = detail
        self.deleteMarker = deleteMarker
    }

    /// `error`, a write's failure, marked as one that may have taken effect (503: retry).
    static func unsettled(_ error: any Error, _ operation: String) -> ObjectLayerError {
        var unsettled = ObjectLayerError(
            .insufficientDrives, "\(operation): answers were lost, so it may still take effect (\(error))")
        unsettled.mayHaveTakenEffect = true
        return unsettled
    }

    package var description: String { "\(code.rawValue): \(detail)" }
}
