import Crypto
import HistoryCheck
import NIOCore
import ObjectLayer
import StowageCore
import StowageTesting
import Synchronization

/// One run of the simulation: a plan played on a fresh `SimCluster` from one seed, the history
/// its clients recorded, and every problem the checks found.
struct SimOutcome: Sendable {
    var seed: UInt64
    var plan: SimPlan
    var history: [HistoryOperation]
    var problems: [String]
    /// Virtual time the run took, nanoseconds.
    var virtualTime: Int64

    var failed: Bool { !problems.isEmpty }
}

/// Plays plans. After the clients and the faults end, every fault is healed, the cluster heals
/// itself (`Healer` on node 0, twice: the second pass must find nothing), every key is read
/// through every node, and then: the history must be linearizable (`LinearizabilityChecker`,
/// so no acknowledged write is lost, no stale read served, no conditional write doubled); every
/// drive must hold the same versions; the run must end (no task left waiting for ever) and must
/// not have depended on real time.
enum SimRunner {
    /// Runs `plan` with `seed`; `flaw` plants a defect (to show that the checks find it).
    static func run(seed: UInt64, plan: SimPlan, flaw: SimCluster.Flaw? = nil) async -> SimOutcome {
        let scheduler = SimScheduler(seed: seed)
        let cluster = SimCluster(
            scheduler: scheduler, seed: seed, nodes: plan.nodes, drivesPerNode: plan.drivesPerNode, flaw: flaw)
        let recorder = SimRecorder()
        let ending = await scheduler.run { await play(plan, on: cluster, recorder: recorder) }
        var problems = recorder.problems
        switch ending {
        case .finished: break
        case .stuck(let at): problems.append("the run got stuck at \(at / 1_000_000) ms: every task waits for ever")
        case .endless(let at): problems.append("background work did not end (at \(at / 1_000_000) ms)")
        }
        if scheduler.externalWakes > 0 {
            problems.append("\(scheduler.externalWakes) jobs came from another thread: the run depended on real time")
        }
        let history = recorder.history
        for (key, verdict, count) in LinearizabilityChecker(budget: 2_000_000).check(history) {
            switch verdict {
            case .linearizable: break
            case .gaveUp: problems.append("key \(key): the checker gave up on \(count) operations")
            case .violation(let window):
                problems.append(
                    "key \(key): not linearizable; smallest window:\n"
                        + window.map { "    \(describe($0))" }.joined(separator: "\n"))
            }
        }
        return SimOutcome(seed: seed, plan: plan, history: history, problems: problems, virtualTime: scheduler.now)
    }

    static func describe(_ op: HistoryOperation) -> String {
        "[\(milliseconds(op.start))–\(milliseconds(op.end)) ms] "
            + "client \(op.client) via n\(op.node): \(op.kind) → \(op.outcome)"
    }

    /// Virtual nanoseconds as milliseconds with three decimals.
    static func milliseconds(_ nanoseconds: Int64) -> String {
        let micros = String(nanoseconds / 1000 % 1000)
        return "\(nanoseconds / 1_000_000)." + String(repeating: "0", count: 3 - micros.count) + micros
    }

    private static func play(_ plan: SimPlan, on cluster: SimCluster, recorder: SimRecorder) async {
        for node in 0..<plan.nodes { cluster.start(node) }
        await cluster.scheduler.sleep(nanoseconds: 100_000_000)
        guard await setUp(plan, cluster, recorder) else {
            cluster.stop()
            return
        }
        let clock = cluster.scheduler
        await withTaskGroup(of: Void.self) { group in
            for (client, ops) in plan.clients.enumerated() {
                group.addTask {
                    for (index, op) in ops.enumerated() {
                        await clock.sleep(nanoseconds: op.pause)
                        await perform(op, client: client, index: index, cluster: cluster, recorder: recorder)
                    }
                }
            }
            group.addTask { await SimNemesis(cluster: cluster).play(plan.events) }
        }
        // Every fault is over. Leases of dead processes run out, hung calls finish, and every
        // node serves again.
        await clock.sleep(nanoseconds: SimCluster.leaseTTLSeconds * 1_000_000_000 + 2_000_000_000)
        for _ in 0..<300 where (0..<plan.nodes).contains(where: { cluster.store($0) == nil }) {
            await clock.sleep(nanoseconds: 100_000_000)
        }
        await heal(cluster, recorder, expectClean: false)
        rot(plan, cluster)
        for key in 0..<plan.keys {
            for node in 0..<plan.nodes {
                let op = SimPlan.Op(pause: 0, node: node, key: key, kind: .get, size: 0)
                await perform(op, client: 1000 + node, index: 0, cluster: cluster, recorder: recorder)
                if plan.versioned {
                    let list = SimPlan.Op(pause: 0, node: node, key: key, kind: .listVersions, size: 0)
                    await perform(list, client: 1000 + node, index: 0, cluster: cluster, recorder: recorder)
                }
            }
        }
        await heal(cluster, recorder, expectClean: !plan.events.contains { if case .corruptShard = $0.fault { true } else { false } })
        checkDrivesAgree(cluster, recorder)
        cluster.stop()
    }

    /// Bit rot: the plan's corruptions damage committed shards, all on one drive, so that no
    /// object loses more shards than its parity covers (the drives agree after the first heal).
    /// Reads must then serve the right bytes from the others, and healing must repair them.
    private static func rot(_ plan: SimPlan, _ cluster: SimCluster) {
        var drive: Int?
        for event in plan.events {
            guard case .corruptShard(let chosen, let pick) = event.fault else { continue }
            let target = cluster.drives.drives[drive ?? chosen]
            drive = drive ?? chosen
            let shards = target.committedShards
            if !shards.isEmpty { target.corrupt(shards[pick % shards.count]) }
        }
    }

    /// Creates the bucket (and enables versioning) through node 0, before any fault.
    private static func setUp(_ plan: SimPlan, _ cluster: SimCluster, _ recorder: SimRecorder) async -> Bool {
        guard let store = cluster.store(0) else { return false }
        do {
            try await store.createBucket(SimCluster.bucket, region: "us-east-1")
            if plan.versioned { try await store.setBucketVersioning(SimCluster.bucket, .enabled) }
            return true
        } catch {
            recorder.problem("setting up the bucket failed with no fault: \(error)")
            return false
        }
    }

    /// Heals the cluster through node 0; a second pass must find nothing left, and with
    /// `expectClean` the first must have nothing to find but missed writes either.
    private static func heal(_ cluster: SimCluster, _ recorder: SimRecorder, expectClean: Bool) async {
        guard let healer = cluster.healer(0) else {
            recorder.problem("node 0 did not serve again after every fault was over")
            return
        }
        do {
            let first = try await healer.heal(bucket: nil, prefix: "")
            if !first.failures.isEmpty { recorder.problem("healing failed with every fault over: \(first.failures)") }
            if expectClean && first.corruptionsFound > 0 {
                recorder.problem("healing found \(first.corruptionsFound) corrupt shards where none was made: \(first)")
            }
            let second = try await healer.heal(bucket: nil, prefix: "")
            if second.objectsHealed + second.recordsHealed + second.shardsHealed + second.corruptionsFound > 0
                || !second.failures.isEmpty
            {
                recorder.problem("a second heal still found work: \(second)")
            }
        } catch {
            recorder.problem("healing threw with every fault over: \(error)")
        }
    }

    /// After healing, every drive holds the same versions of every key.
    private static func checkDrivesAgree(_ cluster: SimCluster, _ recorder: SimRecorder) {
        func summary(_ drive: MemoryDrive) -> [String] {
            drive.allVersions(bucket: SimCluster.bucket).map {
                "\($0.key) \($0.versionID) \($0.versionStamp) \($0.isDeleteMarker ? "marker" : $0.etag)"
            }
        }
        let first = summary(cluster.drives.drives[0])
        for drive in cluster.drives.drives.dropFirst() where summary(drive) != first {
            recorder.problem("after healing, drive \(drive.name) holds \(summary(drive)), drive 0 holds \(first)")
        }
    }

    // MARK: Operations

    static func value(client: Int, index: Int) -> String { "c\(client)o\(index)" }

    /// The body of `value`: the value, a bar, and padding up to `size` bytes.
    static func body(_ value: String, size: Int) -> [UInt8] {
        let head = Array(value.utf8) + [0x7C]
        return head + [UInt8](repeating: 0x2E, count: max(0, size - head.count))
    }

    static func etag(_ body: [UInt8]) -> String {
        Insecure.MD5.hash(data: body).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
            .joined()
    }

    static func value(of bytes: some Sequence<UInt8>) -> String {
        String(decoding: Array(bytes).prefix { $0 != 0x7C }, as: UTF8.self)
    }

    private static func perform(_ op: SimPlan.Op, client: Int, index: Int, cluster: SimCluster, recorder: SimRecorder) async {
        let key = "k\(op.key)"
        let value = Self.value(client: client, index: index)
        let body = Self.body(value, size: op.size)
        let kind: HistoryOperation.Kind
        var condition: WriteCondition?
        switch op.kind {
        case .put: kind = .put(value: value)
        case .get: kind = .get
        case .delete: kind = .delete
        case .listVersions: kind = .listVersions
        case .putIfAbsent:
            kind = .putIfAbsent(value: value)
            condition = .absent
        case .putIfMatch(let pick):
            let known = recorder.written(key: key)
            let expected = known.isEmpty ? (value: "never", etag: "0") : known[pick % known.count]
            kind = .putIfMatch(expected: expected.value, value: value)
            condition = .etag(expected.etag)
        }
        if case .put = op.kind { recorder.wrote(key: key, value: value, etag: etag(body)) }
        if case .putIfAbsent = op.kind { recorder.wrote(key: key, value: value, etag: etag(body)) }
        if case .putIfMatch = op.kind { recorder.wrote(key: key, value: value, etag: etag(body)) }
        let start = cluster.scheduler.now
        let outcome: HistoryOperation.Outcome
        let written = condition
        outcome = await cluster.request(op.node) { store in
            await answer(op.kind, store: store, key: key, body: body, condition: written, recorder: recorder)
        }
        recorder.record(
            HistoryOperation(
                key: key, kind: kind, outcome: outcome, start: start, end: cluster.scheduler.now, client: client, node: op.node))
    }

    private static func answer(
        _ kind: SimPlan.Op.Kind, store: ObjectStore, key: String, body: [UInt8], condition: WriteCondition?,
        recorder: SimRecorder
    ) async -> HistoryOperation.Outcome {
        let bucket = SimCluster.bucket
        switch kind {
        case .get:
            do {
                let record = try await store.headObject(bucket: bucket, key: key)
                var bytes: [UInt8] = []
                for try await buffer in store.objectBytes(record) { bytes += buffer.readableBytesView }
                if bytes.count != Int(record.size) || etag(bytes) != record.etag {
                    recorder.problem("GET \(key) served \(bytes.count) bytes that do not match its record \(record.etag)")
                }
                return .read(value(of: bytes))
            } catch let error as ObjectLayerError where error.code == .noSuchKey {
                return .read(nil)
            } catch {
                return .failed
            }
        case .listVersions:
            do {
                let page = try await store.listObjectVersions(
                    bucket: bucket, prefix: key, delimiter: nil, keyMarker: nil, versionIDMarker: nil, maxKeys: 1000)
                let etags = recorder.valuesByETag()
                var listed: [String?] = []
                for entry in page.entries.reversed() where entry.record.key == key {
                    if entry.record.isDeleteMarker {
                        listed.append(nil)
                    } else {
                        listed.append(etags[entry.record.etag] ?? "unknown-etag-\(entry.record.etag)")
                    }
                }
                return .versions(listed)
            } catch {
                return .failed
            }
        case .delete:
            do {
                _ = try await store.deleteObject(bucket: bucket, key: key, versionID: nil)
                return .ok
            } catch {
                return .unknown
            }
        case .put, .putIfAbsent, .putIfMatch:
            var options = ObjectWriteOptions()
            options.condition = condition
            do {
                let record = try await store.putObject(
                    bucket: bucket, key: key, body: SimBody(bytes: body), size: Int64(body.count), options: options)
                if record.etag != etag(body) { recorder.problem("PUT \(key) answered ETag \(record.etag), not the body's") }
                return .ok
            } catch let error as ObjectLayerError where error.code == .preconditionFailed {
                return .preconditionFailed
            } catch let error as ObjectLayerError where error.code == .noSuchKey {
                return .notFound
            } catch {
                return .unknown
            }
        }
    }
}

/// A request body in pieces of 50 bytes.
struct SimBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let bytes: [UInt8]

    struct AsyncIterator: AsyncIteratorProtocol {
        let bytes: [UInt8]
        var offset = 0
        mutating func next() async throws -> ByteBuffer? {
            guard offset < bytes.count else { return nil }
            let end = Swift.min(offset + 50, bytes.count)
            defer { offset = end }
            return ByteBuffer(bytes: bytes[offset..<end])
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes) }
}

/// What the clients of a run recorded: the history, the values written per key (for `If-Match`
/// and for naming listed versions), and problems found on the way.
final class SimRecorder: Sendable {
    private struct State {
        var history: [HistoryOperation] = []
        var written: [String: [(value: String, etag: String)]] = [:]
        var problems: [String] = []
    }

    private let state = Mutex(State())

    func record(_ operation: HistoryOperation) { state.withLock { $0.history.append(operation) } }
    func problem(_ text: String) { state.withLock { $0.problems.append(text) } }
    func wrote(key: String, value: String, etag: String) { state.withLock { $0.written[key, default: []].append((value, etag)) } }
    func written(key: String) -> [(value: String, etag: String)] { state.withLock { $0.written[key] ?? [] } }

    func valuesByETag() -> [String: String] {
        state.withLock { state in
            var values: [String: String] = [:]
            for list in state.written.values { for entry in list { values[entry.etag] = entry.value } }
            return values
        }
    }

    var history: [HistoryOperation] { state.withLock { $0.history } }
    var problems: [String] { state.withLock { $0.problems } }
}
