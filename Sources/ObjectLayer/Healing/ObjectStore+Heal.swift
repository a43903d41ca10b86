package import StowageCore

/// What healing one object did.
struct ObjectHealOutcome: Sendable {
    var healed = false
    var shardsHealed = 0
    var recordsHealed = 0
    var corruptionsFound = 0
    var failure: String?
}

extension ObjectStore {
    /// Brings every online drive of the key's set back to the versions a quorum agrees on:
    /// rewrites missing or stale records, rebuilds missing, truncated or corrupt shards from the
    /// others, and removes versions the quorum no longer has. Every version of the key is healed,
    /// noncurrent ones and delete markers included. `deep` reads and verifies every shard block;
    /// otherwise shards are checked by presence and size.
    func healObject(bucket: String, key: String, deep: Bool) async -> ObjectHealOutcome {
        // One heal of a key at a time (reads, the scanner and admin heal may all ask at once):
        // rebuilt shards are staged under the object's own shard ids.
        await locks.withLock("heal\u{0}" + bucket + "/" + key) { await healObjectAlone(bucket: bucket, key: key, deep: deep) }
    }

    private func healObjectAlone(bucket: String, key: String, deep: Bool) async -> ObjectHealOutcome {
        var outcome = ObjectHealOutcome()
        let set = sets.set(bucket: bucket, key: key)
        do {
            // A version that cannot be healed (too few good shards) does not stop the others.
            var rewritten = Set<String>()
            for version in try await set.versionsForHeal(bucket: bucket, key: key) {
                // Two records under one id (a null version split between drives, each held by
                // enough of them to win its own vote): the first, written back, replaced the other
                // on every drive, and the other's shards went with it.
                guard !rewritten.contains(version.versionID) else { continue }
                if version.record != nil { rewritten.insert(version.versionID) }
                do {
                    try await healVersion(version, bucket: bucket, key: key, set: set, deep: deep, outcome: &outcome)
                } catch {
                    outcome.failure = "version \(version.versionID): \(error)"
                }
            }
        } catch {
            outcome.failure = "\(error)"
        }
        heal.count { counters in
            counters.shardsHealed += outcome.shardsHealed
            counters.recordsHealed += outcome.recordsHealed
            counters.corruptionsFound += outcome.corruptionsFound
            if outcome.healed { counters.objectsHealed += 1 }
            if outcome.failure != nil { counters.healFailures += 1 }
        }
        return outcome
    }

    private func healVersion(
        _ resolved: ResolvedVersion, bucket: String, key: String, set: ErasureSet, deep: Bool, outcome: inout ObjectHealOutcome
    ) async throws {
        var targets = Set(resolved.stale.filter { set.slots[$0].drive != nil })
        if let record = resolved.record, !record.parts.isEmpty {
            for position in resolved.agreeing where set.slots[position].drive != nil {
                if let problem = await verifyShards(record, set: set, position: position, deep: deep) {
                    targets.insert(position)
                    if problem.code == .corrupt { outcome.corruptionsFound += 1 }
                }
            }
        }
        guard !targets.isEmpty else { return }
        if let record = resolved.record {
            // Rebuilt shards are staged under the object's own shard ids: two nodes healing one key at
            // once (admin heal on one, the missed-write queue on another) would collide on a drive's
            // staged file. One rebuild of a key at a time, cluster-wide (a lock of its own: writes go on).
            try await coordination.withKeyLock("\u{1}rebuild/" + bucket + "/" + key) { _ in
                try await rebuild(record, set: set, targets: targets, stale: Set(resolved.stale), outcome: &outcome)
            }
        } else {
            try await removeStale(bucket: bucket, key: key, versionID: resolved.versionID, set: set, positions: targets, outcome: &outcome)
        }
    }

    /// Nil when the drive at `position` holds every shard of `record` intact.
    private func verifyShards(_ record: ObjectRecord, set: ErasureSet, position: Int, deep: Bool) async -> DriveError? {
        guard let drive = set.slots[position].drive else { return nil }
        let layout = record.layout
        for part in record.parts {
            let reader: any ShardReader
            do { reader = try await drive.openShard(part.shardID) } catch { return Self.driveError(error) }
            let problem = await verify(reader, size: layout.shardSize(partSize: part.size), step: Int64(layout.shardBlockSize) * 8, deep: deep)
            await reader.close()
            if let problem { return problem }
        }
        return nil
    }

    private func verify(_ reader: any ShardReader, size expected: Int64, step: Int64, deep: Bool) async -> DriveError? {
        guard reader.size == expected else { return DriveError(.corrupt, "size \(reader.size), expected \(expected)") }
        guard deep else { return nil }
        var offset: Int64 = 0
        while offset < expected {
            let length = Int(min(step, expected - offset))
            do { _ = try await reader.read(offset: offset, length: length) } catch { return Self.driveError(error) }
            offset += Int64(length)
        }
        return nil
    }

    static func driveError(_ error: any Error) -> DriveError {
        (error as? DriveError) ?? DriveError(.io, "\(error)")
    }

    /// Writes fresh shards and the record on `targets`, from the shards of the other drives.
    private func rebuild(
        _ record: ObjectRecord, set: ErasureSet, targets: Set<Int>, stale: Set<Int>, outcome: inout ObjectHealOutcome
    ) async throws {
        let layout = record.layout
        var staged: [Int: [any ShardWriter]] = [:]
        do {
            for part in record.parts {
                let writers = try await rebuildPart(part, layout: layout, set: set, targets: targets)
                for (position, writer) in writers { staged[position, default: []].append(writer) }
            }
        } catch {
            for writers in staged.values { for writer in writers { await writer.abort() } }
            throw error
        }
        // Commit only if the key still holds the version that was rebuilt.
        try await coordination.withKeyLock(record.bucket + "/" + record.key) { fence in
            let now = try await set.readVersion(bucket: record.bucket, key: record.key, versionID: record.versionID)
            guard let current = now.record, current.isSameVersion(as: record) else {
                for writers in staged.values { for writer in writers { await writer.abort() } }
                return
            }
            for position in targets.sorted() {
                guard let drive = set.slots[position].drive else { continue }
                do {
                    _ = try await drive.commitObject(record, fence: fence.token)
                    outcome.recordsHealed += stale.contains(position) ? 1 : 0
                    outcome.shardsHealed += record.parts.count
                    outcome.healed = true
                } catch {
                    for writer in staged[position] ?? [] { await writer.abort() }
                    outcome.failure = "\(set.slots[position].label): \(error)"
                }
            }
        }
    }

    /// Rebuilds one part's shards for `targets`; returns the finished (staged) writers.
    private func rebuildPart(_ part: PartLayout, layout: ErasureInfo, set: ErasureSet, targets: Set<Int>) async throws
        -> [(Int, any ShardWriter)]
    {
        let reader = try ErasurePartReader(set: set, layout: layout, part: part, skipping: targets) { _, _ in }
        var writers: [(Int, any ShardWriter)] = []
        do {
            for position in targets.sorted() {
                guard let drive = set.slots[position].drive else { continue }
                writers.append((position, try await drive.createShard(id: part.shardID, blockSize: layout.shardBlockSize)))
            }
            let wanted = writers.map { layout.distribution[$0.0] }
            for block in 0..<reader.blockCount {
                let chunks = try await reader.shardChunks(block: block, wanted: wanted)
                for (position, writer) in writers { try await writer.write(chunks[layout.distribution[position]]!) }
            }
            for (_, writer) in writers { try await writer.finish() }
        } catch {
            for (_, writer) in writers { await writer.abort() }
            await reader.close()
            throw error
        }
        await reader.close()
        return writers
    }

    /// Deletes a version the quorum no longer has (a delete some drives missed, or a write that
    /// reached too few drives).
    private func removeStale(
        bucket: String, key: String, versionID: String, set: ErasureSet, positions: Set<Int>, outcome: inout ObjectHealOutcome
    ) async throws {
        try await coordination.withKeyLock(bucket + "/" + key) { fence in
            let now = try await set.readVersion(bucket: bucket, key: key, versionID: versionID)
            guard now.record == nil else { return }
            for position in positions.sorted() {
                guard let drive = set.slots[position].drive else { continue }
                _ = try await drive.deleteVersion(bucket: bucket, key: key, versionID: versionID, fence: fence.token)
                outcome.recordsHealed += 1
                outcome.healed = true
            }
        }
    }
}
