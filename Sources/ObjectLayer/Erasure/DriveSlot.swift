package import StowageCore
internal import Synchronization

/// One position of an erasure set and the drive in it, if it is online.
///
/// Drive health as a small state machine: a slot is `online` with a drive, or `offline` with a
/// reason; the health monitor takes a drive offline when its check fails and puts a drive back
/// (reopened, or freshly formatted in place of a lost one) when it can. Requests only ever see
/// a snapshot: the drive they were handed, or none.
package final class DriveSlot: Sendable {
    package let setIndex: Int
    package let position: Int
    /// Where the drive lives (a folder today; a node and folder in a cluster).
    package let location: String
    private let state: Mutex<State>

    package enum State: Sendable {
        case online(any Drive)
        case offline(reason: String)
    }

    package init(setIndex: Int, position: Int, location: String, state: State) {
        self.setIndex = setIndex
        self.position = position
        self.location = location
        self.state = Mutex(state)
    }

    /// The drive, when online.
    package var drive: (any Drive)? {
        state.withLock { state in
            if case .online(let drive) = state { return drive }
            return nil
        }
    }

    package var offlineReason: String? {
        state.withLock { state in
            if case .offline(let reason) = state { return reason }
            return nil
        }
    }

    /// Takes the drive offline unless it was already replaced. Returns true if this call did it.
    @discardableResult
    package func markOffline(_ drive: any Drive, reason: String) -> Bool {
        state.withLock { state in
            guard case .online(let current) = state, current === drive else { return false }
            state = .offline(reason: reason)
            return true
        }
    }

    package func setOffline(reason: String) {
        state.withLock { $0 = .offline(reason: reason) }
    }

    package func setOnline(_ drive: any Drive) {
        state.withLock { $0 = .online(drive) }
    }

    package var label: String { "set \(setIndex) drive \(position) (\(location))" }
}

/// Identity comparison for drives (they are reference types in every implementation).
func === (lhs: any Drive, rhs: any Drive) -> Bool {
    ObjectIdentifier(lhs as AnyObject) == ObjectIdentifier(rhs as AnyObject)
}
