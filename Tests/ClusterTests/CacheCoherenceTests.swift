import Cluster
import NIOCore
import ObjectLayer
import StowageCore
import Synchronization
import Testing

/// `CacheCoherence` between nodes in this process, each behind a real internode listener: a
/// node's cache never answers with a version another node's write replaced, whatever messages
/// get through.
@Suite("Cache coherence between nodes")
struct CacheCoherenceTests {
    static let signature = InternodeSignature(rootUser: "root", rootPassword: "coherence-secret")

    static var timing: CacheCoherence.Timing {
        var timing = CacheCoherence.Timing()
        timing.lease = .milliseconds(400)
        timing.margin = .milliseconds(100)
        timing.renewEvery = .milliseconds(50)
        // Generous: a message that times out on a loaded machine counts as lost (a flush, an untold node).
        timing.callTimeout = .seconds(2)
        return timing
    }

    /// One node: its cache and coherence, and a switch that refuses every node call (as if the
    /// messages were lost), counting the writes it was told of.
    final class TestNode: Sendable {
        /// What the node's listener consults for each node call.
        final class Board: Sendable {
            let coherence = Mutex<CacheCoherence?>(nil)
            let deaf = Atomic<Bool>(false)
            let told = Atomic<Int>(0)
        }

        let listener: any Channel
        let address: String
        let board: Board
        var current: CacheCoherence { board.coherence.withLock { $0! } }
        var cache: InlineObjectCache { current.cache }
        /// Requests of cache messages (`begin-write`, `end-write`, `clear`) that reached this node, answered or not.
        var told: Int { board.told.load(ordering: .relaxed) }
        func setDeaf(_ value: Bool) { board.deaf.store(value, ordering: .relaxed) }

        init() async throws {
            let board = Board()
            let server = DriveRPCServer(
                signature: CacheCoherenceTests.signature,
                node: { frame in
                    if frame.operation == 2 { board.told.wrappingAdd(1, ordering: .relaxed) }
                    if board.deaf.load(ordering: .relaxed) {
                        return InternodeFrame(
                            id: frame.id, slot: frame.slot, operation: frame.operation, status: .refused,
                            message: ByteBuffer(string: "deaf"), data: ByteBuffer())
                    }
                    return board.coherence.withLock { $0! }.serve(frame)
                }, drives: { _ in nil })
            listener = try await InternodeListener.bind(host: "127.0.0.1", port: 0, server: server)
            address = "127.0.0.1:\(listener.localAddress!.port!)"
            self.board = board
        }

        /// (Re)starts this node's coherence (a new incarnation) with a fresh cache.
        func start(nodes: [String], client: InternodeClient) -> CacheCoherence {
            let coherence = CacheCoherence(
                cache: InlineObjectCache(capacity: 1 << 20, serving: false), address: address, nodes: nodes, client: client,
                timing: CacheCoherenceTests.timing)
            board.coherence.withLock { $0 = coherence }
            return coherence
        }
    }

    static func record(_ key: String, _ body: String) -> ObjectRecord {
        ObjectRecord(
            bucket: "b", key: key, size: Int64(body.utf8.count), etag: body, lastModified: 0, inlineData: Array(body.utf8),
            versionStamp: 1)
    }

    /// Waits up to 30 s for `condition` (suites run in parallel on 2 cores: a loaded machine is slow).
    static func eventually(_ what: Comment, _ condition: () -> Bool) async {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition() && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        #expect(condition(), what)
    }

    /// Runs two nodes' leases during `body`.
    static func withNodes(_ body: @Sendable (TestNode, TestNode, InternodeClient) async throws -> Void) async throws {
        let client = InternodeClient(signature: signature)
        let a = try await TestNode()
        let b = try await TestNode()
        let nodes = [a.address, b.address]
        let coherenceA = a.start(nodes: nodes, client: client)
        let coherenceB = b.start(nodes: nodes, client: client)
        let leases = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { await coherenceA.runLeases() }
                group.addTask { await coherenceB.runLeases() }
            }
        }
        do {
            try await body(a, b, client)
        } catch {
            leases.cancel()
            throw error
        }
        leases.cancel()
        await leases.value
        try? await a.listener.close()
        try? await b.listener.close()
    }

    @Test("leases open the caches; another node's write keeps the key out of the cache from before its commit to after it")
    func toldWrites() async throws {
        try await Self.withNodes { a, b, _ in
            await Self.eventually("both caches open once the other granted a lease") { a.cache.isServing && b.cache.isServing }
            a.cache.insert(Self.record("k", "old"), bucketVersioned: false, readAt: a.cache.generation)
            #expect(a.cache.peek(bucket: "b", key: "k")?.record.etag == "old")
            let write = await b.current.beginWrite(bucket: "b", key: "k")
            #expect(write.untold.isEmpty)
            #expect(a.cache.peek(bucket: "b", key: "k") == nil)
            a.cache.insert(Self.record("k", "old"), bucketVersioned: false, readAt: a.cache.generation)
            #expect(a.cache.peek(bucket: "b", key: "k") == nil, "a key being written elsewhere is not cached")
            await b.current.endWrite(write)
            a.cache.insert(Self.record("k", "new"), bucketVersioned: false, readAt: a.cache.generation)
            #expect(a.cache.peek(bucket: "b", key: "k")?.record.etag == "new")
            await b.current.clear(bucket: "b")
            #expect(a.cache.peek(bucket: "b", key: "k") == nil)
            await Self.eventually("a keeps serving") { a.cache.isServing }
        }
    }

    @Test("messages of concurrent writes travel together, each applied")
    func concurrentWritesShareRequests() async throws {
        try await Self.withNodes { a, b, _ in
            await Self.eventually("both caches open") { a.cache.isServing && b.cache.isServing }
            let before = a.told
            let writes = await withTaskGroup(of: CacheWrite.self) { group in
                for index in 0..<64 { group.addTask { await b.current.beginWrite(bucket: "b", key: "k\(index)") } }
                return await group.reduce(into: [CacheWrite]()) { $0.append($1) }
            }
            #expect(writes.allSatisfy { $0.untold.isEmpty })
            #expect(a.cache.pendingKeys == 64)
            #expect(a.told - before < 64, "some requests carried several messages")
            await withTaskGroup(of: Void.self) { group in
                for write in writes { group.addTask { await b.current.endWrite(write) } }
            }
            #expect(a.cache.pendingKeys == 0)
        }
    }

    @Test("a node that cannot be told is waited out before the commit, and flushes before it serves again")
    func untoldWrites() async throws {
        try await Self.withNodes { a, b, _ in
            await Self.eventually("both caches open") { a.cache.isServing && b.cache.isServing }
            a.cache.insert(Self.record("k", "old"), bucketVersioned: false, readAt: a.cache.generation)
            a.cache.insert(Self.record("other", "o"), bucketVersioned: false, readAt: a.cache.generation)
            // Node a hears nothing of b's messages (but its own lease requests reach b).
            a.setDeaf(true)
            let write = await b.current.beginWrite(bucket: "b", key: "k")
            #expect(write.untold == [a.address])
            // The commit may happen now: a must not answer from its cache.
            #expect(a.cache.lookup(bucket: "b", key: "k") == nil, "a's lease ran out before b went on")
            #expect(!a.cache.isServing)
            try await Task.sleep(for: .milliseconds(300))
            #expect(!a.cache.isServing, "b grants no lease while a write a was not told of is in progress")
            await b.current.endWrite(write)
            a.setDeaf(false)
            await Self.eventually("a serves again once it flushed") { a.cache.isServing }
            #expect(a.cache.peek(bucket: "b", key: "k") == nil)
            #expect(a.cache.peek(bucket: "b", key: "other") == nil, "the flush forgot everything")
        }
    }

    @Test("a node that is not heard from is not told at all once its lease ran out")
    func silentNodeIsSkipped() async throws {
        try await Self.withNodes { a, b, _ in
            await Self.eventually("both caches open") { a.cache.isServing && b.cache.isServing }
            // a hears nothing and is not heard (b's lease requests to a fail, so does the reverse).
            a.setDeaf(true)
            b.setDeaf(true)
            let first = await b.current.beginWrite(bucket: "b", key: "k1")
            await b.current.endWrite(first)
            #expect(first.untold == [a.address])
            // Past a's lease, and past the time b would have heard from it.
            try await Task.sleep(for: .seconds(2.6))
            let toldBefore = a.told
            let second = await b.current.beginWrite(bucket: "b", key: "k2")
            await b.current.endWrite(second)
            #expect(second.untold == [a.address])
            #expect(a.told == toldBefore, "nothing was sent to a")
            a.setDeaf(false)
            b.setDeaf(false)
            await Self.eventually("both serve again") { a.cache.isServing && b.cache.isServing }
        }
    }

    @Test("a flush keeps the marks of writes in progress; a restarted node is granted nothing until they end")
    func marksOutliveFlushes() async throws {
        try await Self.withNodes { a, b, client in
            await Self.eventually("both caches open") { a.cache.isServing && b.cache.isServing }
            let write = await b.current.beginWrite(bucket: "b", key: "k")
            #expect(write.untold.isEmpty)
            // a misses another write of b's, so it must flush before its next lease.
            a.setDeaf(true)
            let missed = await b.current.beginWrite(bucket: "b", key: "other")
            await b.current.endWrite(missed)
            a.setDeaf(false)
            await Self.eventually("a serves again after flushing") { a.cache.isServing }
            a.cache.insert(Self.record("k", "old"), bucketVersioned: false, readAt: a.cache.generation)
            #expect(a.cache.peek(bucket: "b", key: "k") == nil, "the flush kept the mark of the write in progress")
            // a restarts: its new incarnation has no marks, so b grants it nothing yet.
            let restarted = a.start(nodes: [a.address, b.address], client: client)
            let leases = Task { await restarted.runLeases() }
            defer { leases.cancel() }
            try await Task.sleep(for: .milliseconds(600))
            #expect(!restarted.cache.isServing, "no lease while a write it was told of before restarting is in progress")
            await b.current.endWrite(write)
            await Self.eventually("the restarted a serves once the write ended") { restarted.cache.isServing }
        }
    }

    @Test("a node that restarted makes the others flush before it grants them a lease")
    func restartFlushes() async throws {
        try await Self.withNodes { a, b, client in
            await Self.eventually("both caches open") { a.cache.isServing && b.cache.isServing }
            a.cache.insert(Self.record("k", "old"), bucketVersioned: false, readAt: a.cache.generation)
            // b restarts (its old incarnation may have committed a write it never told a of).
            let restarted = b.start(nodes: [a.address, b.address], client: client)
            let leases = Task { await restarted.runLeases() }
            defer { leases.cancel() }
            await Self.eventually("a flushed for b's new incarnation") { a.cache.peek(bucket: "b", key: "k") == nil }
            await Self.eventually("a serves again") { a.cache.isServing }
            await Self.eventually("the restarted b serves") { restarted.cache.isServing }
        }
    }
}
