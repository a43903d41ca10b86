package import StowageCore

/// S3 semantics over erasure sets: buckets, objects, multipart uploads, listing and healing.
///
/// Each key belongs to one erasure set (by hash); its record lives on every drive of the set
/// and its data is erasure-coded over them. A single folder is a set of one drive without parity.
///
/// Guarantees: a write is acknowledged only after a write quorum of drives made it durable;
/// readers see the old or the new version of a key, never a mix; bytes read are verified, and
/// rebuilt from parity when a shard is missing or corrupt.
package struct ObjectStore: Sendable {
    package let sets: ErasureSets
    /// Objects up to this size are stored inside their metadata record (on every drive of the set).
    package let inlineThreshold: Int
    package let maxObjectSize: Int64 = 5 << 40
    package let maxPartSize: Int64 = 5 << 30
    package let minPartSize: Int64 = 5 << 20
    /// Damaged objects waiting for repair, and the healing counters.
    package let heal: HealState
    /// Current small objects in memory (see `InlineObjectCache`); capacity 0 turns it off.
    package let inlineCache: InlineObjectCache
    /// This node's own locks (healing one key once at a time).
    let locks: KeyLocks
    /// Key locks and bucket records: this node alone, or the cluster through etcd.
    package let coordination: any Coordination
    /// The other nodes' caches, told of this node's writes (nil on one node).
    package let cachePeers: (any CachePeers)?

    /// - Parameters:
    ///   - inlineCache: the cache of small objects (a cluster node's is shared with the
    ///     `CacheCoherence` that `cachePeers` is); by default one of `inlineCacheBytes`.
    package init(
        sets: ErasureSets, inlineThreshold: Int = 64 << 10, heal: HealState = HealState(), inlineCacheBytes: Int = 64 << 20,
        coordination: any Coordination = LocalCoordination(), inlineCache: InlineObjectCache? = nil,
        cachePeers: (any CachePeers)? = nil
    ) {
        self.sets = sets.reportingMissedWrites(to: heal)
        self.inlineThreshold = inlineThreshold
        self.heal = heal
        self.inlineCache = inlineCache ?? InlineObjectCache(capacity: inlineCacheBytes)
        self.locks = KeyLocks()
        self.coordination = coordination
        self.cachePeers = cachePeers
    }

    /// `bucket` changed, so every cached entry may be stale now: this node's cache and the other
    /// nodes' forget all (and the others their copy of the bucket's record).
    func clearCaches(bucket: String) async {
        inlineCache.clear()
        await cachePeers?.clear(bucket: bucket)
    }

    static func nowMilliseconds() -> Int64 { WallClock.milliseconds() }

    /// Maps drive errors to object-layer errors where they have S3 meaning.
    func translate<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DriveError {
            switch error.code {
            case .bucketNotFound: throw ObjectLayerError(.noSuchBucket, error.detail)
            case .bucketExists: throw ObjectLayerError(.bucketAlreadyOwnedByYou, error.detail)
            case .bucketNotEmpty: throw ObjectLayerError(.bucketNotEmpty, error.detail)
            case .uploadNotFound: throw ObjectLayerError(.noSuchUpload, error.detail)
            case .full: throw ObjectLayerError(.storageFull, error.detail)
            case .corrupt: throw ObjectLayerError(.corrupt, error.detail)
            case .fenced:
                throw ObjectLayerError(.coordinationUnavailable, "the write lost its lock to another writer: \(error.detail)")
            case .notFound, .io, .resourcesExhausted: throw error
            }
        }
    }

    func requireBucket(_ bucket: String) async throws {
        guard try await coordination.bucket(named: bucket, sets: sets) != nil else {
            throw ObjectLayerError(.noSuchBucket, bucket)
        }
    }

    /// Like `requireBucket`, for a write to `set`: drives of the set that missed the bucket's
    /// creation get it first, so they can take the write. Returns the bucket's record (its
    /// versioning state decides the write's version id).
    ///
    /// `recent`: the record may come from the node's copy (`Coordination.recentBucket`), for a
    /// write whose commit reads it again with its lock (`withKeyLock(_:bucket:_:)`).
    @discardableResult
    func requireBucket(_ bucket: String, writingTo set: ErasureSet, recent: Bool = false) async throws -> BucketRecord {
        let found =
            recent
            ? try await coordination.recentBucket(named: bucket, sets: sets)
            : try await coordination.bucket(named: bucket, sets: sets)
        guard let record = found else {
            throw ObjectLayerError(.noSuchBucket, bucket)
        }
        // Once every online drive of the set holds this record, writes skip the check until a
        // drive of the set comes (back) online: with remote drives it is a round trip each.
        let generations = set.slots.map { $0.onlineDrive?.generation }
        if !sets.bucketRepairs.isCurrent(set: set.index, record, generations: generations) {
            // Drives are repaired from etcd's record itself, never from a copy that may lag it.
            var record = record
            if recent {
                guard let current = try await coordination.bucket(named: bucket, sets: sets) else {
                    throw ObjectLayerError(.noSuchBucket, bucket)
                }
                record = current
            }
            if await sets.repairBucket(record, on: set).isEmpty {
                sets.bucketRepairs.remember(set: set.index, record, generations: generations)
            }
        }
        return record
    }

    /// Refuses a write that would eat into the reserve of too many drives of `set`.
    func requireSpace(_ bytes: Int64, in set: ErasureSet, layout: ErasureInfo) async throws {
        let perDrive = layout.shardSize(partSize: max(bytes, 1))
        // Recent answers first: a small write need not ask every drive of its set (in a cluster,
        // most of them over the network). They admit a write only with `spaceMargin` to spare
        // (other nodes' writes are not subtracted here), and only fresh answers refuse one: near
        // the reserve every write asks, as it always did.
        do {
            let recent = set.explained(await set.availableSpace(maxAge: Self.spaceAnswerLifetime))
            try requireSpace(perDrive, recent, margin: Self.spaceMargin, set, layout)
        } catch {
            try requireSpace(perDrive, set.explained(await set.availableSpace(maxAge: .zero)), margin: 0, set, layout)
        }
        for slot in set.slots { slot.claim(perDrive) }
    }

    /// How long a drive's answer of its free space serves writes (less what they take).
    static let spaceAnswerLifetime = Duration.milliseconds(250)
    /// What a recent answer must show free beyond a write's need to admit it without asking.
    static let spaceMargin: Int64 = 1 << 30

    private func requireSpace(
        _ perDrive: Int64, _ answers: [DriveAnswer<Int64>], margin: Int64, _ set: ErasureSet, _ layout: ErasureInfo
    ) throws {
        let answering = answers.count { $0.value != nil }
        if answering < layout.writeQuorum {
            // Drives away for want of space make it a full set (507), not a quorum failure (503).
            let full = answers.count { if case .failure(let error as DriveError) = $0 { error.code == .full } else { false } }
            if answering + full >= layout.writeQuorum {
                throw ObjectLayerError(.storageFull, "\(full) of \(set.size) drives are out of space; \(answering) have room")
            }
            throw ObjectLayerError(
                .insufficientDrives, "\(answering) of \(set.size) drives online, \(layout.writeQuorum) needed for a write")
        }
        let roomy = answers.count { ($0.value ?? -1) >= max(perDrive, 1) + margin }
        if roomy < layout.writeQuorum {
            let free = answers.compactMap(\.value).map(String.init).joined(separator: ", ")
            throw ObjectLayerError(.storageFull, "need \(perDrive) bytes on \(layout.writeQuorum) drives; available: \(free)")
        }
    }

    /// The layout of a new object of `bucket`/`key`.
    func newLayout(bucket: String, key: String, storageClass: String) -> (set: ErasureSet, layout: ErasureInfo) {
        let set = sets.set(bucket: bucket, key: key)
        return (set, set.layout(storageClass: storageClass, bucket: bucket, key: key))
    }
}
