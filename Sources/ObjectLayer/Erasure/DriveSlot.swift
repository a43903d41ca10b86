package import StowageCore
internal import Synchronization

/// One position of an erasure set and the drive in it, if it is online.
///
/// Drive health as a small state machine: a slot is `online` with a drive, or `offline` with a
/// reason; the health monitor takes a drive offline when its check fails and puts a drive back
/// (reopened, or freshly formatted in place of a lost one) when it can. Requests only ever see
/// a snapshot: the drive they were handed, or none. Each coming online starts a new generation,
/// so a failed check takes the drive offline only if it is still the drive that was checked —
/// without comparing drives by object identity, which a value (a remote drive) does not have.
package final class DriveSlot: Sendable {
    package let setIndex: Int
    package let position: Int
    /// Where the drive lives (a folder today; a node and folder in a cluster).
    package let location: String
    /// `full`: taken offline because it ran out of space (writes then answer 507, not 503).
    private let state: Mutex<(current: State, generation: UInt64, full: Bool)>

    package enum State: Sendable {
        case online(any Drive)
        case offline(reason: String)
    }

    package init(setIndex: Int, position: Int, location: String, state: State) {
        self.setIndex = setIndex
        self.position = position
        self.location = location
        self.state = Mutex((state, 0, false))
    }

    /// The drive, when online.
    package var drive: (any Drive)? { onlineDrive?.drive }

    /// The drive, when online, with the generation it came online in (for `markOffline`).
    package var onlineDrive: (drive: any Drive, generation: UInt64)? {
        state.withLock { state in
            if case .online(let drive) = state.current { return (drive, state.generation) }
            return nil
        }
    }

    package var offlineReason: String? {
        state.withLock { state in
            if case .offline(let reason) = state.current { return reason }
            return nil
        }
    }

    /// Whether the drive is offline because it ran out of space (it stays so while reopening it fails).
    package var isOfflineFull: Bool {
        state.withLock { state in
            if case .offline = state.current { return state.full }
            return false
        }
    }

    /// What a drive taken offline for want of space answers in its place (nil when online or
    /// offline for another cause): a write refused for it is refused for a full drive (507), on
    /// this node and on the nodes that reach it over the internode protocol.
    package var offlineError: DriveError? {
        isOfflineFull ? DriveError(.full, "\(label) is offline: out of space") : nil
    }

    /// Takes the drive of `generation` offline, unless it was already taken offline or replaced
    /// since. Returns true if this call did it. `full`: for want of space.
    @discardableResult
    package func markOffline(generation: UInt64, reason: String, full: Bool = false) -> Bool {
        state.withLock { state in
            guard case .online = state.current, state.generation == generation else { return false }
            state.current = .offline(reason: reason)
            state.full = full
            return true
        }
    }

    /// Keeps the drive offline with a new reason (the cause it went offline for, full or not, stays).
    package func setOffline(reason: String) {
        state.withLock { $0.current = .offline(reason: reason) }
    }

    package func setOnline(_ drive: any Drive) {
        state.withLock { state in
            state.current = .online(drive)
            state.generation &+= 1
            state.full = false
        }
    }

    package var label: String { "set \(setIndex) drive \(position) (\(location))" }

    // MARK: Free space

    /// The online drive's last answer to `availableBytes`, when it was asked, and the generation
    /// of the drive that answered.
    private let space = Mutex<(bytes: Int64, asked: Int64, generation: UInt64)?>(nil)

    /// The online drive's free space as it answered at most `maxAge` ago, less what writes
    /// claimed since (`claim`); nil when there is no such answer (or the drive is offline).
    package func recentSpace(maxAge: Duration) -> Int64? {
        let now = LayerEnvironment.now()
        let maxAge = LayerEnvironment.nanoseconds(maxAge)
        return state.withLock { state -> UInt64? in
            if case .online = state.current { return state.generation }
            return nil
        }.flatMap { generation in
            space.withLock { space in
                guard let space, space.generation == generation, now - space.asked < maxAge else { return nil }
                return space.bytes
            }
        }
    }

    /// Asks the online drive for its free space and remembers the answer (a failure forgets the
    /// last one, so the drive is asked again at the next write); nil when offline.
    package func measureSpace() async throws -> Int64? {
        guard let (drive, generation) = onlineDrive else { return nil }
        let asked = LayerEnvironment.now()
        do {
            let bytes = try await drive.availableBytes()
            space.withLock { $0 = (bytes, asked, generation) }
            return bytes
        } catch {
            space.withLock { $0 = nil }
            throw error
        }
    }

    /// Lowers the remembered free space by what an admitted write is about to take.
    package func claim(_ bytes: Int64) {
        space.withLock { if $0 != nil { $0!.bytes -= bytes } }
    }
}
