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
    /// The call went out but no answer came back (a timeout, a connection lost mid-call): the
    /// drive may have carried it out. Set by transports, never by a drive.
    package var answerLost = false

    package init(_ code: Code, _ detail: String = "") {
        self.code = code
        self.detail = detail
    }

    /// An `io` error for a call whose answer was lost.
    package static func lostAnswer(_ detail: String) -> DriveError {
        var error = DriveError(.io, detail)
        error.answerLost = true
        return error
    }

    package var description: String { "DriveError.\(code.rawValue)(\(detail))" }
}
