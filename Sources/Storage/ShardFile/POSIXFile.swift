#if canImport(Glibc)
internal import Glibc
#endif
internal import StowageCore

/// Blocking POSIX file helpers used on the drive's IO threads. Errors become `DriveError`,
/// with ENOSPC/EDQUOT reported as `.full` so the client gets a storage-full error.
enum POSIXFile {
    static func error(_ operation: String, _ path: String, _ code: Int32 = errno) -> DriveError {
        let text = String(cString: strerror(code))
        switch code {
        case ENOSPC, EDQUOT: return DriveError(.full, "\(operation) \(path): \(text)")
        case ENOENT: return DriveError(.notFound, "\(operation) \(path): \(text)")
        case EMFILE, ENFILE, ENOMEM: return DriveError(.resourcesExhausted, "\(operation) \(path): \(text)")
        default: return DriveError(.io, "\(operation) \(path): \(text)")
        }
    }

    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644) throws -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw error("open", path)
        }
    }

    /// Writes all bytes, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw error("write", path)
            }
            offset += n
        }
    }

    /// Reads exactly `count` bytes at `offset`, or throws (a short file is corruption).
    static func readExactly(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, path: String) throws {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw error("read", path)
            }
            if n == 0 { throw DriveError(.corrupt, "\(path): shard file shorter than expected") }
            done += n
        }
    }

    static func fsync(_ fd: Int32, path: String) throws {
        while Glibc.fsync(fd) != 0 {
            if errno == EINTR { continue }
            throw error("fsync", path)
        }
    }

    /// fsyncs a directory so that renames and creations inside it are durable.
    static func fsyncDirectory(_ path: String) throws {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    static func fileSize(_ fd: Int32, path: String) throws -> Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw error("stat", path) }
        return Int64(info.st_size)
    }

    static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw error("rename", from) }
    }

    /// Removes a file; a file already gone is not an error.
    static func unlinkIfPresent(_ path: String) throws {
        if Glibc.unlink(path) != 0 && errno != ENOENT { throw error("unlink", path) }
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Whether `path` exists: false only when the system says it does not (ENOENT, ENOTDIR);
    /// any other failure of `stat` is thrown, never read as absence.
    static func checkedExists(_ path: String) throws -> Bool {
        var info = stat()
        if stat(path, &info) == 0 { return true }
        if errno == ENOENT || errno == ENOTDIR { return false }
        throw error("stat", path)
    }

    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw error("mkdir", path) }
    }

    /// Creates `path` and any missing parents.
    static func makeDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            try makeDirectory(current)
        }
    }

    static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw error("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Free bytes for unprivileged users, and the filesystem's total size.
    static func space(_ path: String) throws -> (available: Int64, total: Int64) {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { throw error("statvfs", path) }
        return (Int64(info.f_bavail) * Int64(info.f_frsize), Int64(info.f_blocks) * Int64(info.f_frsize))
    }
}
