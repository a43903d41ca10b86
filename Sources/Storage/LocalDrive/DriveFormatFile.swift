#if canImport(Glibc)
internal import Glibc
#endif
internal import FoundationEssentials
package import StowageCore

/// What a folder holds where a drive is expected.
package enum DriveFormatState: Sendable, Equatable {
    /// The folder does not exist.
    case missing
    /// The folder exists and is empty (a new or replaced drive, ready to be adopted).
    case empty
    /// The folder has files but no format record: refused, since it may be someone's data.
    case unformattedWithData
    /// Written by Stowage before drives had identities (one folder = the whole deployment).
    case legacy(driveID: String)
    case formatted(DriveIdentity)
    /// The format record exists but cannot be read or decoded.
    case unreadable(String)
}

/// The drive's format record, `stowage.format` (JSON):
/// version 1 `{format, version, driveID}` (single folder, before erasure sets);
/// version 2 adds `identity`: deployment id, set index, position, set count and set size.
package enum DriveFormatFile {
    /// The node's journal of writes a drive missed (in its first online drive folder, see
    /// `MissedWriteFile`); a folder holding only it still counts as empty.
    package static let missedWriteJournalName = "missed-writes.journal"

    static let fileName = "stowage.format"
    static let currentVersion = 2

    struct Record: Codable {
        var format: String
        var version: Int
        var driveID: String
        var identity: DriveIdentity?
    }

    /// Reads the folder's format record without changing anything.
    ///
    /// Throws `DriveError` when the folder or record cannot be looked at (a failed `stat`,
    /// `opendir` or `open`: `.resourcesExhausted` for EMFILE/ENFILE/ENOMEM, `.io` otherwise):
    /// a look that failed is never read as a missing or empty folder, which would be adopted
    /// and formatted, nor as a damaged record.
    package static func inspect(root: String) throws(DriveError) -> DriveFormatState {
        do {
            return try inspectThrowing(root: root)
        } catch let error as DriveError {
            throw error
        } catch {
            throw DriveError(.io, "\(root): \(error)")
        }
    }

    private static func inspectThrowing(root: String) throws -> DriveFormatState {
        guard try POSIXFile.checkedExists(root) else { return .missing }
        let path = root + "/" + fileName
        guard try POSIXFile.checkedExists(path) else {
            let entries = try POSIXFile.listDirectory(root)
            let ignored: Set<String> = ["lost+found", missedWriteJournalName]
            return entries.allSatisfy({ ignored.contains($0) }) ? .empty : .unformattedWithData
        }
        let fd = try POSIXFile.open(path, O_RDONLY)
        defer { close(fd) }
        do {
            let record = try read(fd, path: path)
            guard record.format == "stowage-drive" else { return .unreadable("\(path) is not a Stowage format record") }
            switch record.version {
            case 1: return .legacy(driveID: record.driveID)
            case 2:
                guard let identity = record.identity else { return .unreadable("\(path): version 2 without identity") }
                return .formatted(identity)
            default: return .unreadable("\(path): unsupported format version \(record.version)")
            }
        } catch let error as DriveError where error.code == .resourcesExhausted {
            throw error
        } catch {
            return .unreadable("\(path): \(error)")
        }
    }

    /// Writes (or replaces) the format record durably: temporary file, fsync, rename, directory fsync.
    package static func write(root: String, identity: DriveIdentity) throws {
        try POSIXFile.makeDirectories(root)
        let record = Record(format: "stowage-drive", version: currentVersion, driveID: identity.driveID, identity: identity)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let bytes = try encoder.encode(record)
        let path = root + "/" + fileName
        let staged = path + ".tmp"
        let fd = try POSIXFile.open(staged, O_WRONLY | O_CREAT | O_TRUNC)
        defer { close(fd) }
        try bytes.withUnsafeBytes { try POSIXFile.writeAll(fd, $0, path: staged) }
        try POSIXFile.fsync(fd, path: staged)
        try POSIXFile.rename(staged, path)
        try POSIXFile.fsyncDirectory(root)
    }

    /// Throws unless the folder's format record names exactly `identity`; what `inspect` throws
    /// passes through.
    static func verify(root: String, identity: DriveIdentity) throws {
        switch try inspect(root: root) {
        case .formatted(let found) where found == identity: return
        case .formatted(let found):
            throw DriveError(.corrupt, "\(root) holds \(found.slotDescription), expected \(identity.slotDescription)")
        case .missing: throw DriveError(.io, "\(root) is missing")
        case .empty, .unformattedWithData: throw DriveError(.corrupt, "\(root) has no format record")
        case .legacy: throw DriveError(.corrupt, "\(root) has a version 1 format record")
        case .unreadable(let reason): throw DriveError(.corrupt, reason)
        }
    }

    private static func read(_ fd: Int32, path: String) throws -> Record {
        let size = try POSIXFile.fileSize(fd, path: path)
        guard size < 1 << 20 else { throw DriveError(.corrupt, "\(path) is too large") }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        try bytes.withUnsafeMutableBytes { try POSIXFile.readExactly(fd, into: $0, at: 0, path: path) }
        return try JSONDecoder().decode(Record.self, from: Data(bytes))
    }
}
