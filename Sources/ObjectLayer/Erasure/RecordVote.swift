package import StowageCore

/// The version of a key the drives of a set agree on, and who disagrees.
package struct ResolvedRecord: Sendable {
    /// The winning record, or nil when the key is absent.
    package var record: ObjectRecord?
    /// Positions whose copy is the winner (or, when absent, that have no copy).
    package var agreeing: [Int]
    /// Positions that answered with another version, a damaged record, or a copy where there
    /// should be none: the drives healing must rewrite.
    package var stale: [Int]
    /// Of `stale`, the positions whose record could not be read (not a different answer).
    package var damaged: [Int] = []

    package var isUnanimous: Bool { stale.isEmpty }
    /// Whether some drive answered with another version (or absence) than the winner's.
    package var isContested: Bool { stale.count > damaged.count }
    /// Whether the drives that did not answer could overturn the winner by siding with a state
    /// other drives hold (`RecordVote.couldFlip`); set by the set's read.
    package var couldFlip = false
}

/// Picks a version from the drives' copies of one key's record.
///
/// Rule: the version held by the most drives wins; a tie goes to the newest record (by
/// version order, then ETag), and a record beats absence on a tie, so a tie never loses
/// an acknowledged write. A write reaches a write quorum (more than half the set when K = M,
/// at least K otherwise), so an acknowledged version outvotes older ones unless more than M
/// drives fail at once.
enum RecordVote {
    /// `copies[position]`: `.success(record or nil)` for a drive that answered; a failure for a
    /// drive whose record could not be read; `.offline` for none.
    static func resolve(_ copies: [DriveAnswer<ObjectRecord?>]) -> ResolvedRecord {
        var candidates: [(record: ObjectRecord, positions: [Int])] = []
        var absent: [Int] = []
        var damaged: [Int] = []
        for (position, answer) in copies.enumerated() {
            switch answer {
            case .offline: continue
            case .failure: damaged.append(position)
            case .success(nil): absent.append(position)
            case .success(let record?):
                if let index = candidates.firstIndex(where: { $0.record.isSameVersion(as: record) }) {
                    candidates[index].positions.append(position)
                } else {
                    candidates.append((record, [position]))
                }
            }
        }
        let best = candidates.max { a, b in
            if a.positions.count != b.positions.count { return a.positions.count < b.positions.count }
            return isOlder(a.record, than: b.record)
        }
        if let best, best.positions.count >= absent.count {
            let stale = candidates.filter { !$0.record.isSameVersion(as: best.record) }.flatMap(\.positions) + absent + damaged
            return ResolvedRecord(record: best.record, agreeing: best.positions, stale: stale.sorted(), damaged: damaged)
        }
        let stale = candidates.flatMap(\.positions) + damaged
        return ResolvedRecord(record: nil, agreeing: absent, stale: stale.sorted(), damaged: damaged)
    }

    /// True when drives that did not answer (offline, or failed) could change the winner of the
    /// full vote by siding with a state other answering drives hold: the answer is not settled,
    /// and another node that reaches those drives could answer differently. This happens when a
    /// change reached some drives and then failed (a writer killed mid-commit, a rollback that
    /// could not reach a drive): a read that served it, and then one that did not, would move
    /// time backwards. Drives nobody reached that all hold an unseen state are not considered
    /// (reads with half the drives away stay possible).
    static func couldFlip(_ copies: [DriveAnswer<ObjectRecord?>], winner: ResolvedRecord) -> Bool {
        var unknown: [Int] = []
        var competitors: [ObjectRecord?] = []
        for (position, answer) in copies.enumerated() {
            switch answer {
            case .offline, .failure: unknown.append(position)
            case .success(let record):
                if sameState(record, winner.record) { continue }
                if !competitors.contains(where: { sameState($0, record) }) { competitors.append(record) }
            }
        }
        guard !unknown.isEmpty else { return false }
        for competitor in competitors {
            var filled = copies
            for position in unknown { filled[position] = .success(competitor) }
            if !sameState(resolve(filled).record, winner.record) { return true }
        }
        return false
    }

    static func sameState(_ a: ObjectRecord?, _ b: ObjectRecord?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case (let a?, let b?): a.isSameVersion(as: b)
        default: false
        }
    }

    /// Version order (`ObjectRecord.isNewer`); two copies of one version that differ (a stale
    /// rewrite) are ordered by ETag, so every node picks the same.
    static func isOlder(_ a: ObjectRecord, than b: ObjectRecord) -> Bool {
        if a.versionStamp != b.versionStamp || a.versionID != b.versionID { return b.isNewer(than: a) }
        return a.etag < b.etag
    }

    /// True when key bytes `a` sort before `b` (S3 lists in UTF-8 binary order).
    static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
