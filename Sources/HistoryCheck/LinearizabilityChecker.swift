/// Decides whether a history of operations on keys is linearizable: whether some total order of
/// the operations, each placed at one instant between its invocation and its completion, makes
/// every result the one `RegisterModel` gives.
///
/// The search is Wing & Gong's, with Lowe's memoisation as Porcupine implements it: invocations
/// and completions in time order in a linked list; linearize the first pending invocation whose
/// outcome the model allows, backtrack at a completion that nothing placed, and never revisit a
/// (set of placed operations, state) pair. Keys are independent (linearizability is local), so
/// each key's history is checked alone. An operation whose outcome is unknown completes at
/// infinity: it may take effect at any time after its invocation, or, placed after everything,
/// not at all as far as anyone observed.
package struct LinearizabilityChecker: Sendable {
    /// The verdict on one key.
    package enum Verdict: Sendable, Equatable {
        case linearizable
        /// No order explains the history. `window` is the smallest run of operations found that
        /// no starting state explains either, in invocation order (see `window(of:)`).
        case violation(window: [HistoryOperation])
        /// The search exceeded its budget: neither proven nor refuted.
        case gaveUp
    }

    /// Search steps allowed per key before giving up.
    package var budget: Int

    package init(budget: Int = 5_000_000) {
        self.budget = budget
    }

    /// The verdict for every key of `history`, in key order.
    package func check(_ history: [HistoryOperation]) -> [(key: String, verdict: Verdict, operations: Int)] {
        let byKey = Dictionary(grouping: history, by: \.key)
        return byKey.keys.sorted().map { key in
            let operations = byKey[key]!
            return (key, verdict(for: operations), operations.count)
        }
    }

    /// The verdict for the operations of one key.
    package func verdict(for operations: [HistoryOperation]) -> Verdict {
        let relevant = Self.withoutWritesAfterLastListing(Self.boundingObservedUnknowns(operations.filter(\.matters)))
        // Unknown outcomes are what makes the search explode (each may be placed anywhere after
        // its invocation). First look for a witness with the unknown writes nobody observed placed
        // after everything (left out): if one exists, it is a linearization of the whole history.
        // Only the full search may reject.
        for reduced in Self.withoutUnobservedUnknowns(relevant) where search(reduced, from: .empty) == true {
            return .linearizable
        }
        switch search(relevant, from: .empty) {
        case .some(true): return .linearizable
        case .none: return .gaveUp
        case .some(false): return .violation(window: window(of: relevant))
        }
    }

    /// `operations` with every unknown-outcome write whose value someone observed turned into a
    /// successful write that completed when its first observer did: values are unique, so only
    /// that write can have produced what was read or listed, and it took effect before the
    /// observer did. Exact: the result is linearizable exactly when the history is. (Left
    /// pending at infinity, such writes let the search try every later place for them.)
    static func boundingObservedUnknowns(_ operations: [HistoryOperation]) -> [HistoryOperation] {
        var firstSeen: [String: Int64] = [:]
        func saw(_ value: String, at end: Int64) { firstSeen[value] = min(firstSeen[value] ?? .max, end) }
        for operation in operations where operation.outcome != .unknown {
            switch (operation.kind, operation.outcome) {
            case (_, .read(let value?)): saw(value, at: operation.end)
            case (_, .versions(let listed)): for value in listed.compactMap({ $0 }) { saw(value, at: operation.end) }
            case (.putIfMatch(let expected, _), .ok): saw(expected, at: operation.end)
            default: break
            }
        }
        return operations.map { operation in
            guard operation.outcome == .unknown else { return operation }
            let value: String
            switch operation.kind {
            case .put(let written), .putIfAbsent(let written), .putIfMatch(_, let written): value = written
            case .delete, .get, .listVersions: return operation
            }
            guard let end = firstSeen[value], end >= operation.start else { return operation }
            var bounded = operation
            bounded.outcome = .ok
            bounded.end = end
            return bounded
        }
    }

    /// `operations` without the unknown-outcome writes that can only have taken effect after
    /// everything observable: when the last operation with a known outcome is a version listing,
    /// concurrent with no other, every write that took effect before it is in its list (versions
    /// are never removed in this model, and values are unique), so an unknown write whose value
    /// it does not list took effect after it or not at all — unobservable either way. Deletes
    /// count when it lists no delete marker. The result is linearizable exactly when the history is.
    static func withoutWritesAfterLastListing(_ operations: [HistoryOperation]) -> [HistoryOperation] {
        guard let listed = finalListing(operations) else { return operations }
        let values = Set(listed.compactMap { $0 })
        let markers = listed.contains { $0 == nil }
        return operations.filter { operation in
            guard operation.outcome == .unknown else { return true }
            switch operation.kind {
            case .put(let value), .putIfAbsent(let value), .putIfMatch(_, let value): return values.contains(value)
            case .delete: return markers
            case .get, .listVersions: return true
            }
        }
    }

    /// What the last operation with a known outcome listed, when it is a version listing
    /// concurrent with no other known operation.
    static func finalListing(_ operations: [HistoryOperation]) -> [String?]? {
        let known = operations.filter { $0.outcome != .unknown }
        guard let last = known.max(by: { $0.start < $1.start }), case .versions(let listed) = last.outcome,
            known.allSatisfy({ $0 == last || $0.end < last.start })
        else { return nil }
        return listed
    }

    /// Histories to try first: without the unknown-outcome writes whose value no operation
    /// observed (deletes included, whose "value" cannot be told apart), then without only those
    /// with a value. Placing such a write last is one of its possible placements, so a
    /// linearization of a reduced history is one of the whole.
    static func withoutUnobservedUnknowns(_ operations: [HistoryOperation]) -> [[HistoryOperation]] {
        var observed = Set<String>()
        for operation in operations {
            switch (operation.kind, operation.outcome) {
            case (_, .read(let value?)): observed.insert(value)
            case (_, .versions(let listed)): observed.formUnion(listed.compactMap { $0 })
            case (.putIfMatch(let expected, _), .ok): observed.insert(expected)
            default: break
            }
        }
        func unobservedUnknown(_ operation: HistoryOperation, deletesToo: Bool) -> Bool {
            guard operation.outcome == .unknown else { return false }
            switch operation.kind {
            case .put(let value), .putIfAbsent(let value), .putIfMatch(_, let value): return !observed.contains(value)
            case .delete: return deletesToo
            case .get, .listVersions: return false
            }
        }
        var reduced: [[HistoryOperation]] = []
        for deletesToo in [true, false] {
            let candidate = operations.filter { !unobservedUnknown($0, deletesToo: deletesToo) }
            if candidate.count < operations.count, !reduced.contains(where: { $0.count == candidate.count }) {
                reduced.append(candidate)
            }
        }
        return reduced
    }

    /// A small window that shows the violation in `operations` (which is not linearizable):
    /// first the shortest prefix in time that is not (the history as a client saw it at the
    /// moment the impossible answer arrived: operations still running then count as unknown),
    /// then the latest instant from which the operations of that prefix still running then or
    /// later are not linearizable from any starting state.
    func window(of operations: [HistoryOperation]) -> [HistoryOperation] {
        // Many searches: each gets a share (one that gives up counts as "not shown").
        let windowBudget = max(budget / 20, 10_000)
        let ends = Array(Set(operations.map(\.effectiveEnd).filter { $0 != .max })).sorted()
        // Linearizability is closed under prefixes, so failure is monotonic in the cut.
        var low = 0
        var high = ends.count - 1
        while low < high {
            let middle = (low + high) / 2
            if search(Self.prefix(operations, at: ends[middle]), from: .empty, budget: windowBudget) == false {
                high = middle
            } else {
                low = middle + 1
            }
        }
        let cut = ends.isEmpty ? Int64.max : ends[low]
        let prefix = Self.prefix(operations, at: cut)
        let starts = Array(Set(prefix.map(\.start))).sorted(by: >)
        for start in starts {
            // Operations still running at `start` stay in: any of them may explain what follows.
            let window = prefix.filter { $0.effectiveEnd >= start }
            if search(window, from: .anything, budget: windowBudget) == false {
                return window.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
            }
        }
        return prefix.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
    }

    /// The history as it stood at `cut`: operations invoked by then, those still running turned
    /// into unknown writes (reads still running observed nothing yet).
    static func prefix(_ operations: [HistoryOperation], at cut: Int64) -> [HistoryOperation] {
        operations.compactMap { operation in
            guard operation.start <= cut else { return nil }
            guard operation.effectiveEnd > cut else { return operation }
            guard operation.mayWrite else { return nil }
            var running = operation
            running.outcome = .unknown
            return running
        }
    }

    /// true: linearizable; false: not; nil: the budget ran out.
    func search(_ operations: [HistoryOperation], from initial: RegisterState, budget: Int? = nil) -> Bool? {
        let budget = budget ?? self.budget
        if operations.isEmpty { return true }
        let tracksVersions = operations.contains { if case .listVersions = $0.kind { true } else { false } }
        var values = ValueTable()
        if !tracksVersions { values.unseen = Self.unseenValues(operations) }
        let compiled = operations.map { values.compile($0) }
        let twins = Self.earlierTwins(operations, compiled)
        var model = RegisterModel(tracksVersions: tracksVersions)
        if initial == .empty, let final = Self.finalListing(operations) {
            model.finalVersions = final.map { values.id($0) }
        }
        var list = EventList(operations)
        var placed = Bitset(count: operations.count)
        var seen = Set<Memo>()
        var stack: [(call: Int, state: RegisterState)] = []
        var state = initial
        var entry = list.first
        var steps = 0
        while list.first != EventList.end {
            steps += 1
            if steps > budget { return nil }
            let event = list.events[entry]
            if event.isCall, let twin = twins[event.operation], !placed.contains(twin) {
                // Its twin, invoked earlier, goes first (see `earlierTwins`).
                entry = list.next[entry]
            } else if event.isCall {
                if let next = model.step(state, compiled[event.operation]) {
                    var nowPlaced = placed
                    nowPlaced.insert(event.operation)
                    if seen.insert(Memo(placed: nowPlaced, state: next)).inserted {
                        stack.append((entry, state))
                        state = next
                        placed = nowPlaced
                        list.lift(entry)
                        entry = list.first
                        continue
                    }
                }
                entry = list.next[entry]
            } else {
                // A completion before its operation was placed: undo the last placement.
                guard let (call, previous) = stack.popLast() else { return false }
                state = previous
                placed.remove(list.events[call].operation)
                list.unlift(call)
                entry = list.next[call]
            }
        }
        return true
    }

    private struct Memo: Hashable {
        var placed: Bitset
        var state: RegisterState
    }

    /// Values written that no operation reads, lists or names as the ETag it expects. A register
    /// holding one of them answers every operation the same as holding another (values are
    /// compared only to what is read or expected), so the search may treat them as one value:
    /// exact, and it merges states that differ only in which unseen write was last (many writes
    /// refused with a 5xx during a fault, of unknown outcome, made the search explode). Not used
    /// when versions are listed (a listing shows which values were written).
    static func unseenValues(_ operations: [HistoryOperation]) -> Set<String> {
        var written = Set<String>()
        var seen = Set<String>()
        for operation in operations {
            switch operation.kind {
            case .put(let value), .putIfAbsent(let value): written.insert(value)
            case .putIfMatch(let expected, let value):
                written.insert(value)
                seen.insert(expected)
            case .get, .delete, .listVersions: break
            }
            switch operation.outcome {
            case .read(let value?): seen.insert(value)
            case .versions(let listed): seen.formUnion(listed.compactMap { $0 })
            default: break
            }
        }
        return written.subtracting(seen)
    }

    /// For each operation of unknown outcome, the one invoked last before it that is the same
    /// operation to the model (same kind, values and outcome), if any. Two such operations can
    /// trade places in any linearization (neither has a completion to respect, and the earlier
    /// invoked may go wherever the later may), so the search places them in invocation order
    /// only: exact, and it spares the search every order of interchangeable unknown writes.
    static func earlierTwins(_ operations: [HistoryOperation], _ compiled: [ModelOperation]) -> [Int?] {
        var twins = [Int?](repeating: nil, count: operations.count)
        var last: [ModelOperation: Int] = [:]
        let order = operations.indices.sorted { (operations[$0].start, $0) < (operations[$1].start, $1) }
        for index in order where operations[index].outcome == .unknown {
            twins[index] = last[compiled[index]]
            last[compiled[index]] = index
        }
        return twins
    }
}

/// Interns the values of one key's history.
struct ValueTable {
    private var ids: [String: Int32] = [:]
    /// Values that stand as `RegisterState.unseen` (`LinearizabilityChecker.unseenValues`).
    var unseen: Set<String> = []

    mutating func id(_ value: String?) -> Int32 {
        guard let value else { return RegisterState.absent }
        if unseen.contains(value) { return RegisterState.unseen }
        if let id = ids[value] { return id }
        let id = Int32(ids.count)
        ids[value] = id
        return id
    }

    mutating func compile(_ operation: HistoryOperation) -> ModelOperation {
        let kind: ModelOperation.Kind =
            switch operation.kind {
            case .put(let value): .put(id(value))
            case .get: .get
            case .delete: .delete
            case .putIfAbsent(let value): .putIfAbsent(id(value))
            case .putIfMatch(let expected, let value): .putIfMatch(expected: id(expected), value: id(value))
            case .listVersions: .listVersions
            }
        let outcome: ModelOperation.Outcome =
            switch operation.outcome {
            case .ok: .ok
            case .read(let value): .read(id(value))
            case .versions(let listed): .versions(listed.map { id($0) })
            case .preconditionFailed: .preconditionFailed
            case .notFound: .notFound
            case .unknown, .failed: .unknown
            }
        return ModelOperation(kind: kind, outcome: outcome)
    }
}

struct Bitset: Hashable {
    private var words: [UInt64]

    init(count: Int) {
        words = Array(repeating: 0, count: (count + 63) / 64)
    }

    mutating func insert(_ index: Int) {
        words[index / 64] |= 1 << UInt64(index % 64)
    }

    mutating func remove(_ index: Int) {
        words[index / 64] &= ~(1 << UInt64(index % 64))
    }

    func contains(_ index: Int) -> Bool {
        words[index / 64] & (1 << UInt64(index % 64)) != 0
    }
}

/// Invocations and completions in time order, as a doubly linked list that placed operations
/// are lifted out of (both their events) and put back into when the search backtracks.
struct EventList {
    struct Event {
        var operation: Int
        var isCall: Bool
        var time: Int64
    }

    /// The list's head and tail sentinel.
    static let end = 0

    /// Index 0 is the sentinel; events from 1.
    var events: [Event]
    var next: [Int]
    var previous: [Int]
    /// The completion event of each call event.
    var match: [Int]

    var first: Int { next[Self.end] }

    init(_ operations: [HistoryOperation]) {
        var sorted: [Event] = []
        for (index, operation) in operations.enumerated() {
            sorted.append(Event(operation: index, isCall: true, time: operation.start))
            sorted.append(Event(operation: index, isCall: false, time: operation.effectiveEnd))
        }
        // At equal times invocations come first: operations that touch count as concurrent.
        sorted.sort { ($0.time, $0.isCall ? 0 : 1, $0.operation) < ($1.time, $1.isCall ? 0 : 1, $1.operation) }
        events = [Event(operation: -1, isCall: false, time: .min)] + sorted
        let count = events.count
        next = (0..<count).map { ($0 + 1) % count }
        previous = (0..<count).map { ($0 + count - 1) % count }
        match = Array(repeating: 0, count: count)
        var callOf: [Int: Int] = [:]
        for index in 1..<count where events[index].isCall { callOf[events[index].operation] = index }
        for index in 1..<count where !events[index].isCall { match[callOf[events[index].operation]!] = index }
    }

    mutating func lift(_ call: Int) {
        remove(call)
        remove(match[call])
    }

    mutating func unlift(_ call: Int) {
        // Put back in the reverse order of removal.
        restore(match[call])
        restore(call)
    }

    private mutating func remove(_ index: Int) {
        next[previous[index]] = next[index]
        previous[next[index]] = previous[index]
    }

    private mutating func restore(_ index: Int) {
        next[previous[index]] = index
        previous[next[index]] = index
    }
}
