internal import FoundationEssentials
internal import NIOCore
internal import NIOFoundationCompat
package import ObjectLayer
package import StowageCore
internal import Synchronization

/// Cluster coordination through etcd: key locks with fencing tokens, and bucket records.
///
/// **Locks.** A key's lock is the etcd key `/stowage/v1/locks/<bucket>/<key>`, created only if
/// absent and bound to this node's lease (`NodeLease`). The revision of that creation is the
/// lock's token: etcd's revisions only grow, so every later holder of the lock has a larger
/// one. Writers pass it to the drives, which refuse older tokens (`Drive`'s fencing contract),
/// and versions are stamped from it, so their order follows the lock's, not the nodes' clocks.
/// Writers on one node queue on a local lock first and reach etcd one at a time.
///
/// **Buckets.** etcd holds the record of every bucket (`/stowage/v1/buckets/<name>`), so
/// bucket changes are linearizable cluster-wide. The drives keep copies too: commits check that
/// the bucket exists on the drive, and when etcd is unreachable reads fall back to the copies,
/// so GETs, HEADs and listings of stored data go on; changes answer `coordinationUnavailable`.
package final class EtcdCoordination: Coordination {
    static let lockPrefix = "/stowage/v1/locks/"
    static let bucketPrefix = "/stowage/v1/buckets/"

    let etcd: any EtcdStore
    let lease: NodeLease
    let local = KeyLocks()
    /// Lock releases waiting to be sent, and whether a request of them is on its way.
    private let releases = Mutex<(pending: [PendingRelease], sending: Bool)>(([], false))
    /// Lock creates waiting to be sent, and whether a request of them is on its way.
    private let creates = Mutex<(pending: [PendingCreate], sending: Bool)>(([], false))
    /// Bucket records for reads, kept current by `watchBuckets`.
    package let buckets = BucketWatchCache()
    /// How long a writer waits for a lock another node holds before answering 503.
    package let lockWait: Duration

    package init(etcd: any EtcdStore, lease: NodeLease, lockWait: Duration = .seconds(15)) {
        self.etcd = etcd
        self.lease = lease
        self.lockWait = lockWait
    }

    // MARK: Locks

    package func withKeyLock<T>(_ name: String, _ body: (KeyFence) async throws -> T) async throws -> T {
        try await local.withLock(name) {
            let token = try await acquire(Self.lockPrefix + name)
            let result: T
            do {
                result = try await body(KeyFence(token: token))
            } catch {
                await release(Self.lockPrefix + name, token: token)
                throw error
            }
            await release(Self.lockPrefix + name, token: token)
            return result
        }
    }

    /// `withKeyLock`, reading the bucket's record in the lock's own transaction: a change
    /// commits only to a bucket that existed when its lock was taken, with the versioning it had
    /// then, and pays no separate etcd read for it.
    package func withKeyLock<T>(_ name: String, bucket: String, _ body: (KeyFence) async throws -> T) async throws -> T {
        try await local.withLock(name) {
            let (token, stored) = try await acquire(Self.lockPrefix + name, reading: bucket)
            let result: T
            do {
                guard let stored else { throw ObjectLayerError(.noSuchBucket, bucket) }
                let record = try Self.decode(stored.value)
                buckets.learn(record, revision: stored.modRevision)
                result = try await body(KeyFence(token: token, bucket: record))
            } catch {
                await release(Self.lockPrefix + name, token: token)
                throw error
            }
            await release(Self.lockPrefix + name, token: token)
            return result
        }
    }

    /// Takes the lock key, waiting while another node holds it; returns the token.
    func acquire(_ key: String) async throws -> Int64 {
        try await acquire(key, reading: nil).token
    }

    /// `acquire`, reading the record of `bucket` (if named) in the same transaction.
    private func acquire(_ key: String, reading bucket: String?) async throws -> (token: Int64, bucket: EtcdClient.KeyValue?) {
        let deadline = LayerEnvironment.now() + LayerEnvironment.nanoseconds(lockWait)
        var pause = Duration.milliseconds(2)
        while true {
            let leaseID = try await coordinating("lock") { try await lease.id() }
            do {
                let (token, stored, holder) = try await create(
                    key, lease: leaseID, reading: bucket.map { Self.bucketPrefix + $0 })
                if let token { return (token, stored) }
                // Held under this node's own lease while this task has the key's local lock, so no
                // task here holds it: a lock left behind (a create that took effect though its
                // answer was lost, or a release still being sent again). It is removed, only if
                // it is still that lock, and taken anew.
                if let holder, holder.lease == leaseID,
                    (try? await etcd.delete(key, createRevision: holder.createRevision)) == true
                {
                    continue
                }
            } catch EtcdError.unexpected(let detail) where detail.contains("lease not found") {
                lease.drop(leaseID)
                continue
            } catch {
                clearLeftover(key, lease: leaseID)
                throw Self.unavailable(error, "lock")
            }
            guard LayerEnvironment.now() < deadline else {
                throw ObjectLayerError(
                    .coordinationUnavailable, "the key's lock stayed held by another node for \(lockWait)")
            }
            try await LayerEnvironment.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(50))
        }
    }

    /// After a create whose answer was lost (it may have taken effect): removes the lock key if
    /// it is held under this node's `lease`, once this node's writers of the key are done with
    /// it (under the key's local lock, where no task here holds the etcd lock). Without this the
    /// lock stayed this node's for as long as it kept its lease, and every other node's writes
    /// to the key waited `lockWait` and failed; only a later write of the key through this node
    /// found and removed it (the deterministic simulation found a heal refused that way, after a
    /// lossy link). Tried every second in the background until etcd answers or the lease ends.
    private func clearLeftover(_ key: String, lease leaseID: Int64) {
        let name = String(key.dropFirst(Self.lockPrefix.count))
        LayerEnvironment.spawn { [self] in
            for _ in 0..<300 where lease.isCurrent(leaseID) {
                let cleared: Bool = await local.withLock(name) {
                    do {
                        if let holder = try await etcd.get(key), holder.lease == leaseID {
                            _ = try await etcd.delete(key, createRevision: holder.createRevision)
                        }
                        return true
                    } catch {
                        return false
                    }
                }
                if cleared { return }
                try? await LayerEnvironment.sleep(for: .seconds(1))
            }
        }
    }

    /// Creates the lock key (`EtcdClient.createIfAbsent`). Creates that come while one request of
    /// them is on its way leave together in the next (one etcd transaction, each key taken or
    /// refused on its own), as releases do: under load a write's lock costs a fraction of an
    /// etcd request, and an idle node's leaves at once.
    private func create(_ key: String, lease: Int64, reading other: String?) async throws
        -> (revision: Int64?, other: EtcdClient.KeyValue?, holder: EtcdClient.KeyValue?)
    {
        try await withCheckedThrowingContinuation { done in
            let start = creates.withLock { state in
                state.pending.append(PendingCreate(key: key, lease: lease, other: other, done: done))
                if state.sending { return false }
                state.sending = true
                return true
            }
            if start { LayerEnvironment.spawn { await self.sendCreates() } }
        }
    }

    private struct PendingCreate {
        var key: String
        var lease: Int64
        var other: String?
        var done: CheckedContinuation<(revision: Int64?, other: EtcdClient.KeyValue?, holder: EtcdClient.KeyValue?), any Error>
    }

    /// Sends the pending creates, a request at a time, until none is left.
    private func sendCreates() async {
        while true {
            let batch: [PendingCreate]? = creates.withLock { state in
                guard let lease = state.pending.first?.lease else {
                    state.sending = false
                    return nil
                }
                // One lease a request (the node's lease changes only when it was lost).
                var batch: [PendingCreate] = []
                state.pending.removeAll { pending in
                    guard batch.count < Self.createsPerRequest, pending.lease == lease else { return false }
                    batch.append(pending)
                    return true
                }
                return batch
            }
            guard let batch else { return }
            do {
                let answers = try await etcd.createIfAbsent(
                    batch.map { ($0.key, $0.other) }, value: [], lease: batch[0].lease)
                for (pending, answer) in zip(batch, answers) { pending.done.resume(returning: answer) }
            } catch {
                for pending in batch { pending.done.resume(throwing: error) }
            }
        }
    }

    /// Keys of one create request: each with its bucket read is two operations, within etcd's
    /// default limit of 128 a transaction.
    static let createsPerRequest = 32

    /// Releases the lock if this holder still has it. The caller waits for one round of attempts
    /// at most; a release etcd did not take is sent again until it is (a lock left behind would
    /// block its key for as long as this node keeps its lease, which outlives a partition).
    ///
    /// Releases that come while one request of releases is on its way leave together in the next
    /// (`EtcdClient.delete` of many keys): under load, most writes pay one etcd request (the lock
    /// with its bucket read) instead of two, and an idle node's release leaves at once.
    func release(_ key: String, token: Int64) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let start = releases.withLock { state in
                state.pending.append(PendingRelease(key: key, token: token, done: done))
                if state.sending { return false }
                state.sending = true
                return true
            }
            if start { LayerEnvironment.spawn { await self.sendReleases() } }
        }
    }

    private struct PendingRelease {
        var key: String
        var token: Int64
        /// Nil once the caller was resumed (a release sent again after a failed round).
        var done: CheckedContinuation<Void, Never>?
    }

    /// Sends the pending releases, a request at a time, until none is left.
    private func sendReleases() async {
        while true {
            let batch: [PendingRelease]? = releases.withLock { state in
                if state.pending.isEmpty {
                    state.sending = false
                    return nil
                }
                let batch = Array(state.pending.prefix(Self.releasesPerRequest))
                state.pending.removeFirst(batch.count)
                return batch
            }
            guard let batch else { return }
            // Repeating the conditional deletes is safe: each removes the key only while it is
            // still the lock this node took (its create revision is the token).
            var sent = false
            for attempt in 0..<5 {
                if (try? await etcd.delete(batch.map { ($0.key, $0.token) })) != nil {
                    sent = true
                    break
                }
                try? await LayerEnvironment.sleep(for: .milliseconds(50 << attempt))
            }
            for release in batch { release.done?.resume() }
            if !sent {
                // etcd is away (a partition, or a lost quorum). The locks stay this node's until
                // it answers again: the lease does not end them while the node keeps renewing it
                // (one chaos run had a key locked for ten minutes after a 5-second partition).
                // Writers are not kept waiting; the releases go on in the background.
                releases.withLock { state in
                    state.pending.append(contentsOf: batch.map { PendingRelease(key: $0.key, token: $0.token, done: nil) })
                }
                try? await LayerEnvironment.sleep(for: Self.releaseRetryPause)
            }
        }
    }

    /// Between rounds of a release etcd did not take.
    static let releaseRetryPause = Duration.milliseconds(500)

    /// etcd refuses transactions of more than 128 operations by default.
    static let releasesPerRequest = 64

    // MARK: Buckets

    package func createBucket(_ bucket: BucketRecord, sets: ErasureSets) async throws {
        let encoded = try Self.encode(bucket)
        if try await coordinating("create bucket", { try await etcd.createIfAbsent(Self.bucketPrefix + bucket.name, value: encoded) })
            != nil
        {
            throw DriveError(.bucketExists, bucket.name)
        }
        buckets.forget(bucket.name)
        await copyToDrives(bucket, sets: sets)
    }

    package func bucket(named name: String, sets: ErasureSets) async throws -> BucketRecord? {
        do {
            guard let stored = try await etcd.get(Self.bucketPrefix + name) else { return nil }
            let record = try Self.decode(stored.value)
            buckets.learn(record, revision: stored.modRevision)
            return record
        } catch EtcdError.unavailable {
            return try await sets.bucket(named: name)
        }
    }

    package func recentBucket(named name: String, sets: ErasureSets) async throws -> BucketRecord? {
        if let known = buckets.lookup(name) { return known }
        return try await bucket(named: name, sets: sets)
    }

    /// Keeps `buckets` current while the task runs (the node runs it for its lifetime): lists
    /// the records, then follows etcd's watch of their prefix, renewing it every `renewEvery`
    /// (a member that stopped answering is left then); when etcd cannot be watched, reads go
    /// to etcd (or the drives) until it can again.
    package func watchBuckets(renewEvery: Duration = .seconds(10)) async {
        while !Task.isCancelled {
            do {
                if !buckets.isLive {
                    let (keys, revision) = try await etcd.listWithRevision(prefix: Self.bucketPrefix)
                    buckets.reset(try keys.map { (try Self.decode($0.value), $0.modRevision) }, at: revision)
                }
                let buckets = self.buckets
                try await etcd.watch(prefix: Self.bucketPrefix, after: buckets.revision, for: renewEvery) { events in
                    for event in events {
                        let name = String(event.key.dropFirst(Self.bucketPrefix.count))
                        buckets.apply(name, event.value.flatMap { try? Self.decode($0) }, revision: event.revision)
                    }
                }
            } catch {
                buckets.suspend()
                try? await LayerEnvironment.sleep(for: .seconds(1))
            }
        }
    }

    package func listBuckets(sets: ErasureSets) async throws -> [BucketRecord] {
        do {
            return try await etcd.list(prefix: Self.bucketPrefix).map { try Self.decode($0.value) }
        } catch EtcdError.unavailable {
            return try await sets.listBuckets()
        }
    }

    package func updateBucket(_ bucket: BucketRecord, sets: ErasureSets) async throws {
        let key = Self.bucketPrefix + bucket.name
        let encoded = try Self.encode(bucket)
        try await coordinating("update bucket") {
            // Only while the bucket exists: a change must not bring back a deleted bucket.
            while true {
                guard let stored = try await etcd.get(key) else { throw DriveError(.bucketNotFound, bucket.name) }
                if try await etcd.compareAndSwap(key, modRevision: stored.modRevision, value: encoded) { return }
            }
        }
        buckets.forget(bucket.name)
        await copyToDrives(bucket, sets: sets)
    }

    package func deleteBucket(named name: String, sets: ErasureSets) async throws {
        let removed = try await coordinating("delete bucket") { try await etcd.delete(Self.bucketPrefix + name) }
        guard removed > 0 else { throw DriveError(.bucketNotFound, name) }
        buckets.forget(name)
        // The drives' copies go too; a drive that misses this keeps a copy that only a read
        // with etcd unreachable could see.
        try? await sets.deleteBucket(named: name)
    }

    /// Puts the record on every drive that lacks it or holds another version of it.
    private func copyToDrives(_ bucket: BucketRecord, sets: ErasureSets) async {
        for set in sets.sets { await sets.repairBucket(bucket, on: set, evenAlone: true) }
    }

    // MARK: Helpers

    /// Runs an etcd step of a change; etcd being unreachable becomes `coordinationUnavailable`.
    private func coordinating<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as EtcdError {
            throw Self.unavailable(error, what)
        }
    }

    private static func unavailable(_ error: any Error, _ what: String) -> any Error {
        guard let error = error as? EtcdError else { return error }
        return ObjectLayerError(.coordinationUnavailable, "\(what): \(error)")
    }

    static func encode(_ bucket: BucketRecord) throws -> [UInt8] {
        Array(try JSONEncoder().encodeAsByteBuffer(bucket, allocator: .init()).readableBytesView)
    }

    static func decode(_ bytes: [UInt8]) throws -> BucketRecord {
        do {
            return try JSONDecoder().decode(BucketRecord.self, from: ByteBuffer(bytes: bytes))
        } catch {
            throw EtcdError.unexpected("a bucket record in etcd is not readable: \(error)")
        }
    }
}
