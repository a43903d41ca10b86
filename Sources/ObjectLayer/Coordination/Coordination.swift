package import StowageCore

/// What one node cannot decide alone in a cluster: who may change a key now, and which buckets
/// exist with which configuration.
///
/// `LocalCoordination` (one node) answers from a lock in this process and from the bucket
/// records on the drives; the cluster's implementation (`Cluster.EtcdCoordination`) answers
/// from etcd. The object layer calls nothing else for these decisions, so its logic is the same
/// in both modes.
package protocol Coordination: Sendable {
    /// Runs `body` holding the lock of `name` (`bucket/key`), cluster-wide in a cluster. The
    /// fence `body` receives carries the lock's token for the drives to check, and orders the
    /// versions written under it. Throws `coordinationUnavailable` when the lock cannot be had.
    func withKeyLock<T>(_ name: String, _ body: (KeyFence) async throws -> T) async throws -> T

    /// `withKeyLock` for a change of a key of `bucket`: a cluster reads the bucket's record
    /// together with the lock (one etcd transaction) and passes it in the fence; throws
    /// `noSuchBucket` when the bucket is gone. One node passes no record (the caller's holds).
    func withKeyLock<T>(_ name: String, bucket: String, _ body: (KeyFence) async throws -> T) async throws -> T

    /// Creates the bucket; throws `DriveError.bucketExists` when it exists.
    func createBucket(_ bucket: BucketRecord, sets: ErasureSets) async throws
    func bucket(named name: String, sets: ErasureSets) async throws -> BucketRecord?
    /// `bucket(named:)` for a read of objects (GET, HEAD, listings): may answer from a copy
    /// that lags a change made through another node by moments (see `Cluster.BucketWatchCache`),
    /// but never calls a bucket absent that exists. Writes use `bucket(named:)`.
    func recentBucket(named name: String, sets: ErasureSets) async throws -> BucketRecord?
    func listBuckets(sets: ErasureSets) async throws -> [BucketRecord]
    /// Replaces the record of an existing bucket (its configuration).
    func updateBucket(_ bucket: BucketRecord, sets: ErasureSets) async throws
    /// Deletes a bucket the caller found empty; throws `DriveError.bucketNotFound` when absent.
    func deleteBucket(named name: String, sets: ErasureSets) async throws
}

extension Coordination {
    package func withKeyLock<T>(_ name: String, bucket: String, _ body: (KeyFence) async throws -> T) async throws -> T {
        try await withKeyLock(name, body)
    }

    package func recentBucket(named name: String, sets: ErasureSets) async throws -> BucketRecord? {
        try await bucket(named: name, sets: sets)
    }
}

/// What a writer holding a key's lock passes on: the lock's fencing token (nil on one node,
/// where the lock cannot be lost) and the stamps of the versions it writes.
package struct KeyFence: Sendable, Equatable {
    /// Stamps per token: a lock holder writes one version per commit, and a token's stamps stay
    /// below the next token's.
    static let stampsPerToken: Int64 = 1 << 16

    /// The lock's token: larger for every later holder of any lock (an etcd revision).
    package var token: Int64?
    /// The bucket's record as read with the lock (`withKeyLock(_:bucket:_:)` in a cluster).
    package var bucket: BucketRecord?

    package init(token: Int64?, bucket: BucketRecord? = nil) {
        self.token = token
        self.bucket = bucket
    }

    /// No fencing: the lock is this process's own.
    package static let local = KeyFence(token: nil)

    /// The stamp of a version written under this lock. With a token the stamp comes from the
    /// token, so versions of a key are ordered by the order its lock was held in, whatever the
    /// nodes' clocks say; without one, from this process's clock (`VersionClock`).
    package func versionStamp() -> Int64 {
        guard let token else { return VersionClock.nextStamp() }
        return token &* Self.stampsPerToken
    }
}

/// One node: a lock in this process, and the bucket records the drives keep (by vote).
package struct LocalCoordination: Coordination {
    let locks = KeyLocks()

    package init() {}

    package func withKeyLock<T>(_ name: String, _ body: (KeyFence) async throws -> T) async throws -> T {
        try await locks.withLock(name) { try await body(.local) }
    }

    package func createBucket(_ bucket: BucketRecord, sets: ErasureSets) async throws {
        try await sets.createBucket(bucket)
    }

    package func bucket(named name: String, sets: ErasureSets) async throws -> BucketRecord? {
        try await sets.bucket(named: name)
    }

    package func listBuckets(sets: ErasureSets) async throws -> [BucketRecord] {
        try await sets.listBuckets()
    }

    package func updateBucket(_ bucket: BucketRecord, sets: ErasureSets) async throws {
        try await sets.updateBucket(bucket)
    }

    package func deleteBucket(named name: String, sets: ErasureSets) async throws {
        try await sets.deleteBucket(named: name)
    }
}
