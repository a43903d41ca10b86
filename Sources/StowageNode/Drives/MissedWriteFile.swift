#if canImport(Glibc)
internal import Glibc
#endif
internal import ObjectLayer
internal import Storage
internal import StowageCore
internal import Synchronization

/// The missed-write journal as files in this node's drive folders: one line per change some
/// drive missed, `hex(bucket) hex(key)`, appended to the first of the node's drives that is online
/// (a drive found unusable is never written to). Appends are plain writes (no fsync): they
/// survive the process being killed, and what a machine crash loses the background scanner finds.
final class MissedWriteFile: MissedWriteJournal {
    /// The folders of this node's online drives, in slot order.
    let folders: @Sendable () -> [String]
    private let lock = Mutex(())

    init(folders: @escaping @Sendable () -> [String]) {
        self.folders = folders
    }

    private static func path(_ folder: String) -> String { folder + "/" + DriveFormatFile.missedWriteJournalName }

    func load() -> [(bucket: String, key: String)] {
        lock.withLock { _ in folders().flatMap { Self.read(Self.path($0)) } }
    }

    private static func read(_ path: String) -> [(bucket: String, key: String)] {
        guard let file = fopen(path, "r") else { return [] }
        defer { fclose(file) }
        var entries: [(bucket: String, key: String)] = []
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        while getline(&line, &capacity, file) > 0, let line {
            let fields = String(cString: line).split(separator: " ")
            guard fields.count == 2, let bucket = Hex.bytes(String(fields[0])),
                let key = Hex.bytes(String(fields[1].prefix { $0 != "\n" }))
            else { continue }
            entries.append((String(decoding: bucket, as: UTF8.self), String(decoding: key, as: UTF8.self)))
        }
        free(line)
        return entries
    }

    func append(bucket: String, key: String) {
        let text = Hex.string(Array(bucket.utf8)) + " " + Hex.string(Array(key.utf8)) + "\n"
        lock.withLock { _ in
            guard let folder = folders().first else { return }
            let descriptor = open(Self.path(folder), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { return }
            defer { close(descriptor) }
            var bytes = Array(text.utf8)
            _ = bytes.withUnsafeMutableBytes { Glibc.write(descriptor, $0.baseAddress!, $0.count) }
        }
    }

    func clear() {
        lock.withLock { _ in
            for folder in folders() where access(Self.path(folder), F_OK) == 0 { _ = truncate(Self.path(folder), 0) }
        }
    }
}
