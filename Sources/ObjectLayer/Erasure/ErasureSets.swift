package import StowageCore
internal import Synchronization

/// All erasure sets of the node: where each key lives, and the bucket records every drive keeps.
package struct ErasureSets: Sendable {
    package let deploymentID: String
    package let sets: [ErasureSet]
    /// Bucket records known to be on every online drive of a set (see `ObjectStore.requireBucket`).
    let bucketRepairs = BucketRepairMemo()

    package init(deploymentID: String, sets: [ErasureSet]) {
        precondition(!sets.isEmpty, "at least one erasure set")
        self.deploymentID = deploymentID
        self.sets = sets
    }

    /// These sets, queueing changes a drive missed on `heal` (see `HealState.enqueueMissed`).
    func reportingMissedWrites(to heal: HealState) -> ErasureSets {
        ErasureSets(
            deploymentID: deploymentID,
            sets: sets.map { set in
                var reporting = set
                reporting.missedWrites = heal
                return reporting
            })
    }

    /// The set that owns `key` of `bucket`.
    package func set(bucket: String, key: String) -> ErasureSet {
        if sets.count == 1 { return sets[0] }
        return sets[Int((Placement.hash(bucket: bucket, key: key) >> 32) % UInt64(sets.count))]
    }

    package var allSlots: [DriveSlot] { sets.flatMap(\.slots) }

    /// Bucket changes must reach more than half of all drives.
    var bucketQuorum: Int { allSlots.count / 2 + 1 }

    private func fanOutAll<T: Sendable>(_ body: @escaping @Sendable (any Drive) async throws -> T) async -> [DriveAnswer<T>] {
        var answers: [DriveAnswer<T>] = []
        for set in sets { answers += await set.fanOut(body) }
        return answers
    }

    // MARK: Buckets

    package func createBucket(_ bucket: BucketRecord) async throws {
        // Whether the bucket exists is decided by vote; a drive's stale copy (it missed a delete)
        // does not make it exist, and counts as holding the new bucket.
        if try await self.bucket(named: bucket.name) != nil { throw DriveError(.bucketExists, bucket.name) }
        let answers = await fanOutAll { try await $0.createBucket(bucket) }
        let holding = answers.count { answer in
            switch answer {
            case .success: true
            case .failure(let error as DriveError): error.code == .bucketExists
            default: false
            }
        }
        if holding >= bucketQuorum { return }
        _ = try sets[0].requireQuorum(answers, bucketQuorum, "create bucket")
    }

    /// Creates the bucket on drives of `set` that lack it (they were offline when it was created,
    /// or were replaced), so that writes to the set can reach their quorum.
    /// Returns the failures, one line per drive. A set of one drive is left alone unless
    /// `evenAlone` (on one node its drive is where the bucket was created).
    @discardableResult
    package func repairBucket(_ bucket: BucketRecord, on set: ErasureSet, evenAlone: Bool = false) async -> [String] {
        guard set.size > 1 || evenAlone else { return [] }
        var failures: [String] = []
        for (position, drive) in set.onlineDrives {
            let held = try? await drive.bucket(named: bucket.name)
            if held == bucket { continue }
            do {
                if held == nil { try await drive.createBucket(bucket) } else { try await drive.updateBucket(bucket) }
            } catch {
                failures.append("\(set.slots[position].label): \(error)")
            }
        }
        return failures
    }

    /// Replaces the bucket's record (its configuration) on every drive; more than half of all
    /// drives must take it. A drive that missed the bucket's creation gets it now (as
    /// `repairBucket` does), or a change could not reach its quorum while another drive is away.
    /// The caller has just found the bucket by vote; a DeleteBucket racing this change can leave
    /// it re-created (S3 gives no ordering between the two either).
    package func updateBucket(_ bucket: BucketRecord) async throws {
        let answers = await fanOutAll { drive in
            if try await drive.bucket(named: bucket.name) == nil { try await drive.createBucket(bucket) } else {
                try await drive.updateBucket(bucket)
            }
        }
        _ = try sets[0].requireQuorum(answers, bucketQuorum, "update bucket")
    }

    /// The bucket when more answering drives have it than lack it. A drive that fails to answer
    /// (offline, unreachable) counts for neither: "absent" needs a majority of all drives to
    /// answer, or a node cut off from most of them would call an existing bucket missing
    /// (NoSuchBucket where a partition must answer 503).
    package func bucket(named name: String) async throws -> BucketRecord? {
        if allSlots.count == 1 { return try await allSlots[0].drive?.bucket(named: name) }
        var found: [BucketRecord] = []
        var missing = 0
        for slot in allSlots {
            guard let drive = slot.drive else { continue }
            do {
                if let record = try await drive.bucket(named: name) { found.append(record) } else { missing += 1 }
            } catch {
                continue
            }
        }
        if found.isEmpty || found.count < missing {
            guard found.count + missing >= bucketQuorum else {
                throw ObjectLayerError(
                    .insufficientDrives,
                    "bucket \(name): \(found.count + missing) of \(allSlots.count) drives answered, more than half needed")
            }
            return nil
        }
        return Self.agreed(found)
    }

    /// Of one bucket's records as the drives hold them, the configuration most hold; a tie goes
    /// to the newest change. (Never the first drive's: a drive back from an absence may hold a
    /// configuration changed since, and the healer writes what this returns to every drive.)
    static func agreed(_ records: [BucketRecord]) -> BucketRecord? {
        var groups: [(record: BucketRecord, count: Int)] = []
        for record in records {
            if let index = groups.firstIndex(where: { $0.record == record }) { groups[index].count += 1 } else { groups.append((record, 1)) }
        }
        return groups.max { a, b in
            if a.count != b.count { return a.count < b.count }
            return (a.record.updated ?? 0) < (b.record.updated ?? 0)
        }?.record
    }

    package func listBuckets() async throws -> [BucketRecord] {
        var byName: [String: [BucketRecord]] = [:]
        var answered = 0
        for slot in allSlots {
            guard let drive = slot.drive, let buckets = try? await drive.listBuckets() else { continue }
            answered += 1
            for bucket in buckets { byName[bucket.name, default: []].append(bucket) }
        }
        // As in `bucket(named:)`: a list from a minority of the drives may lack buckets.
        guard allSlots.count == 1 || answered >= bucketQuorum else {
            throw ObjectLayerError(
                .insufficientDrives, "list buckets: \(answered) of \(allSlots.count) drives answered, more than half needed")
        }
        return byName.values.filter { $0.count * 2 >= answered }.compactMap(Self.agreed).sorted { $0.name < $1.name }
    }

    /// Deletes the bucket on every drive. The caller has checked that it holds no object by quorum,
    /// so objects a drive still holds there are stale copies (it missed their deletion), and uploads
    /// in progress go with the bucket: both are removed from that drive first.
    package func deleteBucket(named name: String) async throws {
        let answers = await fanOutAll { drive in
            do {
                try await drive.deleteBucket(named: name)
            } catch let error as DriveError where error.code == .bucketNotEmpty {
                try await Self.removeStaleContents(of: name, on: drive)
                try await drive.deleteBucket(named: name)
            }
        }
        var removed = 0
        var notFound = 0
        for answer in answers {
            switch answer {
            case .success: removed += 1
            case .failure(let error as DriveError) where error.code == .bucketNotFound: notFound += 1
            default: continue
            }
        }
        if removed == 0 && notFound > 0 { throw DriveError(.bucketNotFound, name) }
        if removed + notFound < bucketQuorum {
            _ = try sets[0].requireQuorum(answers, bucketQuorum, "delete bucket")
        }
    }

    private static func removeStaleContents(of bucket: String, on drive: any Drive) async throws {
        while true {
            let uploads = try await drive.listUploads(bucket: bucket, prefix: "", afterKey: nil, afterUploadID: nil, limit: 1000)
            if uploads.isEmpty { break }
            for upload in uploads { try await drive.abortUpload(uploadID: upload.uploadID) }
        }
        while true {
            let records = try await drive.listVersions(bucket: bucket, prefix: "", after: nil, limit: 1000)
            if records.isEmpty { break }
            for record in records {
                _ = try await drive.deleteVersion(bucket: bucket, key: record.key, versionID: record.versionID)
            }
        }
    }

    // MARK: Listing across sets

    /// Up to `limit` records in key order across all sets (each set resolved by vote).
    package func listObjects(bucket: String, prefix: String, after: [UInt8]?, inclusive: Bool, limit: Int) async throws
        -> [ObjectRecord]
    {
        if sets.count == 1 {
            return try await sets[0].listObjects(bucket: bucket, prefix: prefix, after: after, inclusive: inclusive, limit: limit)
        }
        var merged: [ObjectRecord] = []
        for set in sets {
            merged += try await set.listObjects(bucket: bucket, prefix: prefix, after: after, inclusive: inclusive, limit: limit)
        }
        merged.sort { RecordVote.precedes($0.key, $1.key) }
        return Array(merged.prefix(limit))
    }

    /// Up to `limit` versions in listing order across all sets (each set resolved by vote).
    package func listVersions(bucket: String, prefix: String, after: VersionCursor?, limit: Int) async throws
        -> [ObjectRecord]
    {
        if sets.count == 1 {
            return try await sets[0].listVersions(bucket: bucket, prefix: prefix, after: after, limit: limit)
        }
        var merged: [ObjectRecord] = []
        for set in sets {
            merged += try await set.listVersions(bucket: bucket, prefix: prefix, after: after, limit: limit)
        }
        merged.sort(by: VersionCursor.precedes)
        return Array(merged.prefix(limit))
    }

    package func listUploads(bucket: String, prefix: String, afterKey: String?, afterUploadID: String?, limit: Int)
        async throws -> [UploadRecord]
    {
        var merged: [UploadRecord] = []
        for set in sets {
            merged += try await set.listUploads(
                bucket: bucket, prefix: prefix, afterKey: afterKey, afterUploadID: afterUploadID, limit: limit)
        }
        merged.sort(by: ErasureSet.uploadPrecedes)
        return Array(merged.prefix(limit))
    }
}

/// Which bucket record every online drive of a set was last found (or made) to hold, and the
/// drive generations of the set at that time: while they are unchanged, nothing needs checking.
final class BucketRepairMemo: Sendable {
    private let known = Mutex<[String: (record: BucketRecord, generations: [UInt64?])]>([:])

    func isCurrent(set: Int, _ record: BucketRecord, generations: [UInt64?]) -> Bool {
        known.withLock { known in
            guard let entry = known["\(set)/\(record.name)"] else { return false }
            return entry.record == record && entry.generations == generations
        }
    }

    func remember(set: Int, _ record: BucketRecord, generations: [UInt64?]) {
        known.withLock { known in
            if known.count > 100_000 { known.removeAll() }
            known["\(set)/\(record.name)"] = (record, generations)
        }
    }
}
