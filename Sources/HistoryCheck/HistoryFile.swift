internal import FoundationEssentials

/// Histories on disk: one JSON object per line, as `scripts/chaos` writes them:
///
///     {"key": "k3", "op": "put", "value": "c1-17", "outcome": "ok", "start": 1200, "end": 3400, "client": 1, "node": 2}
///
/// `op` is `put`, `get`, `delete`, `put-if-absent`, `put-if-match` (with `expected`: the value
/// whose ETag was sent) or `list-versions`; `outcome` is `ok`, `precondition-failed`,
/// `not-found`, `failed` or `unknown`. A GET that answered has outcome `ok` and `read` (the
/// body, null for 404); a listing has `versions` (values oldest first, null for a delete
/// marker). Times are integers in one monotonic unit.
package enum HistoryFile {
    package struct FormatError: Error, CustomStringConvertible {
        package var description: String
    }

    private struct Line: Decodable {
        var key: String
        var op: String
        var value: String?
        var expected: String?
        var outcome: String
        var read: String?
        var versions: [String?]?
        var start: Int64
        var end: Int64?
        var client: Int?
        var node: Int?
    }

    package static func parse(_ text: String) throws -> [HistoryOperation] {
        var operations: [HistoryOperation] = []
        let decoder = JSONDecoder()
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            do {
                operations.append(try operation(try decoder.decode(Line.self, from: Data(line.utf8))))
            } catch let error as FormatError {
                throw FormatError(description: "line \(number + 1): \(error.description)")
            } catch {
                throw FormatError(description: "line \(number + 1): not a history operation (\(error))")
            }
        }
        return operations
    }

    private static func operation(_ line: Line) throws -> HistoryOperation {
        func value() throws -> String {
            guard let value = line.value else { throw FormatError(description: "\(line.op) needs \"value\"") }
            return value
        }
        let kind: HistoryOperation.Kind
        switch line.op {
        case "put": kind = .put(value: try value())
        case "get": kind = .get
        case "delete": kind = .delete
        case "put-if-absent": kind = .putIfAbsent(value: try value())
        case "put-if-match":
            guard let expected = line.expected else { throw FormatError(description: "put-if-match needs \"expected\"") }
            kind = .putIfMatch(expected: expected, value: try value())
        case "list-versions": kind = .listVersions
        default: throw FormatError(description: "unknown op \"\(line.op)\"")
        }
        let outcome: HistoryOperation.Outcome
        switch (line.outcome, kind) {
        case ("ok", .get): outcome = .read(line.read)
        case ("ok", .listVersions):
            guard let versions = line.versions else { throw FormatError(description: "list-versions needs \"versions\"") }
            outcome = .versions(versions)
        case ("ok", _): outcome = .ok
        case ("precondition-failed", _): outcome = .preconditionFailed
        case ("not-found", _): outcome = .notFound
        case ("failed", _): outcome = .failed
        case ("unknown", _): outcome = .unknown
        default: throw FormatError(description: "unknown outcome \"\(line.outcome)\"")
        }
        guard case .unknown = outcome else {
            guard let end = line.end, end >= line.start else {
                throw FormatError(description: "a completed operation needs \"end\" ≥ \"start\"")
            }
            return HistoryOperation(
                key: line.key, kind: kind, outcome: outcome, start: line.start, end: end,
                client: line.client ?? 0, node: line.node ?? 0)
        }
        return HistoryOperation(
            key: line.key, kind: kind, outcome: outcome, start: line.start, end: line.end ?? .max,
            client: line.client ?? 0, node: line.node ?? 0)
    }
}

extension HistoryOperation: CustomStringConvertible {
    /// One line of a report: `client 2 via node 3: put-if-match(c1-4 → c2-9) = precondition-failed`.
    package var description: String {
        let operation =
            switch kind {
            case .put(let value): "put(\(value))"
            case .get: "get"
            case .delete: "delete"
            case .putIfAbsent(let value): "put-if-absent(\(value))"
            case .putIfMatch(let expected, let value): "put-if-match(\(expected) → \(value))"
            case .listVersions: "list-versions"
            }
        let result =
            switch outcome {
            case .ok: "ok"
            case .read(let value): value ?? "404"
            case .versions(let listed): "[" + listed.map { $0 ?? "marker" }.joined(separator: ", ") + "]"
            case .preconditionFailed: "precondition-failed"
            case .notFound: "not-found"
            case .failed: "failed"
            case .unknown: "unknown"
            }
        return "client \(client) via node \(node): \(operation) = \(result)"
    }
}
