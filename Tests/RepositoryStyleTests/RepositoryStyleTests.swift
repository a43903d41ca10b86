import Foundation
import Testing

/// The style rules of ../shared/style.md that a machine can check, as a ratchet: new code must
/// keep them, and an exception is an entry in a list here that a reviewer sees.
@Suite("Repository style")
struct RepositoryStyleTests {
    /// Files allowed to use Foundation's `Data` (JSON coding of cold-path records, not byte streaming).
    static let dataAllowed: Set<String> = [
        "Sources/Storage/Format/RecordCodec.swift",
        "Sources/Storage/LocalDrive/DriveFormatFile.swift",
        "Sources/StowageCore/Records/ObjectRecord.swift",
        // Cold-path JSON (JSONDecoder reads only Data): the drive format record and admin answers.
        "Sources/StowageCLI/AdminCommand.swift",
        // Recorded histories (JSON lines) for the linearizability checker.
        "Sources/HistoryCheck/HistoryFile.swift",
    ]
    static let maxLines = 600

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func sourceFiles() throws -> [(path: String, text: String)] {
        let root = repositoryRoot
        let sources = root.appendingPathComponent("Sources")
        guard let walker = FileManager.default.enumerator(atPath: sources.path) else { return [] }
        var files: [(String, String)] = []
        for case let relative as String in walker where relative.hasSuffix(".swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(relative), encoding: .utf8)
            files.append(("Sources/" + relative, text))
        }
        return files.sorted { $0.0 < $1.0 }
    }

    @Test("Every source file stays within 600 lines")
    func sourceFilesAreShort() throws {
        let files = try Self.sourceFiles()
        #expect(files.count > 50, "the walker found the sources")
        for file in files {
            let lines = file.text.split(separator: "\n", omittingEmptySubsequences: false).count
            #expect(lines <= Self.maxLines, "\(file.path) has \(lines) lines")
        }
    }

    @Test("No source file prints; output goes through the logger or FileOutput")
    func noPrintInSources() throws {
        for file in try Self.sourceFiles() {
            for (number, line) in file.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.range(of: #"(^|[^A-Za-z0-9_.])print\("#, options: .regularExpression) != nil {
                Issue.record("\(file.path):\(number + 1) calls print")
            }
        }
    }

    @Test("Foundation's Data stays off the byte paths")
    func dataOnlyWhereAllowed() throws {
        for file in try Self.sourceFiles() where !Self.dataAllowed.contains(file.path) {
            #expect(
                file.text.range(of: #"\bData\("#, options: .regularExpression) == nil,
                "\(file.path) uses Data; keep bytes in ByteBuffer or [UInt8]")
        }
    }
}
