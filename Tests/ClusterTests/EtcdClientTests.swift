import AsyncHTTPClient
import Cluster
import NIOCore
import StowageTesting
import Testing

/// The etcd client against a real etcd (Debian's etcd-server) on loopback.
@Suite("etcd client")
struct EtcdClientTests {
    static func withEtcd(_ body: @Sendable (EtcdClient, EtcdProcess) async throws -> Void) async throws {
        let etcd = try await EtcdProcess.start()
        defer { etcd.stop() }
        try await body(EtcdClient(endpoints: [etcd.clientURL], client: HTTPClient.shared), etcd)
    }

    @Test("put, get, list by prefix and delete, with revisions")
    func keys() async throws {
        try await Self.withEtcd { etcd, _ in
            #expect(try await etcd.get("/a/1") == nil)
            let first = try await etcd.put("/a/1", value: Array("one".utf8))
            try await etcd.put("/a/2", value: [0, 255, 10])
            try await etcd.put("/b", value: [])
            let one = try #require(try await etcd.get("/a/1"))
            #expect(one.value == Array("one".utf8))
            #expect(one.modRevision == first && one.createRevision == first)
            #expect(try await etcd.list(prefix: "/a/").map(\.key) == ["/a/1", "/a/2"])
            #expect(try await etcd.list(prefix: "/a/").last?.value == [0, 255, 10])
            #expect(try await etcd.delete("/a/1") == 1)
            #expect(try await etcd.delete("/a/1") == 0)
            #expect(try await etcd.list(prefix: "/").map(\.key) == ["/a/2", "/b"])
        }
    }

    @Test("of clients racing to create one key, exactly one creates it; the others see its value")
    func createIfAbsent() async throws {
        try await Self.withEtcd { etcd, _ in
            let outcomes = try await withThrowingTaskGroup(of: (Int, EtcdClient.KeyValue?).self) { group in
                for index in 0..<8 {
                    group.addTask { (index, try await etcd.createIfAbsent("/once", value: [UInt8(index)])) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let winners = outcomes.filter { $0.1 == nil }.map(\.0)
            #expect(winners.count == 1)
            for (_, existing) in outcomes where existing != nil { #expect(existing?.value == [UInt8(winners[0])]) }
            #expect(try await etcd.get("/once")?.value == [UInt8(winners[0])])
        }
    }

    @Test("compare-and-swap writes only over the revision it read")
    func compareAndSwap() async throws {
        try await Self.withEtcd { etcd, _ in
            #expect(try await etcd.compareAndSwap("/k", modRevision: 0, value: [1]))
            #expect(try await !etcd.compareAndSwap("/k", modRevision: 0, value: [2]))
            let read = try #require(try await etcd.get("/k"))
            #expect(try await etcd.compareAndSwap("/k", modRevision: read.modRevision, value: [3]))
            #expect(try await !etcd.compareAndSwap("/k", modRevision: read.modRevision, value: [4]))
            #expect(try await etcd.get("/k")?.value == [3])
        }
    }

    @Test("locks: a create reads another key in its transaction; many are released in one request, each only by its holder")
    func lockTransactions() async throws {
        try await Self.withEtcd { etcd, _ in
            let lease = try await etcd.grantLease(ttlSeconds: 30)
            try await etcd.put("/bucket", value: [7])
            let first = try await etcd.createIfAbsent("/lock/a", value: [], lease: lease, reading: "/bucket")
            #expect(first.revision != nil && first.other?.value == [7])
            let held = try await etcd.createIfAbsent("/lock/a", value: [], lease: lease, reading: "/bucket")
            #expect(held.revision == nil && held.other == nil)
            let absent = try await etcd.createIfAbsent("/lock/b", value: [], lease: lease, reading: "/missing")
            let b = try #require(absent.revision)
            #expect(absent.other == nil)
            let c = try #require(try await etcd.createIfAbsent("/lock/c", value: [], lease: lease))
            // /lock/c is released with a stale revision (another holder's): it stays.
            try await etcd.delete([("/lock/a", first.revision!), ("/lock/b", b), ("/lock/c", c - 1)])
            #expect(try await etcd.get("/lock/a") == nil)
            #expect(try await etcd.get("/lock/b") == nil)
            #expect(try await etcd.get("/lock/c")?.createRevision == c)
        }
    }

    @Test("locks: several keys are created in one request, each taken or refused on its own, with one revision")
    func batchedCreates() async throws {
        try await Self.withEtcd { etcd, _ in
            let mine = try await etcd.grantLease(ttlSeconds: 30)
            let theirs = try await etcd.grantLease(ttlSeconds: 30)
            try await etcd.put("/bucket", value: [7])
            let held = try #require(try await etcd.createIfAbsent("/lock/b", value: [], lease: theirs))
            let answers = try await etcd.createIfAbsent(
                [("/lock/a", "/bucket"), ("/lock/b", "/bucket"), ("/lock/c", "/missing"), ("/lock/d", nil)], value: [],
                lease: mine)
            #expect(answers.count == 4)
            let revision = try #require(answers[0].revision)
            #expect(revision > held)
            #expect(answers[0].other?.value == [7] && answers[0].holder == nil)
            #expect(answers[1].revision == nil && answers[1].other == nil)
            #expect(answers[1].holder?.lease == theirs && answers[1].holder?.createRevision == held)
            #expect(answers[2].revision == revision && answers[2].other == nil)
            #expect(answers[3].revision == revision)
            for key in ["/lock/a", "/lock/c", "/lock/d"] {
                let stored = try #require(try await etcd.get(key))
                #expect(stored.createRevision == revision && stored.lease == mine)
            }
            #expect(try await etcd.get("/lock/b")?.lease == theirs)
            // Released by that revision, each goes.
            try await etcd.delete([("/lock/a", revision), ("/lock/c", revision), ("/lock/d", revision)])
            #expect(try await etcd.list(prefix: "/lock/").map(\.key) == ["/lock/b"])
        }
    }

    @Test("leases are granted and renewed")
    func leases() async throws {
        try await Self.withEtcd { etcd, _ in
            let lease = try await etcd.grantLease(ttlSeconds: 10)
            try await etcd.put("/leased", value: [1], lease: lease)
            #expect(try await etcd.keepAlive(lease: lease) > 0)
            #expect(try await etcd.get("/leased")?.value == [1])
        }
    }

    @Test("a member that does not answer is skipped; none answering is unavailable")
    func failover() async throws {
        try await Self.withEtcd { _, process in
            let dead = "http://127.0.0.1:1"
            var both = EtcdClient(endpoints: [dead, process.clientURL], client: HTTPClient.shared)
            both.timeout = .seconds(2)
            try await both.put("/k", value: [7])
            #expect(try await both.get("/k")?.value == [7])
            var none = EtcdClient(endpoints: [dead], client: HTTPClient.shared)
            none.timeout = .seconds(2)
            await #expect {
                _ = try await none.get("/k")
            } throws: { error in
                if case .unavailable = error as? EtcdError { return true }
                return false
            }
        }
    }

    @Test("a call made while the members that are up have no leader waits for one to be elected")
    func waitsForAnElection() async throws {
        let members = try await EtcdProcess.startCluster(members: 3)
        defer { EtcdProcess.stop(members) }
        let probe = EtcdClient(endpoints: members.map(\.clientURL), client: HTTPClient.shared)
        try await probe.put("/before", value: [1])
        let leader = try await EtcdProcess.leader(of: members)
        let followers = members.indices.filter { $0 != leader }
        // Asked in this order: a follower left without a leader (it holds requests until its own
        // timeout), a follower ended and started again a few seconds later, the leader (ended).
        let (live, late) = (members[followers[0]], members[followers[1]])
        var etcd = EtcdClient(endpoints: [live.clientURL, late.clientURL, members[leader].clientURL], client: HTTPClient.shared)
        etcd.timeout = .seconds(2)
        members[leader].kill()
        late.kill()
        let restart = Task {
            try await Task.sleep(for: .seconds(4))
            try await late.restart()
        }
        let start = ContinuousClock.now
        var failure: (any Error)?
        do { try await etcd.put("/during", value: [2]) } catch { failure = error }
        let waited = ContinuousClock.now - start
        try await restart.value  // never leave a member started after the folders are gone
        if let failure { throw failure }
        // The first round of tries failed (the follower held the call 2 s, the others refused it);
        // the call asked the member that was up again until a leader was elected.
        #expect(waited > .seconds(4))
        #expect(try await etcd.get("/during")?.value == [2])
    }

    // MARK: Layout

    static let drives = (1...4).flatMap { node in (1...2).map { "http://127.0.0.1:900\(node)/srv/n\(node)/d\($0)" } }

    static func layout(_ deploymentID: String, drives: [String] = drives, parity: Int = 4) throws -> ClusterLayout {
        let topology = try ClusterTopology(endpoints: drives, address: "127.0.0.1:9001")
        return ClusterLayout(
            deploymentID: deploymentID, topology: topology, setCount: 1, drivesPerSet: drives.count, parity: parity)
    }

    @Test("the first node records the layout; the others get it back, racing or not")
    func layoutRecordedOnce() async throws {
        try await Self.withEtcd { etcd, _ in
            let registry = LayoutRegistry(etcd: etcd)
            let results = try await withThrowingTaskGroup(of: ClusterLayout.self) { group in
                for node in 1...4 { group.addTask { try await registry.establish(try Self.layout("deployment-\(node)")) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(results.map(\.deploymentID)).count == 1)
            let later = try await registry.establish(try Self.layout("deployment-late"))
            #expect(later.deploymentID == results[0].deploymentID)
            // In slot order: the nodes interleaved.
            #expect(later.drives.prefix(3) == [
                "http://127.0.0.1:9001/srv/n1/d1", "http://127.0.0.1:9002/srv/n2/d1", "http://127.0.0.1:9003/srv/n3/d1",
            ])
            #expect(Set(later.drives) == Set(Self.drives))
        }
    }

    @Test("a node whose drives or parity disagree with the record is refused, saying how")
    func layoutMismatchRefused() async throws {
        try await Self.withEtcd { etcd, _ in
            let registry = LayoutRegistry(etcd: etcd)
            _ = try await registry.establish(try Self.layout("first"))
            var moved = Self.drives
            moved[7] = "http://127.0.0.1:9004/srv/n4/other"
            let error = await #expect(throws: LayoutRegistry.Mismatch.self) {
                _ = try await registry.establish(try Self.layout("second", drives: moved))
            }
            #expect(error?.description.contains("not given: http://127.0.0.1:9004/srv/n4/d2") == true)
            #expect(error?.description.contains("not recorded: http://127.0.0.1:9004/srv/n4/other") == true)
            let parity = await #expect(throws: LayoutRegistry.Mismatch.self) {
                _ = try await registry.establish(try Self.layout("third", parity: 2))
            }
            #expect(parity?.differences == ["parity: recorded 4, given 2"])
        }
    }
}
