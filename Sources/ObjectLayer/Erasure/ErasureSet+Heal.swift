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
        // Two drives may hold different records under one version id (a stale copy of the null
        // version): each is voted on, and the loser is replaced when the winner is rewritten.
        let (entries, _) = Self.mergePages(
            answers, limit: Int.max, identity: VersionIdentity.init, precedes: VersionCursor.precedes)
        return entries.map { entry in
            ResolvedVersion(
                versionID: entry.record.versionID, record: entry.resolved.record, agreeing: entry.resolved.agreeing,
                stale: entry.resolved.stale)
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
        let boundary = Self.pageBoundary(answers, limit: limit, precedes: VersionCursor.precedes)
        let boundaryKey = boundary.map { Array($0.key.utf8) }
        var keys: [[UInt8]: String] = [:]
        for answer in answers {
            for record in answer.value ?? [] {
                let bytes = Array(record.key.utf8)
                if let boundaryKey, boundaryKey.lexicographicallyPrecedes(bytes) { break }
                keys[bytes] = record.key
            }
        }
        let ordered = keys.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { keys[$0]! }
        return (ordered, boundary?.key)
    }
}
