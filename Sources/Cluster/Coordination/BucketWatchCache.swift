internal import Synchronization
package import StowageCore

/// This node's copy of the bucket records in etcd, kept current by a watch, for reads.
///
/// Entries carry the etcd revision of what they say; an older answer never replaces a newer
/// one, and deletions stay as tombstones, so a watch event and a direct read arriving in
/// either order settle on the newer. While no watch runs (`isLive` false: not started, or
/// broken and being restored) nothing is answered from here.
///
/// What a read may see: a change made through another node reaches this copy after etcd
/// delivers the watch event (milliseconds). A bucket this copy does not know is always looked
/// up in etcd, so a bucket created anywhere is usable at once through any node; a deleted or
/// reconfigured one may show its old record for that moment. Writes read etcd, never this.
package final class BucketWatchCache: Sendable {
    private struct State {
        var live = false
        /// The watch's position: changes after it are still to come.
        var revision: Int64 = 0
        var entries: [String: (record: BucketRecord?, revision: Int64)] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    package var isLive: Bool { state.withLock { $0.live } }
    package var revision: Int64 { state.withLock { $0.revision } }

    /// The record of an existing bucket, when known and the watch is live.
    package func lookup(_ name: String) -> BucketRecord? {
        state.withLock { $0.live ? $0.entries[name]?.record : nil }
    }

    /// Starts over from a listing at `revision` (the watch then runs from there).
    package func reset(_ records: [(BucketRecord, Int64)], at revision: Int64) {
        state.withLock { state in
            state.entries = Dictionary(records.map { ($0.0.name, (Optional($0.0), $0.1)) }, uniquingKeysWith: { $1 })
            state.revision = revision
            state.live = true
        }
    }

    /// A change from the watch (record nil: deleted).
    package func apply(_ name: String, _ record: BucketRecord?, revision: Int64) {
        state.withLock { state in
            state.revision = max(state.revision, revision)
            Self.store(&state, name, record, revision)
        }
    }

    /// What a direct read of etcd found (at `revision`, the key's modification).
    package func learn(_ record: BucketRecord, revision: Int64) {
        state.withLock { Self.store(&$0, record.name, record, revision) }
    }

    /// This node changed the bucket: answer from etcd until the watch has the change.
    package func forget(_ name: String) {
        state.withLock { state in
            if state.entries[name]?.record != nil { state.entries[name] = nil }
        }
    }

    /// The watch broke: nothing is answered from here until it is restored.
    package func suspend() {
        state.withLock { $0.live = false }
    }

    private static func store(_ state: inout State, _ name: String, _ record: BucketRecord?, _ revision: Int64) {
        if let known = state.entries[name], known.revision >= revision { return }
        state.entries[name] = (record, revision)
    }
}
