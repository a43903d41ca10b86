/// Errors with S3 meaning raised by the object layer. The server maps each code to an S3
/// error in one place; anything else thrown from below becomes `InternalError`.
package struct ObjectLayerError: Error, Sendable, CustomStringConvertible {
    package enum Code: String, Sendable {
        case noSuchBucket, noSuchKey, noSuchUpload
        case bucketAlreadyOwnedByYou, bucketNotEmpty
        case invalidPart, invalidPartOrder, entityTooSmall, entityTooLarge
        case badDigest, incompleteBody, preconditionFailed
        case storageFull
        /// Too few drives answered or took a write (read or write quorum not met); retryable.
        case insufficientDrives
        case corrupt
        case invalidRequest, invalidArgument
    }

    package var code: Code
    package var detail: String

    package init(_ code: Code, _ detail: String = "") {
        self.code = code
        self.detail = detail
    }

    package var description: String { "\(code.rawValue): \(detail)" }
}
