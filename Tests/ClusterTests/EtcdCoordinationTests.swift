import AsyncHTTPClient
@testable import Cluster
import NIOCore
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

    @Test("locks of many keys taken at once share etcd requests; a key another node holds waits for it alone")
    func batchedLocks() async throws {
        try await Self.withNodes { one, two, _ in
            let keys = (0..<24).map { "b/k\($0)" }
            let tokens = Shared<[String: [Int64]]>([:])
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Node two holds k0 and k1 for a while; node one wants every key at once.
                let holding = Shared(0)
                for key in keys.prefix(2) {
                    group.addTask {
                        try await two.withKeyLock(key) { fence in
                            tokens.update { $0[key, default: []].append(fence.token ?? -1) }
                            holding.update { $0 += 1 }
                            try await Task.sleep(for: .milliseconds(300))
                        }
                    }
                }
                while holding.update({ $0 }) < 2 { try await Task.sleep(for: .milliseconds(5)) }
                for key in keys {
                    group.addTask {
                        try await one.withKeyLock(key) { fence in tokens.update { $0[key, default: []].append(fence.token ?? -1) } }
                    }
                }
                try await group.waitForAll()
            }
            let seen = tokens.update { $0 }
            for key in keys.prefix(2) {
                let both = try #require(seen[key])
                #expect(both.count == 2 && both[1] > both[0], "the second holder of \(key) has the larger token: \(both)")
            }
            let firsts = keys.dropFirst(2).compactMap { seen[$0]?.first }
            #expect(firsts.count == 22)
            #expect(Set(firsts).count < firsts.count, "locks taken at once share a request (and so a revision)")
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
                    // Far longer than the lease, so only the lease's end can free the lock in time.
                    try await Task.sleep(for: .seconds(60))
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            let started = ContinuousClock.now
            let second = try await two.withKeyLock("b/lease") { fence in fence.token! }
            // The lease lasts 2 s; etcd revokes expired leases late when the machine is loaded.
            #expect(ContinuousClock.now - started < .seconds(30), "the lease ended the stalled hold")
            #expect(second > first.update { $0 })
            holder.cancel()
            _ = try? await holder.value
        }
    }

    @Test("a restarted node revokes its previous process's lease: the locks that process held are free at once")
    func restartRevokesThePreviousLease() async throws {
        let etcd = try await EtcdProcess.start()
        defer { etcd.stop() }
        let client = EtcdClient(endpoints: [etcd.clientURL], client: HTTPClient.shared)
        let record = NodeLease.recordKey(address: "127.0.0.1:9001")
        // The first process takes a lock under a 60 s lease and dies holding it (its task never ends).
        let killed = EtcdCoordination(
            etcd: client, lease: NodeLease(etcd: client, ttlSeconds: 60, recordKey: record), lockWait: .seconds(1))
        let held = Shared<Int64>(0)
        let holder = Task {
            try await killed.withKeyLock("b/k") { fence in
                held.update { $0 = fence.token! }
                try await Task.sleep(for: .seconds(120))
            }
        }
        defer { holder.cancel() }
        while held.update({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let other = EtcdCoordination(etcd: client, lease: NodeLease(etcd: client, ttlSeconds: 60), lockWait: .seconds(1))
        await #expect(throws: ObjectLayerError.self) { try await other.withKeyLock("b/k") { _ in } }
        // The node's next process, as it starts: the lock is free, and a later holder's token is larger.
        let restarted = NodeLease(etcd: client, ttlSeconds: 60, recordKey: record)
        try await restarted.notePrevious()
        #expect(try await restarted.revokePrevious() != nil)
        let token = try await other.withKeyLock("b/k") { fence in fence.token! }
        #expect(token > held.update { $0 })
        // Its own lease is recorded in turn; revoking a lease etcd no longer knows is no error.
        let next = EtcdCoordination(etcd: client, lease: restarted, lockWait: .seconds(1))
        try await next.withKeyLock("b/j") { _ in }
        #expect(try await client.get(record)?.value == Array(String(try await restarted.id()).utf8))
        try await client.revokeLease(123_456_789)
    }

    @Test("a release etcd could not take (etcd away) is sent again once it answers: the key is not left locked while the lease lives")
    func releaseOutlivesAnOutage() async throws {
        let etcd = try await EtcdProcess.start()
        defer { etcd.stop() }
        var client = EtcdClient(endpoints: [etcd.clientURL], client: HTTPClient.shared)
        client.timeout = .milliseconds(300)
        // Leases far longer than the test: only a release can free the lock in time (no
        // keep-alive runs here, as none is needed within 10 minutes).
        let one = EtcdCoordination(etcd: client, lease: NodeLease(etcd: client, ttlSeconds: 600), lockWait: .seconds(5))
        let two = EtcdCoordination(etcd: client, lease: NodeLease(etcd: client, ttlSeconds: 600), lockWait: .seconds(5))
        _ = try await two.withKeyLock("b/warm") { _ in }
        let started = ContinuousClock.now
        // etcd goes away while the lock is held, and comes back only after the holder was told
        // its release is done (every attempt of its first round failed).
        try await one.withKeyLock("b/partitioned") { _ in etcd.kill() }
        #expect(ContinuousClock.now - started < .seconds(15), "the holder was not kept waiting for etcd")
        try await etcd.restart()
        // The client turns callers away for a moment after an outage; the lock itself must come
        // free well within a lock wait of etcd answering again.
        let deadline = ContinuousClock.now + .seconds(20)
        var token: Int64?
        var failure: (any Error)?
        while token == nil, ContinuousClock.now < deadline {
            do {
                token = try await two.withKeyLock("b/partitioned") { fence in fence.token }
            } catch {
                failure = error
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        #expect(token != nil, "the lock stayed held: \(String(describing: failure))")
    }

    @Test("a lock left in etcd under this node's own lease (a create whose answer was lost) is taken anew by this node at once")
    func ownLeftoverLock() async throws {
        // Leases outlast the test, so only this node's own clean-up can free the leftover (without
        // it, `one` waits out its lock wait and throws, as `two` does).
        try await Self.withNodes(lockWait: .milliseconds(800), ttl: 300) { one, two, etcd in
            var client = EtcdClient(endpoints: [etcd.clientURL], client: HTTPClient.shared)
            client.timeout = .seconds(5)
            let key = EtcdCoordination.lockPrefix + "b/orphan"
            let orphan = try #require(try await client.createIfAbsent(key, value: [], lease: try await one.lease.id()))
            // Another node cannot tell a leftover from a holder: it waits, then gives up.
            await #expect(throws: ObjectLayerError.self) { try await two.withKeyLock("b/orphan") { _ in } }
            let token = try await one.withKeyLock("b/orphan") { fence in fence.token }
            #expect(try #require(token) > orphan)
            // Released as usual: the other node gets it now.
            try await two.withKeyLock("b/orphan") { fence in #expect(fence.token != nil) }
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

    @Test("a change's lock reads its bucket's record in the same transaction: the versioning of now, or noSuchBucket")
    func lockReadsTheBucket() async throws {
        try await Self.withNodes { one, two, _ in
            let dir = TemporaryDirectory()
            defer { dir.remove() }
            let sets = try await TestStores.store(roots: [dir.path], pool: TestThreadPool.shared).store.sets
            var record = BucketRecord(name: "locked", created: 1, region: "us-east-1")
            try await one.createBucket(record, sets: sets)
            let first = try await two.withKeyLock("locked/k", bucket: "locked") { fence in fence }
            #expect(first.bucket == record && first.token != nil)
            record.versioning = .enabled
            try await one.updateBucket(record, sets: sets)
            // The other node's copy of the record may lag; the lock's read does not.
            let second = try await two.withKeyLock("locked/k", bucket: "locked") { fence in fence }
            #expect(second.bucket?.versioning == .enabled)
            #expect(second.token! > first.token!)
            try await one.deleteBucket(named: "locked", sets: sets)
            let error = await #expect(throws: ObjectLayerError.self) {
                try await two.withKeyLock("locked/k", bucket: "locked") { _ in Issue.record("ran without its bucket") }
            }
            #expect(error?.code == .noSuchBucket)
            // The lock was released: taking it again does not wait.
            let started = ContinuousClock.now
            try await one.withKeyLock("locked/k") { _ in }
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test("reads of bucket records follow etcd's watch: changes through another node arrive, unknown buckets are read at once")
    func watchedBuckets() async throws {
        try await Self.withNodes { one, two, _ in
            let dir = TemporaryDirectory()
            defer { dir.remove() }
            let sets = try await TestStores.store(roots: [dir.path], pool: TestThreadPool.shared).store.sets
            let record = BucketRecord(name: "watched", created: 1, region: "us-east-1")
            try await one.createBucket(record, sets: sets)
            // Renewed every 200 ms, so the changes below also cross renewals.
            let watching = Task { await two.watchBuckets(renewEvery: .milliseconds(200)) }
            defer { watching.cancel() }
            try await Self.eventually { two.buckets.lookup("watched") != nil }
            try await Task.sleep(for: .milliseconds(500))
            // Created through one after the watch started: a read through two finds it at once
            // (etcd is asked when the copy does not know a bucket), and the watch brings it too.
            try await one.createBucket(BucketRecord(name: "later", created: 2, region: "us-east-1"), sets: sets)
            #expect(try await two.recentBucket(named: "later", sets: sets)?.name == "later")
            // A change through one reaches two's copy, which reads then answer from.
            var versioned = record
            versioned.versioning = .enabled
            try await one.updateBucket(versioned, sets: sets)
            try await Self.eventually { two.buckets.lookup("watched")?.versioning == .enabled }
            #expect(try await two.recentBucket(named: "watched", sets: sets)?.versioning == .enabled)
            // A delete through one ends it in two's copy: reads ask etcd, which says it is gone.
            try await one.deleteBucket(named: "watched", sets: sets)
            try await Self.eventually { two.buckets.lookup("watched") == nil }
            #expect(try await two.recentBucket(named: "watched", sets: sets) == nil)
            // An older answer never replaces a newer one.
            let cache = BucketWatchCache()
            cache.reset([(record, 5)], at: 5)
            cache.apply("watched", nil, revision: 7)
            cache.learn(record, revision: 6)
            #expect(cache.lookup("watched") == nil)
            cache.suspend()
            cache.learn(BucketRecord(name: "other", created: 1, region: "us-east-1"), revision: 8)
            #expect(cache.lookup("other") == nil, "nothing is answered while no watch runs")
        }
    }

    static func eventually(_ condition: @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met within 10 s")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
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
