/// One operation a client performed on one key, as recorded: what it asked, when, and what came
/// back. A history is a list of these; `LinearizabilityChecker` decides whether some order of
/// them, each taking effect at one instant between its invocation and its completion, explains
/// every result.
package struct HistoryOperation: Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        /// PUT of a unique body.
        case put(value: String)
        case get
        case delete
        /// PUT with `If-None-Match: *`.
        case putIfAbsent(value: String)
        /// PUT with `If-Match: <ETag of expected>` (a compare-and-set: the body is unique, so its
        /// ETag names one value).
        case putIfMatch(expected: String, value: String)
        /// ListObjectVersions of the key on a versioned bucket.
        case listVersions
    }

    package enum Outcome: Sendable, Equatable {
        /// A write succeeded.
        case ok
        /// A GET answered: the body it read, nil for 404 (absent, or a delete marker).
        case read(String?)
        /// ListObjectVersions answered: the key's versions oldest first, nil for a delete marker.
        case versions([String?])
        /// A conditional PUT was refused with 412: the operation did not happen, and the key did
        /// not match its condition.
        case preconditionFailed
        /// `If-Match` was refused with 404: the key was absent.
        case notFound
        /// Refused for sure, with no information (a 503 before anything happened, a read that
        /// failed): dropped by the checker.
        case failed
        /// The client does not know: a timeout, a dropped connection, a 5xx of a write. It may or
        /// may not have happened, at any time after its invocation.
        case unknown
    }

    package var key: String
    package var kind: Kind
    package var outcome: Outcome
    /// Invocation and completion (any monotonic unit, e.g. nanoseconds). `end` is ignored for
    /// `unknown` outcomes: they may take effect at any later time.
    package var start: Int64
    package var end: Int64
    /// Who asked (client and node); reported, not checked.
    package var client: Int
    package var node: Int

    package init(
        key: String, kind: Kind, outcome: Outcome, start: Int64, end: Int64, client: Int = 0, node: Int = 0
    ) {
        self.key = key
        self.kind = kind
        self.outcome = outcome
        self.start = start
        self.end = end
        self.client = client
        self.node = node
    }

    /// Whether the operation can have changed the key.
    var mayWrite: Bool {
        switch kind {
        case .get, .listVersions: false
        case .put, .delete, .putIfAbsent, .putIfMatch: true
        }
    }

    /// Whether the checker must place it: failed writes did not happen, and reads that did not
    /// answer observed nothing.
    var matters: Bool {
        switch outcome {
        case .ok, .read, .versions, .preconditionFailed, .notFound: true
        case .failed: false
        case .unknown: mayWrite
        }
    }

    /// Ends at infinity when the outcome is unknown.
    var effectiveEnd: Int64 {
        if case .unknown = outcome { return .max }
        return end
    }
}
