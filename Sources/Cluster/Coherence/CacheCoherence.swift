package import NIOCore
package import ObjectLayer
internal import StowageCore
internal import Synchronization

/// Keeps the small-object caches of a cluster's nodes coherent, so a node never serves from its
/// cache a version older than one committed through another node.
///
/// Two promises, over the internode protocol (frames to `nodeSlot`):
/// - **Writers tell.** Before committing a change to a key, a node tells every other node
///   (`begin-write`: forget the key, do not cache it), and after the commit it tells them again
///   (`end-write`: forget what was read meanwhile, cache it again).
/// - **Readers hold leases.** A node serves from its cache only while every other node has
///   granted it a lease in the last `lease` (renewed every `renewEvery`). A node grants only
///   while it has told the asker of all its writes; once it failed to tell it one (the message
///   was lost or timed out, or it was not even sent because the asker's lease had run out), it
///   counts a *miss* and grants again only after the asker has flushed its cache (the asker
///   learns the count in the refusal, flushes, and asks again with it) and no write it was not
///   told of is still in progress. A writer whose `begin-write` could not be delivered waits,
///   before committing, until the lease it last granted that node has run out (plus `margin`
///   for clock rates): from then on that node cannot serve until it flushed after the write.
///
/// Writes are numbered by their writer; a receiver marks a key with the write's tag (writer,
/// incarnation, number) from `begin-write` to its own `end-write`, so a late message of one
/// write never ends another's mark, and a flush keeps the marks (the writes may still be in
/// progress). A lease answer carries the granter's *floor*, the lowest number of its writes in
/// progress: marks below it (whose `end-write` was lost) are dropped then. A node that asks with
/// a new incarnation (it restarted and lost its marks) is granted nothing until every write in
/// progress at that moment has ended.
///
/// A node that restarts has a new incarnation: the others flush before it grants them, and
/// until a lease it granted before it restarted must have run out, it waits out an untold node
/// like any other. Leases are timed on each node's monotonic clock; the asker starts its lease
/// when it sends the request, before the granter grants it, so the asker's lease ends first
/// while clocks run at about the same rate (`margin` absorbs the rest).
///
/// Cost: two small messages per write to every other node (in parallel, under the key's lock;
/// messages queued for a node while a request to it is on its way leave together in the next)
/// and a lease request per node pair every `renewEvery`. While any node is unreachable the
/// others cannot renew their leases and serve no cached object (they answer from the drives);
/// their writes stop telling it once its lease has run out.
package final class CacheCoherence: CachePeers, Sendable {
    /// The slot of frames addressed to a node rather than to one of its drives.
    package static let nodeSlot: UInt16 = .max

    enum Operation: UInt8 {
        case lease = 1
        /// Cache messages from one writer, applied in order: `begin-write`, `end-write` (a bucket
        /// and key each) and `clear`.
        case messages
    }

    /// One cache message, as a writer queues it for a peer.
    enum Message: UInt8 {
        case beginWrite = 1, endWrite, clear
    }

    package struct Timing: Sendable {
        /// How long a granted lease lets a node serve from its cache.
        package var lease: TimeAmount = .seconds(2)
        /// Added to a lease before a writer proceeds without having told its holder.
        package var margin: TimeAmount = .milliseconds(500)
        /// How often a node renews its leases.
        package var renewEvery: TimeAmount = .milliseconds(400)
        /// How long a message to another node may take.
        package var callTimeout: TimeAmount = .seconds(1)

        package init() {}
    }

    package let cache: InlineObjectCache
    /// This node's `host:port`, as the others know it.
    let address: String
    /// The other nodes' `host:port`.
    let peers: [String]
    let client: InternodeClient
    let timing: Timing
    /// Makes this node read a bucket's record afresh (another node changed it).
    let forgetBucket: @Sendable (String) -> Void
    let incarnation: Int64
    private let granted: Mutex<[String: Grant]>
    private let held: Mutex<[String: Held]>
    /// This node's writes: the next number, and those begun and not ended. A peer learns the
    /// lowest in progress (the floor) with each lease answer, and forgets its marks of older
    /// writes whose end it may have missed.
    private let writes = Mutex<(next: Int64, inProgress: Set<Int64>)>((0, []))
    /// Messages waiting for the request on its way to a peer to come back; they leave together.
    private let outboxes: Mutex<[String: Outbox]>

    private struct Outbox {
        var pending: [(message: Message, bucket: String, key: String, id: Int64, done: CheckedContinuation<Bool, Never>)] = []
        var sending = false
    }

    /// What this node granted one other node.
    private struct Grant {
        /// When it last granted it a lease (this node's start, before any).
        var last: NIODeadline
        /// When that node last asked.
        var heard: NIODeadline = .uptimeNanoseconds(0)
        /// Writes it was not told of; it must flush after the latest before a grant.
        var missed: Int64 = 0
        /// Writes in progress it was not told of: no grant until they end.
        var untold = 0
        /// Whether it must flush before the next grant (it has not asked since the last miss,
        /// or asked with an older count).
        var mustFlush = true
        /// Its incarnation as it last said, and this node's next write number when it changed:
        /// a restarted node lost the marks of the writes then in progress, so it is granted
        /// nothing until they have ended.
        var askerIncarnation: Int64 = 0
        var barrier: Int64 = 0

        func expired(_ timing: Timing, now: NIODeadline) -> Bool { now >= last + timing.lease + timing.margin }
    }

    /// What one other node granted this one.
    private struct Held {
        /// Its incarnation and miss count as of this node's last flush.
        var incarnation: Int64 = 0
        var flushed: Int64 = -1
        /// This node's lease from it ends then.
        var until: NIODeadline = .uptimeNanoseconds(0)
    }

    /// - Parameters:
    ///   - address: this node's `host:port`.
    ///   - nodes: every node's `host:port`, this one included.
    ///   - forgetBucket: makes this node read a bucket's record afresh (its copy may lag a change
    ///     another node made).
    package init(
        cache: InlineObjectCache, address: String, nodes: [String], client: InternodeClient, timing: Timing = Timing(),
        forgetBucket: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.cache = cache
        self.forgetBucket = forgetBucket
        self.address = address
        self.peers = nodes.filter { $0 != address }
        self.client = client
        self.timing = timing
        self.incarnation = Int64.random(in: 1...Int64.max)
        let now = NIODeadline.now()
        self.granted = Mutex(Dictionary(uniqueKeysWithValues: peers.map { ($0, Grant(last: now)) }))
        self.held = Mutex(Dictionary(uniqueKeysWithValues: peers.map { ($0, Held()) }))
        self.outboxes = Mutex(Dictionary(uniqueKeysWithValues: peers.map { ($0, Outbox()) }))
        if peers.isEmpty { cache.serve(until: .uptimeNanoseconds(.max)) }
    }

    // MARK: Writing

    package func beginWrite(bucket: String, key: String) async -> CacheWrite {
        guard !peers.isEmpty else { return CacheWrite(bucket: bucket, key: key, id: 0, untold: []) }
        let id = writes.withLock { writes in
            defer { writes.next += 1 }
            writes.inProgress.insert(writes.next)
            return writes.next
        }
        let untold = await withTaskGroup(of: String?.self) { group in
            for peer in peers {
                group.addTask { await self.announce(bucket: bucket, key: key, id: id, to: peer) ? nil : peer }
            }
            return await group.reduce(into: [String]()) { if let peer = $1 { $0.append(peer) } }
        }
        return CacheWrite(bucket: bucket, key: key, id: id, untold: untold)
    }

    /// Tells `peer` of a write about to commit; false when it was not told (after waiting until
    /// it cannot serve without flushing).
    private func announce(bucket: String, key: String, id: Int64, to peer: String) async -> Bool {
        let now = NIODeadline.now()
        let skip = granted.withLock { granted in
            // An expired, flush-bound node that has not asked lately is not told (it may be
            // stopped: telling it would cost every write a timeout).
            guard let grant = granted[peer], grant.mustFlush, grant.expired(timing, now: now),
                now - grant.heard > timing.callTimeout + timing.renewEvery
            else { return false }
            Self.miss(&granted[peer]!, untold: true)
            return true
        }
        if skip { return false }
        if await send(.beginWrite, bucket: bucket, key: key, id: id, to: peer) { return true }
        let lapse = granted.withLock { granted in
            Self.miss(&granted[peer]!, untold: true)
            return granted[peer]!.last + timing.lease + timing.margin
        }
        await Self.sleep(until: lapse)
        return false
    }

    package func endWrite(_ write: CacheWrite) async {
        guard !peers.isEmpty else { return }
        let untold = Set(write.untold)
        await withTaskGroup(of: Void.self) { group in
            for peer in peers {
                if untold.contains(peer) {
                    // It flushes after this before its next lease: nothing to tell it.
                    granted.withLock { granted in
                        granted[peer]!.untold -= 1
                        Self.miss(&granted[peer]!, untold: false)
                    }
                    continue
                }
                group.addTask {
                    // Not told: the key stays uncached there until it flushes, which it must
                    // do (after now) before its next lease.
                    if await self.send(.endWrite, bucket: write.bucket, key: write.key, id: write.id, to: peer) { return }
                    self.granted.withLock { Self.miss(&$0[peer]!, untold: false) }
                }
            }
        }
        // Only now may peers forget their mark of it by the floor: its end was told or missed.
        writes.withLock { _ = $0.inProgress.remove(write.id) }
    }

    package func clear(bucket: String) async {
        guard !peers.isEmpty else { return }
        await withTaskGroup(of: Void.self) { group in
            for peer in peers {
                group.addTask {
                    if await self.send(.clear, bucket: bucket, key: "", id: 0, to: peer) { return }
                    // It flushes before its next lease; until its lease ran out it may still
                    // answer from entries made before the change.
                    let lapse = self.granted.withLock { granted in
                        Self.miss(&granted[peer]!, untold: false)
                        return granted[peer]!.last + self.timing.lease + self.timing.margin
                    }
                    await Self.sleep(until: lapse)
                }
            }
        }
    }

    private static func miss(_ grant: inout Grant, untold: Bool) {
        grant.missed += 1
        grant.mustFlush = true
        if untold { grant.untold += 1 }
    }

    /// Delivers `message` to `peer`; false when it did not answer that it applied it. Messages
    /// queued while a request to the peer is on its way leave together in the next one.
    private func send(_ message: Message, bucket: String, key: String, id: Int64, to peer: String) async -> Bool {
        await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
            let start = outboxes.withLock { outboxes in
                outboxes[peer]!.pending.append((message, bucket, key, id, done))
                if outboxes[peer]!.sending { return false }
                outboxes[peer]!.sending = true
                return true
            }
            if start { Task { await self.drain(to: peer) } }
        }
    }

    /// Sends `peer`'s queued messages, a request at a time, until none is left.
    private func drain(to peer: String) async {
        while true {
            let batch = outboxes.withLock { outboxes in
                let batch = outboxes[peer]!.pending.prefix(Self.messagesPerRequest)
                outboxes[peer]!.pending.removeFirst(batch.count)
                if batch.isEmpty { outboxes[peer]!.sending = false }
                return Array(batch)
            }
            if batch.isEmpty { return }
            var w = BinaryRecordWriter(capacity: 64 + batch.count * 64)
            w.string(address)
            w.int64(incarnation)
            w.varint(batch.count)
            for item in batch {
                w.byte(item.message.rawValue)
                w.string(item.bucket)
                w.string(item.key)
                w.int64(item.id)
            }
            let frame = InternodeFrame(
                id: 0, slot: Self.nodeSlot, operation: Operation.messages.rawValue, message: ByteBuffer(bytes: w.bytes),
                data: ByteBuffer())
            let answer = try? await client.call(frame, to: "http://" + peer, timeout: timing.callTimeout)
            let delivered = answer?.status == .ok
            for item in batch { item.done.resume(returning: delivered) }
        }
    }

    static let messagesPerRequest = 256

    /// Sleeps until `deadline` even if the task is cancelled (a write must not commit before).
    private static func sleep(until deadline: NIODeadline) async {
        let nanoseconds = (deadline - NIODeadline.now()).nanoseconds
        guard nanoseconds > 0 else { return }
        await Task { try? await Task.sleep(nanoseconds: UInt64(nanoseconds)) }.value
    }

    // MARK: Leases

    /// Renews this node's leases from every other node until cancelled, opening the cache for
    /// as long as all of them hold.
    package func runLeases() async {
        guard !peers.isEmpty, cache.capacity > 0 else { return }
        await withDiscardingTaskGroup { group in
            for peer in peers {
                group.addTask {
                    while !Task.isCancelled {
                        let again = await self.renew(from: peer)
                        if !again { try? await Task.sleep(nanoseconds: UInt64(self.timing.renewEvery.nanoseconds)) }
                    }
                }
            }
        }
    }

    /// Asks `peer` for a lease; true when it asks to be asked again at once (this node flushed).
    func renew(from peer: String) async -> Bool {
        let sent = NIODeadline.now()
        let (knownIncarnation, flushed) = held.withLock { ($0[peer]!.incarnation, $0[peer]!.flushed) }
        var w = BinaryRecordWriter()
        w.string(address)
        w.int64(incarnation)
        w.int64(knownIncarnation)
        w.int64(flushed)
        let frame = InternodeFrame(
            id: 0, slot: Self.nodeSlot, operation: Operation.lease.rawValue, message: ByteBuffer(bytes: w.bytes), data: ByteBuffer())
        guard let answer = try? await client.call(frame, to: "http://" + peer, timeout: timing.callTimeout), answer.status == .ok
        else { return false }
        var r = BinaryRecordReader(ArraySlice(answer.message.readableBytesView))
        guard let incarnation = try? r.int64(), let missed = try? r.int64(), let grantedByte = try? r.byte(),
            let floor = try? r.int64()
        else { return false }
        // Its writes below the floor have ended (or it restarted): marks of them can go.
        cache.endWrites(of: peer, incarnation: incarnation, below: floor)
        if grantedByte == 1 {
            held.withLock { held in
                held[peer]!.until = sent + timing.lease
                cache.serve(until: held.values.map(\.until).min() ?? sent)
            }
            return false
        }
        if incarnation == knownIncarnation && missed == flushed {
            // Writes it did not tell this node of are still in progress: ask again later.
            return false
        }
        // It missed telling this node of writes (or restarted): forget everything (but the
        // marks of writes in progress), then ask with the count this flush covers.
        cache.clear()
        held.withLock { held in
            held[peer]!.incarnation = incarnation
            held[peer]!.flushed = missed
        }
        return true
    }

    // MARK: Serving

    /// Answers a frame addressed to this node (`nodeSlot`).
    package func serve(_ request: InternodeFrame) -> InternodeFrame {
        var r = BinaryRecordReader(ArraySlice(request.message.readableBytesView))
        do {
            switch Operation(rawValue: request.operation) {
            case .lease:
                let asker = try r.string()
                let askerIncarnation = try r.int64()
                let knownIncarnation = try r.int64()
                let flushed = try r.int64()
                let now = NIODeadline.now()
                let (missed, grants, floor) = granted.withLock { granted in
                    var grant = granted[asker] ?? Grant(last: now)
                    grant.heard = now
                    let (next, floor) = writes.withLock { ($0.next, $0.inProgress.min() ?? $0.next) }
                    if askerIncarnation != grant.askerIncarnation {
                        grant.askerIncarnation = askerIncarnation
                        grant.barrier = next
                    }
                    let grants =
                        knownIncarnation == incarnation && flushed == grant.missed && grant.untold == 0
                        && floor >= grant.barrier
                    if grants {
                        grant.last = now
                        grant.mustFlush = false
                    }
                    granted[asker] = grant
                    return (grant.missed, grants, floor)
                }
                var w = BinaryRecordWriter()
                w.int64(incarnation)
                w.int64(missed)
                w.byte(grants ? 1 : 0)
                w.int64(floor)
                return .answer(to: request, .ok, message: ByteBuffer(bytes: w.bytes))
            case .messages:
                let writer = try r.string()
                let writerIncarnation = try r.int64()
                let count = try r.varint()
                for _ in 0..<count {
                    guard let message = Message(rawValue: try r.byte()) else { throw DriveRPC.malformed("an unknown cache message") }
                    let bucket = try r.string()
                    let key = try r.string()
                    let tag = InlineObjectCache.WriteTag(writer: writer, incarnation: writerIncarnation, id: try r.int64())
                    switch message {
                    case .beginWrite: cache.beginWrite(bucket: bucket, key: key, tag: tag)
                    case .endWrite: cache.endWrite(bucket: bucket, key: key, tag: tag)
                    case .clear:
                        cache.clear()
                        forgetBucket(bucket)
                    }
                }
            case nil:
                return .answer(to: request, .refused, message: ByteBuffer(string: "unknown node operation \(request.operation)"))
            }
            return .answer(to: request, .ok, message: ByteBuffer())
        } catch {
            return .answer(to: request, .refused, message: ByteBuffer(string: "malformed node call: \(error)"))
        }
    }
}
