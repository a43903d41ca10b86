import AsyncHTTPClient
import Cluster
import ObjectLayer
import StowageCore
import StowageTesting
import Testing

/// Key locks and bucket records through a real etcd, as two nodes (two coordinators) see them.
@Suite("etcd coordination")
struct EtcdCoordinationTests {
    static func withNodes(
        lockWait: Duration = .seconds(15), ttl: Int64 = 10,
        _ body: @Sendable (EtcdCoordination, EtcdCoordination, EtcdProcess) async throws -> Void
    ) async throws {
        let etcd = try await EtcdProcess.start()
        defer { etcd.stop() }
        let client = EtcdClient(endpoints: [etcd.clientURL], client: HTTPClient.shared)
        let one = EtcdCoordination(etcd: client, lease: NodeLease(etcd: client, ttlSeconds: ttl), lockWait: lockWait)
        let two = EtcdCoordination(etcd: client, lease: NodeLease(etcd: client, ttlSeconds: ttl), lockWait: lockWait)
        try await body(one, two, etcd)
    }

    @Test("a key's lock is held by one node at a time, and every holder's token is larger than the last")
    func exclusion() async throws {
        try await Self.withNodes { one, two, _ in
            let inside = Shared(0)
            let tokens = Shared<[Int64]>([])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<12 {
                    let node = index.isMultiple(of: 2) ? one : two
                    group.addTask {
                        try await node.withKeyLock("b/k") { fence in
                            #expect(inside.update { $0 += 1; return $0 } == 1)
                            tokens.update { $0.append(fence.token ?? -1) }
                            try await Task.sleep(for: .milliseconds(5))
                            inside.update { $0 -= 1 }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let seen = tokens.update { $0 }
            #expect(seen.count == 12)
            #expect(seen == seen.sorted() && Set(seen).count == 12, "tokens grow with each holder: \(seen)")
            // Versions are stamped from the token, so they follow the lock's order.
            #expect(KeyFence(token: seen[1]).versionStamp() > KeyFence(token: seen[0]).versionStamp())
        }
    }

    @Test("a lock another node keeps holding makes a writer give up with coordinationUnavailable after the wait")
    func lockWait() async throws {
        try await Self.withNodes(lockWait: .milliseconds(600)) { one, two, _ in
            try await one.withKeyLock("b/busy") { _ in
                let started = ContinuousClock.now
                await #expect(throws: ObjectLayerError.self) {
                    try await two.withKeyLock("b/busy") { _ in }
                }
                #expect(ContinuousClock.now - started >= .milliseconds(600))
            }
            // Released: the other node gets it at once.
            try await two.withKeyLock("b/busy") { fence in #expect(fence.token != nil) }
        }
    }

    @Test("a lock whose holder's lease expired goes to the next node, with a larger token")
    func expiredLeaseFreesTheLock() async throws {
        try await Self.withNodes(ttl: 2) { one, two, _ in
            // One takes the lock and stalls without renewing its lease (no keep-alive runs here).
            let first = Shared<Int64>(0)
            let holder = Task {
                try await one.withKeyLock("b/lease") { fence in
                    first.update { $0 = fence.token! }
                    try await Task.sleep(for: .seconds(6))
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            let started = ContinuousClock.now
            let second = try await two.withKeyLock("b/lease") { fence in fence.token! }
            #expect(ContinuousClock.now - started < .seconds(5.5), "the lease ended the stalled hold")
            #expect(second > first.update { $0 })
            holder.cancel()
            _ = try? await holder.value
        }
    }

    @Test("bucket records: one create wins, changes show at once through the other node, deletes are final")
    func buckets() async throws {
        try await Self.withNodes { one, two, _ in
            let dir = TemporaryDirectory()
            defer { dir.remove() }
            let sets = try await TestStores.store(roots: [dir.path], pool: TestThreadPool.shared).store
            let record = BucketRecord(name: "photos", created: 1, region: "us-east-1")
            try await one.createBucket(record, sets: sets.sets)
            do {
                try await two.createBucket(record, sets: sets.sets)
                Issue.record("a second create succeeded")
            } catch let error as DriveError {
                #expect(error.code == .bucketExists)
            }
            var versioned = record
            versioned.versioning = .enabled
            try await one.updateBucket(versioned, sets: sets.sets)
            #expect(try await two.bucket(named: "photos", sets: sets.sets)?.versioning == .enabled)
            #expect(try await two.listBuckets(sets: sets.sets).map(\.name) == ["photos"])
            // The drives keep a copy (read when etcd is unreachable).
            #expect(try await sets.sets.bucket(named: "photos")?.versioning == .enabled)
            try await two.deleteBucket(named: "photos", sets: sets.sets)
            #expect(try await one.bucket(named: "photos", sets: sets.sets) == nil)
            do {
                try await one.updateBucket(versioned, sets: sets.sets)
                Issue.record("an update brought back a deleted bucket")
            } catch let error as DriveError {
                #expect(error.code == .bucketNotFound)
            }
        }
    }

    @Test("with etcd unreachable, bucket reads fall back to the drives' copies and changes answer coordinationUnavailable")
    func etcdUnreachable() async throws {
        try await Self.withNodes { one, _, etcd in
            let dir = TemporaryDirectory()
            defer { dir.remove() }
            let sets = try await TestStores.store(roots: [dir.path], pool: TestThreadPool.shared).store
            try await one.createBucket(BucketRecord(name: "kept", created: 1, region: "us-east-1"), sets: sets.sets)
            etcd.stop()
            #expect(try await one.bucket(named: "kept", sets: sets.sets)?.name == "kept")
            #expect(try await one.listBuckets(sets: sets.sets).map(\.name) == ["kept"])
            for change in [
                { try await one.createBucket(BucketRecord(name: "new", created: 1, region: "us-east-1"), sets: sets.sets) },
                { try await one.withKeyLock("kept/k") { _ in } },
            ] as [@Sendable () async throws -> Void] {
                do {
                    try await change()
                    Issue.record("a change succeeded without etcd")
                } catch let error as ObjectLayerError {
                    #expect(error.code == .coordinationUnavailable)
                }
            }
        }
    }
}
