#if canImport(Glibc)
import Glibc
#endif
import Storage
import StowageCore
@testable import StowageNode
import StowageTesting
import Testing

/// The missed-write journal's files, and callers never waiting for them.
@Suite("Missed-write journal")
struct MissedWriteFileTests {
    static func entries(_ journal: MissedWriteFile) -> [String] { journal.load().map { $0.bucket + "/" + $0.key } }

    @Test("appends and clears reach the file in order")
    func order() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let journal = MissedWriteFile { [dir.path] }
        journal.append(bucket: "b", key: "k1")
        journal.append(bucket: "b", key: "é/2")
        #expect(await journal.flush())
        #expect(Self.entries(journal) == ["b/k1", "b/é/2"])
        journal.clear()
        journal.append(bucket: "c", key: "k3")
        #expect(await journal.flush())
        #expect(Self.entries(journal) == ["c/k3"])
        // A new journal over the same folder (a restart) reads what was written.
        #expect(Self.entries(MissedWriteFile { [dir.path] }) == ["c/k3"])
    }

    @Test("a journal file that blocks (a hung disk) holds none of the callers; what waited is written once it answers")
    func hungFileBlocksNoCaller() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        // A FIFO nobody reads: opening it to write waits, as a write to a frozen filesystem does.
        let path = dir.path + "/" + DriveFormatFile.missedWriteJournalName
        #expect(mkfifo(path, 0o600) == 0)
        let journal = MissedWriteFile { [dir.path] }
        let start = ContinuousClock.now
        for index in 0..<1000 { journal.append(bucket: "b", key: "k\(index)") }
        journal.clear()
        journal.append(bucket: "b", key: "last")
        #expect(ContinuousClock.now - start < .seconds(1), "callers returned at once")
        #expect(await journal.flush(within: .milliseconds(200)) == false, "the writer is stuck on the file")
        // The disk answers again: the writer goes on, and the last entry arrives.
        let reader = open(path, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        #expect(await journal.flush())
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(reader, $0.baseAddress!, $0.count) }
            if count <= 0 { break }
            received += buffer[..<count]
        }
        let text = String(decoding: received, as: UTF8.self)
        #expect(text.hasSuffix(Hex.string(Array("b".utf8)) + " " + Hex.string(Array("last".utf8)) + "\n"))
    }
}
