/// Errors a drive reports. The object layer decides which reach the client and as what.
package struct DriveError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable {
        case bucketExists
        case bucketNotFound
        case bucketNotEmpty
        case uploadNotFound
        /// The drive is out of space (ENOSPC, SQLITE_FULL, or below its reserve).
        case full
        /// Stored bytes failed their checksum.
        case corrupt
        case notFound
        /// The process is out of a resource (file descriptors, memory: EMFILE, ENFILE, ENOMEM).
        /// It says nothing about the drive: never a reason to take one offline, nor to read a
        /// folder as empty.
        case resourcesExhausted
        /// A fenced change carried a lock token older than one the drive has seen for the key:
        /// its writer lost the lock (see `Drive`).
        case fenced
        /// Any other IO failure.
        case io
    }

    package var code: Code
    package var detail: String

    package init(_ code: Code, _ detail: String = "") {
        self.code = code
        self.detail = detail
    }

    package var description: String { "DriveError.\(code.rawValue)(\(detail))" }
}
