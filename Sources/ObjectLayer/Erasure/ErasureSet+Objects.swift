package import StowageCore

extension ErasureSet {
    /// The current version of a key (possibly a delete marker) by read quorum.
    package func readObject(bucket: String, key: String) async throws -> ResolvedRecord {
        if slots.count == 1 {
            guard let drive = slots[0].drive else {
                throw ObjectLayerError(.insufficientDrives, "\(slots[0].label) is offline")
            }
            let record = try await drive.readObject(bucket: bucket, key: key)
            return ResolvedRecord(record: record, agreeing: [0], stale: [])
        }
        return try await agreedRead(bucket: bucket, key: key, operation: "read \(bucket)/\(key)") {
            try await $0.readObject(bucket: bucket, key: key)
        }
    }

    /// `readObject`, each drive raising the key's fencing token to `fence` first (`Drive`), for
    /// the holder of the key's lock to decide on: a drive that has seen a newer token means the
    /// lock was lost, and the read throws `fenced`. Whatever this resolves, at least
    /// `agreementQuorum` drives agreed on it and were raised, so a writer with an older token
    /// can no longer reach a write quorum: one that would change the answer either reached
    /// enough drives before them (and is what was read) or cannot succeed.
    package func readObject(bucket: String, key: String, fence: Int64) async throws -> ResolvedRecord {
        try await agreedRead(bucket: bucket, key: key, operation: "read \(bucket)/\(key) under its lock") {
            try await $0.readObject(bucket: bucket, key: key, fence: fence)
        }
    }

    /// One version of a key by id, by read quorum.
    package func readVersion(bucket: String, key: String, versionID: String) async throws -> ResolvedRecord {
        try await agreedRead(bucket: bucket, key: key, operation: "read \(bucket)/\(key) version \(versionID)") {
            try await $0.readVersion(bucket: bucket, key: key, versionID: versionID)
        }
    }

    /// Reads a key's record from every online drive and resolves it by vote, once more after a
    /// moment when too few drives agree (a commit on its way to the drives); then throws, and
    /// queues the key for repair.
    private func agreedRead(
        bucket: String, key: String, operation: String, _ read: @escaping @Sendable (any Drive) async throws -> ObjectRecord?
    ) async throws -> ResolvedRecord {
        for attempt in 0..<2 {
            let answers = await fanOut(read)
            for case .failure(let error as DriveError) in answers where error.code == .fenced { throw error }
            try requireAnswers(answers, operation: operation)
            var resolved = RecordVote.resolve(answers)
            if resolved.agreeing.count >= agreementQuorum {
                if resolved.isContested && resolved.agreeing.count < metadataWriteQuorum {
                    resolved.couldFlip = RecordVote.couldFlip(answers, winner: resolved)
                }
                return resolved
            }
            if attempt == 0 { try await LayerEnvironment.sleep(for: .milliseconds(20)) }
        }
        missedWrites?.enqueueMissed(bucket: bucket, key: key)
        throw ObjectLayerError(.insufficientDrives, "\(operation): too few drives agree on the answer")
    }

    /// Drives that must agree on a read's answer (the winner's copy, or no copy when the key is
    /// absent): one more than a write quorum leaves out. A vote among fewer could pick what an
    /// acknowledged write replaced: with 4 of 8 drives answering after a delete that reached 5,
    /// two stale copies tie two absences (the chaos runs found a restarted node serving a
    /// deleted object that way). With this many agreeing, no acknowledged later change can exist:
    /// it would be on at least a write quorum, leaving fewer drives for anything older. The
    /// default layout has the most parity, so the smallest write quorum of the set's layouts.
    var agreementQuorum: Int { max(slots.count - metadataWriteQuorum + 1, 1) }

    /// Whether `resolved` must be written back before it is served: fewer than a write quorum hold
    /// it, other drives answered something else, and the drives that did not answer could tip the
    /// vote to that (`RecordVote.couldFlip`). That is a change that reached some drives and then
    /// failed (its writer killed or cut off mid-commit), or drives that missed one while others are
    /// away: another node reaching other drives could resolve it the other way, so serving it as it
    /// stands could let two reads disagree, or time run backwards. Written back to a write quorum
    /// (the key healed), it outvotes anything any node can see (ABD's read repair).
    package func needsWriteBack(_ resolved: ResolvedRecord) -> Bool {
        slots.count > 1 && resolved.isContested && resolved.agreeing.count < metadataWriteQuorum && resolved.couldFlip
    }

    /// Throws unless `agreementQuorum` drives agree on `resolved` (listings, per key).
    func requireAgreement(_ resolved: ResolvedRecord, operation: String) throws -> ResolvedRecord {
        guard resolved.agreeing.count >= agreementQuorum else {
            throw ObjectLayerError(
                .insufficientDrives,
                "\(operation): \(resolved.agreeing.count) of \(slots.count) drives agree, \(agreementQuorum) needed")
        }
        return resolved
    }

    /// Throws unless at least the read quorum of drives answered (a damaged record counts as an answer).
    func requireAnswers<T>(_ answers: [DriveAnswer<T>], operation: String) throws {
        var answered = 0
        for answer in answers {
            switch answer {
            case .success: answered += 1
            case .failure(let error as DriveError) where error.code == .corrupt: answered += 1
            case .failure, .offline: continue
            }
        }
        guard answered >= metadataReadQuorum else {
            throw ObjectLayerError(
                .insufficientDrives, "\(operation): \(answered) of \(slots.count) drives answered, \(metadataReadQuorum) needed")
        }
    }

    /// Writes `record` on every online drive; at least its write quorum must succeed, or the
    /// write fails and is put back (`apply`). Returns the version with the same id that it
    /// replaced on the first drive that reported one.
    @discardableResult
    package func commitObject(_ record: ObjectRecord, fence: Int64? = nil) async throws -> ObjectRecord? {
        let successes = try await apply(
            .commitObject(record, fence: fence), quorum: writeQuorum(of: record), bucket: record.bucket, key: record.key,
            operation: "write \(record.bucket)/\(record.key)"
        ) { await rollBack($0, record: record, fence: fence) }
        // A drive asked again that had taken the first call reports the record itself.
        return successes.lazy.compactMap(\.value).first { !$0.isSameVersion(as: record) }
    }

    /// `change` on every online drive; at least `quorum` must take it, or it fails and `undo`
    /// puts back the drives that took it, unless it may have reached a quorum after all: drives
    /// whose answer was lost (a timeout, a dropped connection) are asked once more, and when
    /// what they and the confirmed drives hold could still make a quorum, the change is left for
    /// healing instead and fails as `ObjectLayerError.unsettled`. Readers serve a version a
    /// write quorum holds without waiting for its writer, so undoing one that got there makes an
    /// object that was read vanish (the simulation found a PUT whose answers were lost listed,
    /// then rolled back, seed 637 573 266 059). For a client the error is "may or may not have
    /// happened", as for a writer killed mid-commit.
    private func apply(
        _ change: GroupedChange, quorum: Int, bucket: String, key: String, operation: String,
        undo: ([DriveAnswer<ObjectRecord?>]) async -> Void
    ) async throws -> [(position: Int, value: ObjectRecord?)] {
        var answers = await fanOut(change)
        if answers.filter(\.isSuccess).count < quorum, Self.mayHold(answers) >= quorum {
            answers = await askAgain(change, where: answers)
        }
        do {
            let successes = try requireQuorum(answers, quorum, operation)
            noteMissed(successes, bucket: bucket, key: key)
            return successes
        } catch {
            if Self.mayHold(answers) >= quorum {
                missedWrites?.enqueueMissed(bucket: bucket, key: key)
                throw ObjectLayerError.unsettled(error, operation)
            }
            await undo(answers)
            throw error
        }
    }

    /// Drives that took a change or may have: those that answered yes, and those whose answer
    /// was lost on its way back.
    static func mayHold<T>(_ answers: [DriveAnswer<T>]) -> Int {
        answers.filter { answer in
            switch answer {
            case .success: true
            case .offline: false
            case .failure(let error): isLostAnswer(error)
            }
        }.count
    }

    static func isLostAnswer(_ error: any Error) -> Bool { (error as? DriveError)?.answerLost == true }

    /// A failure that says the change took no effect on that drive.
    static func isClearRefusal(_ error: any Error) -> Bool {
        guard let error = error as? DriveError else { return false }
        return [.fenced, .bucketNotFound, .notFound, .full].contains(error.code)
    }

    /// `answers`, with the drives whose answer was lost asked `change` again, once.
    func askAgain(_ change: GroupedChange, where answers: [DriveAnswer<ObjectRecord?>]) async -> [DriveAnswer<ObjectRecord?>] {
        var merged = answers
        await withTaskGroup(of: (Int, DriveAnswer<ObjectRecord?>).self) { group in
            for (position, answer) in answers.enumerated() {
                guard case .failure(let error) = answer, Self.isLostAnswer(error), let drive = slots[position].drive else {
                    continue
                }
                group.addTask {
                    do { return (position, .success(try await change.apply(to: drive))) } catch { return (position, .failure(error)) }
                }
            }
            for await (position, answer) in group { merged[position] = answer }
        }
        return merged
    }

    /// Drives that must take `record` for its write to succeed: its layout's write quorum, or for a
    /// record without one (a delete marker, which has no shards), the set's metadata write quorum.
    /// A marker used to take the quorum of a one-drive layout, one drive: the chaos runs found a
    /// DELETE answered 204 by a node that had just restarted and reached only its own drives, and
    /// its marker then lost every vote and was healed away.
    func writeQuorum(of record: ObjectRecord) -> Int {
        record.erasure == nil ? metadataWriteQuorum : record.layout.writeQuorum
    }

    /// Puts back the replaced version (or removes the new one) on drives that accepted a write
    /// that then missed quorum, and on drives that failed it without a clear refusal: a call
    /// that timed out may still take effect (a paused node, a frozen disk, a message in a
    /// socket's buffer), after the write was given up. The undo goes to them after the write on
    /// the same connection, so it lands after it (or finds nothing to undo). The simulation found
    /// a failed overwrite that reached two drives late, after the others were put back: the
    /// version it replaced was then outvoted and its data lost. Undos carry the write's fence, so
    /// none can touch what a later holder of the key's lock wrote.
    func rollBack(_ answers: [DriveAnswer<ObjectRecord?>], record: ObjectRecord, fence: Int64?) async {
        // What the write replaced on the drives that did not answer: for a new version id,
        // nothing (the undo removes it, or finds nothing). For the null version, what enough of
        // the drives that answered reported replacing (`agreementQuorum`, as a read needs): a
        // drive that had missed earlier writes reports a stale version, and putting that back
        // everywhere would bring back what an acknowledged write replaced (the simulation found
        // it). Without such agreement those drives are left to the vote and to healing.
        let undoElsewhere: ObjectRecord?? = record.versionID != "null" ? .some(nil) : replacedByQuorum(answers, record: record)
        // All at once: a drive that does not answer must not keep the others' undo waiting (the
        // half-done write stays visible meanwhile).
        await withTaskGroup(of: Void.self) { group in
            for (position, answer) in answers.enumerated() {
                guard let drive = slots[position].drive else { continue }
                let replaced: ObjectRecord?
                switch answer {
                case .offline: continue
                case .success(let reported) where reported?.isSameVersion(as: record) != true: replaced = reported
                case .success:
                    // Asked again after taking the first call: what it replaced then is unknown.
                    guard let undo = undoElsewhere else { continue }
                    replaced = undo
                case .failure(let error):
                    // A clear refusal took no effect there.
                    if Self.isClearRefusal(error) { continue }
                    guard let undo = undoElsewhere else { continue }
                    replaced = undo
                }
                group.addTask {
                    if let replaced {
                        _ = try? await drive.commitObject(replaced, fence: fence)
                    } else {
                        _ = try? await drive.deleteVersion(
                            bucket: record.bucket, key: record.key, versionID: record.versionID, fence: fence)
                    }
                }
            }
        }
    }

    /// The version most drives that took a write reported replacing (nil inside: none), when
    /// at least `agreementQuorum` of them agree; nil when they do not.
    func replacedByQuorum(_ answers: [DriveAnswer<ObjectRecord?>], record: ObjectRecord) -> ObjectRecord?? {
        var groups: [(replaced: ObjectRecord?, count: Int)] = []
        for case .success(let replaced) in answers where replaced?.isSameVersion(as: record) != true {
            if let index = groups.firstIndex(where: { RecordVote.sameState($0.replaced, replaced) }) {
                groups[index].count += 1
            } else {
                groups.append((replaced, 1))
            }
        }
        guard let best = groups.max(by: { $0.count < $1.count }), best.count >= agreementQuorum else { return nil }
        return .some(best.replaced)
    }

    /// Removes one version on every online drive (write quorum of the set's default layout), or
    /// puts it back on the drives that removed it and fails (`apply`). Returns the removed version as the
    /// first drive that had it reported it.
    @discardableResult
    package func deleteVersion(bucket: String, key: String, versionID: String, fence: Int64? = nil) async throws
        -> ObjectRecord?
    {
        let successes = try await apply(
            .deleteVersion(bucket: bucket, key: key, versionID: versionID, fence: fence), quorum: metadataWriteQuorum,
            bucket: bucket, key: key, operation: "delete \(bucket)/\(key) version \(versionID)"
        ) { await restoreRemoved($0) }
        return successes.lazy.compactMap(\.value).first
    }

    /// Commits again the versions drives removed for a delete that missed quorum. Their shards
    /// are gone from those drives (freed with the record); the drives that kept the version hold
    /// enough to read it, and healing rebuilds the rest. Without this, a refused delete stayed
    /// on the drives that took it: half the set against the other half, and nodes reaching
    /// different halves answered differently.
    func restoreRemoved(_ answers: [DriveAnswer<ObjectRecord?>]) async {
        for (position, answer) in answers.enumerated() {
            guard case .success(let removed?) = answer, let drive = slots[position].drive else { continue }
            _ = try? await drive.commitObject(removed)
            missedWrites?.enqueueMissed(bucket: removed.bucket, key: removed.key)
        }
    }

    /// Up to `limit` records of the set with `prefix` after `after` in key order, each resolved
    /// by vote; fewer only when no more keys exist.
    ///
    /// Each drive lists the same range; where a drive's page ended early (it was full), the merge
    /// stops at the smallest such last key, so every key returned was seen by every answering
    /// drive (or known absent from it).
    package func listObjects(bucket: String, prefix: String, after: [UInt8]?, inclusive: Bool, limit: Int) async throws
        -> [ObjectRecord]
    {
        if slots.count == 1 {
            guard let drive = slots[0].drive else {
                throw ObjectLayerError(.insufficientDrives, "\(slots[0].label) is offline")
            }
            return try await drive.listObjects(bucket: bucket, prefix: prefix, after: after, inclusive: inclusive, limit: limit)
        }
        var result: [ObjectRecord] = []
        var cursor = after
        var cursorInclusive = inclusive
        while result.count < limit {
            let want = limit - result.count
            let (resolved, boundary) = try await listRound(
                bucket: bucket, prefix: prefix, after: cursor, inclusive: cursorInclusive, limit: want)
            for entry in resolved {
                if let record = entry.record.record { result.append(record) }
                if result.count == limit { break }
            }
            guard let boundary else { break }
            cursor = Array(boundary.utf8)
            cursorInclusive = false
        }
        return result
    }

    /// One merged page. `boundary` is the last key covered when more may follow, nil at the end.
    private func listRound(bucket: String, prefix: String, after: [UInt8]?, inclusive: Bool, limit: Int) async throws
        -> (entries: [(key: String, record: ResolvedRecord)], boundary: String?)
    {
        let answers = await fanOut {
            try await $0.listObjects(bucket: bucket, prefix: prefix, after: after, inclusive: inclusive, limit: limit)
        }
        try requireAnswers(answers, operation: "list \(bucket)")
        // Keyed by the key's bytes: S3 keys that Swift's String equality would merge (composed and
        // decomposed "é") are different keys.
        let (entries, boundary) = Self.mergePages(answers, limit: limit, identity: { Array($0.key.utf8) }) {
            RecordVote.precedes($0.key, $1.key)
        }
        for entry in entries {
            _ = try requireAgreement(entry.resolved, operation: "list \(bucket)")
            if entry.resolved.agreeing.count < metadataWriteQuorum { UnsettledKeys.current?.note(entry.record.key) }
        }
        return (entries.map { ($0.record.key, $0.resolved) }, boundary?.key)
    }

    /// The last entry of the shortest page that came back full (`limit` entries), in `precedes`
    /// order: as far as the drives' pages together are complete. Nil when every page ended short.
    static func pageBoundary(
        _ answers: [DriveAnswer<[ObjectRecord]>], limit: Int, precedes: (ObjectRecord, ObjectRecord) -> Bool
    ) -> ObjectRecord? {
        var boundary: ObjectRecord?
        for answer in answers {
            guard let page = answer.value, page.count == limit, let last = page.last else { continue }
            if boundary == nil || precedes(last, boundary!) { boundary = last }
        }
        return boundary
    }

    /// Merges the drives' pages of one listing: as far as the shortest page that came back full
    /// (`boundary`, nil when every page ended short), the copies of each entry grouped by
    /// `identity`, in `precedes` order, each resolved by vote. A drive that answered without an
    /// entry counts as not having it; one whose listing failed, as damaged for every entry.
    static func mergePages<Identity: Hashable>(
        _ answers: [DriveAnswer<[ObjectRecord]>], limit: Int, identity: (ObjectRecord) -> Identity,
        precedes: (ObjectRecord, ObjectRecord) -> Bool
    ) -> (entries: [(record: ObjectRecord, resolved: ResolvedRecord)], boundary: ObjectRecord?) {
        let boundary = pageBoundary(answers, limit: limit, precedes: precedes)
        let absent: [DriveAnswer<ObjectRecord?>] = answers.map { answer in
            switch answer {
            case .success: .success(nil)
            case .failure(let error): .failure(error)
            case .offline: .offline
            }
        }
        var copies: [Identity: (record: ObjectRecord, copies: [DriveAnswer<ObjectRecord?>])] = [:]
        for (position, answer) in answers.enumerated() {
            guard let page = answer.value else { continue }
            for record in page {
                if let boundary, precedes(boundary, record) { break }
                let id = identity(record)
                var entry = copies[id] ?? (record, absent)
                entry.copies[position] = .success(record)
                copies[id] = entry
            }
        }
        return (copies.values.sorted { precedes($0.record, $1.record) }.map { ($0.record, RecordVote.resolve($0.copies)) }, boundary)
    }

    // MARK: Versions

    /// Up to `limit` versions of the set after `after` in listing order, each resolved by vote;
    /// fewer only when no more exist. Merged like `listObjects`, with a version as the unit.
    package func listVersions(bucket: String, prefix: String, after: VersionCursor?, limit: Int) async throws
        -> [ObjectRecord]
    {
        if slots.count == 1 {
            guard let drive = slots[0].drive else {
                throw ObjectLayerError(.insufficientDrives, "\(slots[0].label) is offline")
            }
            return try await drive.listVersions(bucket: bucket, prefix: prefix, after: after, limit: limit)
        }
        var result: [ObjectRecord] = []
        var cursor = after
        while result.count < limit {
            let want = limit - result.count
            let from = cursor
            let answers = await fanOut { try await $0.listVersions(bucket: bucket, prefix: prefix, after: from, limit: want) }
            try requireAnswers(answers, operation: "list versions \(bucket)")
            let (entries, boundary) = Self.mergePages(
                answers, limit: want, identity: VersionIdentity.init, precedes: VersionCursor.precedes)
            for entry in entries {
                _ = try requireAgreement(entry.resolved, operation: "list versions \(bucket)")
                if entry.resolved.agreeing.count < metadataWriteQuorum { UnsettledKeys.current?.note(entry.record.key) }
                if let record = entry.resolved.record { result.append(record) }
                if result.count == limit { break }
            }
            guard let boundary else { break }
            cursor = VersionCursor(after: boundary)
        }
        return result
    }
}

/// What identifies one version in a listing merge: key bytes, stamp and id.
struct VersionIdentity: Hashable {
    var key: [UInt8]
    var stamp: Int64
    var versionID: String

    init(_ record: ObjectRecord) {
        key = Array(record.key.utf8)
        stamp = record.versionStamp
        versionID = record.versionID
    }
}
