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

    package var isUnanimous: Bool { stale.isEmpty }
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
            return ResolvedRecord(record: best.record, agreeing: best.positions, stale: stale.sorted())
        }
        let stale = candidates.flatMap(\.positions) + damaged
        return ResolvedRecord(record: nil, agreeing: absent, stale: stale.sorted())
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
