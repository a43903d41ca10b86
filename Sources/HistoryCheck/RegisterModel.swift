/// The sequential specification the checker holds a key's history to: one S3 key as a register
/// of versions.
///
/// Values are interned (`Int32`, one per distinct body); `absent` stands for no object (or a
/// delete marker), `unknown` for "anything" — the state a window of a history starts from when
/// the operations before it are left out (`LinearizabilityChecker.window`), so that a window is
/// reported only if no starting state explains it.
struct RegisterState: Hashable {
    static let absent: Int32 = -1
    static let unknown: Int32 = -2
    /// Any value that no operation of the history reads, lists or expects: which one of them the
    /// register holds changes no outcome, so they are one value to the search (`ValueTable`).
    static let unseen: Int32 = -3

    /// The current version's value.
    var current: Int32
    /// The key's versions, oldest first (`absent` for a delete marker); only kept when the
    /// history lists versions. With `complete` false, versions unknown to the checker may
    /// precede these.
    var versions: [Int32]
    var complete: Bool

    static let empty = RegisterState(current: absent, versions: [], complete: true)
    static let anything = RegisterState(current: unknown, versions: [], complete: false)
}

/// An operation with interned values, ready for `RegisterModel.step`.
struct ModelOperation: Hashable {
    enum Kind: Hashable {
        case put(Int32)
        case get
        case delete
        case putIfAbsent(Int32)
        case putIfMatch(expected: Int32, value: Int32)
        case listVersions
    }

    enum Outcome: Hashable {
        case ok
        case read(Int32)
        case versions([Int32])
        case preconditionFailed
        case notFound
        case unknown
    }

    var kind: Kind
    var outcome: Outcome
}

struct RegisterModel {
    /// Whether versions are tracked (the history lists them).
    var tracksVersions: Bool
    /// The key's versions as the history's last operation, a listing concurrent with no other,
    /// saw them: every write that took effect is there, in its order, so the versions are always
    /// a prefix of these until that listing, and a write may only append the next one (it prunes
    /// the search; it rules out no linearization).
    var finalVersions: [Int32]? = nil

    /// The state after `operation` takes effect in `state`, or nil when its outcome cannot
    /// happen there. Operations with an unknown outcome always can: where their condition
    /// holds they took effect, elsewhere they failed.
    func step(_ state: RegisterState, _ operation: ModelOperation) -> RegisterState? {
        switch (operation.kind, operation.outcome) {
        case (.put(let value), .ok), (.put(let value), .unknown):
            return written(state, value)
        case (.delete, .ok), (.delete, .unknown):
            return written(state, RegisterState.absent)
        case (.get, .read(let value)):
            return observed(state, current: value)
        case (.putIfAbsent(let value), .ok):
            guard let absent = observed(state, current: RegisterState.absent) else { return nil }
            return written(absent, value)
        case (.putIfAbsent, .preconditionFailed):
            return state.current == RegisterState.absent ? nil : state
        case (.putIfAbsent(let value), .unknown):
            return conditionallyWritten(state, value, when: RegisterState.absent)
        case (.putIfMatch(let expected, let value), .ok):
            guard let matching = observed(state, current: expected) else { return nil }
            return written(matching, value)
        case (.putIfMatch(let expected, _), .preconditionFailed):
            return state.current == expected || state.current == RegisterState.absent ? nil : state
        case (.putIfMatch, .notFound):
            return observed(state, current: RegisterState.absent)
        case (.putIfMatch(let expected, let value), .unknown):
            return conditionallyWritten(state, value, when: expected)
        case (.listVersions, .versions(let listed)):
            return listedVersions(state, listed)
        default:
            // An outcome the operation cannot have (a GET that "succeeded" without a read):
            // refused, so the history is reported rather than silently accepted.
            return nil
        }
    }

    private func written(_ state: RegisterState, _ value: Int32) -> RegisterState? {
        var next = state
        next.current = value
        if tracksVersions {
            if let finalVersions, state.complete {
                // Past the end: an unknown write placed after the listing, where nothing sees it.
                guard state.versions.count >= finalVersions.count || finalVersions[state.versions.count] == value else {
                    return nil
                }
            }
            next.versions.append(value)
        }
        return next
    }

    private func conditionallyWritten(_ state: RegisterState, _ value: Int32, when condition: Int32) -> RegisterState? {
        if state.current == condition { return written(state, value) }
        if state.current != RegisterState.unknown { return state }
        // Whether it took effect depends on what came before the window: either may be true.
        var next = state
        if tracksVersions {
            next.versions = []
            next.complete = false
        }
        return next
    }

    private func observed(_ state: RegisterState, current value: Int32) -> RegisterState? {
        if state.current == value { return state }
        guard state.current == RegisterState.unknown else { return nil }
        var next = state
        next.current = value
        return next
    }

    private func listedVersions(_ state: RegisterState, _ listed: [Int32]) -> RegisterState? {
        guard tracksVersions else { return nil }
        if state.complete {
            guard listed == state.versions else { return nil }
        } else {
            guard listed.count >= state.versions.count, Array(listed.suffix(state.versions.count)) == state.versions
            else { return nil }
        }
        let current = listed.last ?? RegisterState.absent
        guard var next = observed(state, current: current) else { return nil }
        next.versions = listed
        next.complete = true
        return next
    }
}
