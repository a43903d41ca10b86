package import StowageCore

/// One version of a key as the drives of a set hold it, for healing.
struct ResolvedVersion: Sendable {
    var versionID: String
    /// The version by vote, or nil when the quorum does not have it.
    var record: ObjectRecord?
    var agreeing: [Int]
    var stale: [Int]
}

extension ErasureSet {
    /// Every version of `key` that any drive of the set holds (the newest 10,000), each resolved
    /// by vote: drives lacking a version the quorum has are stale for it, and drives holding one
    /// the quorum lacks are stale too (it is to be removed from them).
    func versionsForHeal(bucket: String, key: String) async throws -> [ResolvedVersion] {
        let keyBytes = Array(key.utf8)
        let answers = await fanOut { drive in
            // Pages of this key's versions only: keys that extend it (`key/…`) share the prefix
            // and would otherwise be read, up to the limit, and thrown away.
            var versions: [ObjectRecord] = []
            var cursor = VersionCursor(key: keyBytes, position: .atKey)
            while versions.count < 10_000 {
                let page = try await drive.listVersions(bucket: bucket, prefix: key, after: cursor, limit: 100)
                let own = page.prefix { $0.key.utf8.elementsEqual(keyBytes) }
                versions += own
                guard own.count == 100, let last = own.last else { break }
                cursor = VersionCursor(after: last)
            }
            return versions
        }
        try requireAnswers(answers, operation: "heal \(bucket)/\(key)")
        var copies: [VersionIdentity: (record: ObjectRecord, copies: [DriveAnswer<ObjectRecord?>])] = [:]
        for (position, answer) in answers.enumerated() {
            guard let versions = answer.value else { continue }
            for record in versions {
                let identity = VersionIdentity(record)
                var entry = copies[identity] ?? (record, answers.map(Self.absence))
                entry.copies[position] = .success(record)
                copies[identity] = entry
            }
        }
        // Two drives may hold different records under one version id (a stale copy of the null
        // version): each is voted on, and the loser is replaced when the winner is rewritten.
        return copies.values.sorted { VersionCursor.precedes($0.record, $1.record) }.map { entry in
            let resolved = RecordVote.resolve(entry.copies)
            return ResolvedVersion(
                versionID: entry.record.versionID, record: resolved.record, agreeing: resolved.agreeing, stale: resolved.stale)
        }
    }

    /// How a drive's answer counts for a version it did not list: absent if it answered, else
    /// as its failure (a damaged index makes it stale for every version) or offline.
    private static func absence(_ answer: DriveAnswer<[ObjectRecord]>) -> DriveAnswer<ObjectRecord?> {
        switch answer {
        case .success: .success(nil)
        case .failure(let error): .failure(error)
        case .offline: .offline
        }
    }

    /// The keys any drive of the set holds under `prefix` after the key bytes `after` (current
    /// objects, noncurrent versions and delete markers alike), up to about `limit` versions'
    /// worth. `boundary` is the last key covered when more may follow, nil at the end.
    func keysForHeal(bucket: String, prefix: String, after: [UInt8]?, limit: Int) async throws
        -> (keys: [String], boundary: String?)
    {
        let cursor = after.map { VersionCursor(key: $0, position: .afterKey) }
        let answers = await fanOut { try await $0.listVersions(bucket: bucket, prefix: prefix, after: cursor, limit: limit) }
        try requireAnswers(answers, operation: "list \(bucket)")
        var boundary: ObjectRecord?
        for answer in answers {
            guard let page = answer.value, page.count == limit, let last = page.last else { continue }
            if boundary == nil || VersionCursor.precedes(last, boundary!) { boundary = last }
        }
        var keys: [[UInt8]: String] = [:]
        for answer in answers {
            for record in answer.value ?? [] {
                let bytes = Array(record.key.utf8)
                if let boundary, Array(boundary.key.utf8).lexicographicallyPrecedes(bytes) { break }
                keys[bytes] = record.key
            }
        }
        let ordered = keys.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { keys[$0]! }
        return (ordered, boundary?.key)
    }
}
