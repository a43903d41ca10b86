#if canImport(Glibc)
internal import Glibc
#endif
internal import NIOPosix
internal import ObjectLayer
internal import Storage
internal import StowageCore
internal import Synchronization

/// The missed-write journal as files in this node's drive folders: one line per change some
/// drive missed, `hex(bucket) hex(key)`, appended to the first of the node's drives that is online
/// (a drive found unusable is never written to). Appends are plain writes (no fsync): they
/// survive the process being killed, and what a machine crash loses the background scanner finds.
///
/// Appends and clears are done in order by a thread of the journal's own, never by the caller:
/// a drive that hangs holds that thread, not the requests that missed a write (nor the heal
/// state's lock, under which clears are asked for). What waits meanwhile stays in memory, up to
/// `maxPending` entries; more are dropped, and the scanner finds them. An entry reaches its file
/// moments after the write that missed a drive was answered; a process killed in between loses it
/// to the scanner too.
final class MissedWriteFile: MissedWriteJournal {
    /// The folders of this node's online drives, in slot order.
    let folders: @Sendable () -> [String]
    private let lock = Mutex(())
    /// Appends and clears not yet done, oldest first, and whether the writer is on them.
    private let pending = Mutex<(operations: [Operation], writing: Bool)>(([], false))
    private let writer = NIOThreadPool(numberOfThreads: 1)
    static let maxPending = 100_000

    private enum Operation {
        case line(String)
        case clear
    }

    init(folders: @escaping @Sendable () -> [String]) {
        self.folders = folders
        writer.start()
    }

    deinit { writer.shutdownGracefully { _ in } }

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
        enqueue(.line(Hex.string(Array(bucket.utf8)) + " " + Hex.string(Array(key.utf8)) + "\n"))
    }

    func clear() { enqueue(.clear) }

    /// Whether every append and clear asked for so far is done, waiting up to `limit` (tests).
    func flush(within limit: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while pending.withLock({ $0.writing }) {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
    }

    private func enqueue(_ operation: Operation) {
        let start = pending.withLock { state -> Bool in
            switch operation {
            case .clear: state.operations = [.clear]  // what waits would be cleared anyway
            case .line:
                guard state.operations.count < Self.maxPending else { return false }
                state.operations.append(operation)
            }
            if state.writing { return false }
            state.writing = true
            return true
        }
        guard start else { return }
        writer.submit { _ in self.drain() }
    }

    /// Does what is pending, batch by batch, until nothing is (on the writer's thread).
    private func drain() {
        while true {
            let batch = pending.withLock { state -> [Operation]? in
                guard !state.operations.isEmpty else {
                    state.writing = false
                    return nil
                }
                defer { state.operations = [] }
                return state.operations
            }
            guard let batch else { return }
            var text = ""
            for operation in batch {
                switch operation {
                case .line(let line): text += line
                case .clear:
                    text = ""
                    truncateAll()
                }
            }
            if !text.isEmpty { write(text) }
        }
    }

    private func write(_ text: String) {
        lock.withLock { _ in
            guard let folder = folders().first else { return }
            let descriptor = open(Self.path(folder), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { return }
            defer { close(descriptor) }
            var bytes = Array(text.utf8)
            _ = bytes.withUnsafeMutableBytes { Glibc.write(descriptor, $0.baseAddress!, $0.count) }
        }
    }

    private func truncateAll() {
        lock.withLock { _ in
            for folder in folders() where access(Self.path(folder), F_OK) == 0 { _ = truncate(Self.path(folder), 0) }
        }
    }
}
