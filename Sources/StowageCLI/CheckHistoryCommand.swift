internal import ArgumentParser
internal import FoundationEssentials
internal import HistoryCheck
internal import StowageNode

/// `stowage check-history FILE`: checks a recorded history (`HistoryFile`'s format, as
/// `scripts/chaos` writes it) for linearizability, key by key. Exits 0 when every key's history
/// is linearizable; otherwise prints, per failing key, the smallest window of operations found
/// that no order explains, and exits 1 (2 when the search gave up on a key).
struct CheckHistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-history",
        abstract: "Check a recorded history of S3 operations for linearizability (per key)."
    )

    @Argument(help: "The history: one JSON operation per line.")
    var file: String

    @Option(help: "Search steps per key before giving up.")
    var budget: Int = 5_000_000

    func run() throws {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read \(file): \(error)")
        }
        let history = try HistoryFile.parse(text)
        let verdicts = LinearizabilityChecker(budget: budget).check(history)
        var violations = 0
        var gaveUp = 0
        for (key, verdict, operations) in verdicts {
            switch verdict {
            case .linearizable:
                continue
            case .gaveUp:
                gaveUp += 1
                FileOutput.standardOutput("key \(key): gave up after \(budget) steps (\(operations) operations)\n")
            case .violation(let window):
                violations += 1
                let origin = window.map(\.start).min() ?? 0
                var report = "key \(key): NOT linearizable; smallest window found (\(window.count) of \(operations) operations, times from its first invocation):\n"
                for operation in window {
                    let end = operation.outcome == .unknown ? "?" : String(operation.end - origin)
                    report += "  [\(operation.start - origin) … \(end)] \(operation)\n"
                }
                FileOutput.standardOutput(report)
            }
        }
        FileOutput.standardOutput(
            "check-history: \(history.count) operations on \(verdicts.count) keys: "
                + (violations == 0 && gaveUp == 0
                    ? "linearizable\n" : "\(violations) keys not linearizable, \(gaveUp) undecided\n"))
        if violations > 0 { throw ExitCode(1) }
        if gaveUp > 0 { throw ExitCode(2) }
    }
}
