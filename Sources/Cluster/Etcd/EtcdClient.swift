package import AsyncHTTPClient
internal import FoundationEssentials
package import NIOCore
internal import NIOFoundationCompat
internal import NIOHTTP1
internal import StowageCore
internal import Synchronization

/// A client of etcd v3's JSON gateway (`POST /v3/kv/...`, `/v3/lease/...`; etcd 3.4 as Debian
/// ships it): the few calls Stowage's coordination needs — reads, writes, a create-if-absent and
/// a compare-and-swap on one key's revision, leases.
///
/// Endpoints are tried in order; a transport failure or a 5xx moves on to the next, and when
/// none answers the call throws `EtcdError.unavailable` (the caller answers 503). Every request
/// has a deadline. Keys and values are bytes (base64 on the wire, as the gateway wants).
package struct EtcdClient: Sendable {
    /// `http://host:port` of each member.
    package let endpoints: [String]
    let client: HTTPClient
    package var timeout: TimeAmount = .seconds(5)
    /// The member that answered last: calls start there, so a member that is down costs one
    /// deadline once, not on every call.
    let preferred = PreferredEndpoint()

    package init(endpoints: [String], client: HTTPClient) {
        self.endpoints = endpoints
        self.client = client
    }

    /// One stored key.
    package struct KeyValue: Sendable, Equatable {
        package var key: String
        package var value: [UInt8]
        package var createRevision: Int64
        package var modRevision: Int64
        /// The lease the key is bound to (0: none).
        package var lease: Int64 = 0

        package init(key: String, value: [UInt8], createRevision: Int64, modRevision: Int64, lease: Int64 = 0) {
            self.key = key
            self.value = value
            self.createRevision = createRevision
            self.modRevision = modRevision
            self.lease = lease
        }
    }

    // MARK: Keys

    /// The value of `key`, nil when absent.
    package func get(_ key: String) async throws -> KeyValue? {
        let reply: RangeReply = try await call("/v3/kv/range", RangeRequest(key: Self.encode(key)))
        return try reply.kvs?.first.map(Self.keyValue)
    }

    /// Every key starting with `prefix`, in key order.
    package func list(prefix: String) async throws -> [KeyValue] {
        try await listWithRevision(prefix: prefix).keys
    }

    /// `list`, with the store's revision the listing reflects (a watch from the next one misses nothing).
    package func listWithRevision(prefix: String) async throws -> (keys: [KeyValue], revision: Int64) {
        let reply: RangeReply = try await call(
            "/v3/kv/range", RangeRequest(key: Self.encode(prefix), range_end: Self.encode(Self.prefixEnd(prefix))))
        return (try (reply.kvs ?? []).map(Self.keyValue), Int64(reply.header?.revision ?? "0") ?? 0)
    }

    /// Writes `value` under `key`; returns the store's revision after the write.
    @discardableResult
    package func put(_ key: String, value: [UInt8], lease: Int64? = nil) async throws -> Int64 {
        let reply: Header = try await call(
            "/v3/kv/put", PutRequest(key: Self.encode(key), value: Self.encode(value), lease: lease.map(String.init)))
        return Int64(reply.header?.revision ?? "0") ?? 0
    }

    /// Writes `value` under `key` only if no value is stored there. Returns nil when it wrote,
    /// else the value already there (which is left unchanged).
    package func createIfAbsent(_ key: String, value: [UInt8]) async throws -> KeyValue? {
        let encoded = Self.encode(key)
        let reply: TxnReply = try await call(
            "/v3/kv/txn",
            TxnRequest(
                compare: [Compare(key: encoded, target: "CREATE", result: "EQUAL", create_revision: "0")],
                success: [Operation(request_put: PutRequest(key: encoded, value: Self.encode(value)))],
                failure: [Operation(request_range: RangeRequest(key: encoded))]))
        if reply.succeeded == true { return nil }
        guard let existing = reply.responses?.first?.response_range?.kvs?.first else {
            throw EtcdError.unexpected("create-if-absent of \(key) neither wrote nor found a value")
        }
        return try Self.keyValue(existing)
    }

    /// Writes `value` under `key` only if the key was last modified at `modRevision` (0: only
    /// if absent). Returns whether it wrote.
    package func compareAndSwap(_ key: String, modRevision: Int64, value: [UInt8]) async throws -> Bool {
        let encoded = Self.encode(key)
        let compare =
            modRevision == 0
            ? Compare(key: encoded, target: "CREATE", result: "EQUAL", create_revision: "0")
            : Compare(key: encoded, target: "MOD", result: "EQUAL", mod_revision: String(modRevision))
        let reply: TxnReply = try await call(
            "/v3/kv/txn",
            TxnRequest(
                compare: [compare], success: [Operation(request_put: PutRequest(key: encoded, value: Self.encode(value)))],
                failure: []))
        return reply.succeeded == true
    }

    /// Creates `key` bound to `lease` if no value is stored there: a lock. Returns the revision
    /// of the write — larger than that of every earlier write to the store, so it serves as the
    /// lock's fencing token — or nil when the key is held.
    package func createIfAbsent(_ key: String, value: [UInt8], lease: Int64) async throws -> Int64? {
        try await createIfAbsent(key, value: value, lease: lease, reading: nil).revision
    }

    /// `createIfAbsent(_:value:lease:)`, reading `other` (if named) in the same transaction when
    /// the key is created, so what it holds is read under the lock the creation takes. Returns
    /// the revision, nil when the key is held, `other`'s value when created and present, and the
    /// key as stored when it was held (its holder's lease and create revision).
    package func createIfAbsent(_ key: String, value: [UInt8], lease: Int64, reading other: String?) async throws
        -> (revision: Int64?, other: KeyValue?, holder: KeyValue?)
    {
        let encoded = Self.encode(key)
        var success = [Operation(request_put: PutRequest(key: encoded, value: Self.encode(value), lease: String(lease)))]
        if let other { success.append(Operation(request_range: RangeRequest(key: Self.encode(other)))) }
        let reply: TxnReply = try await call(
            "/v3/kv/txn",
            TxnRequest(
                compare: [Compare(key: encoded, target: "CREATE", result: "EQUAL", create_revision: "0")],
                success: success, failure: [Operation(request_range: RangeRequest(key: encoded, keys_only: true))]))
        guard reply.succeeded == true else {
            let held = reply.responses?.compactMap(\.response_range).first?.kvs?.first
            return (nil, nil, try held.map(Self.keyValue))
        }
        guard let revision = reply.header?.revision.flatMap({ Int64($0) }) else {
            throw EtcdError.unexpected("a create of \(key) answered no revision")
        }
        let read = reply.responses?.compactMap(\.response_range).first?.kvs?.first
        return (revision, try read.map(Self.keyValue), nil)
    }

    /// `createIfAbsent(_:value:lease:reading:)` of several keys in one request: one etcd
    /// transaction of nested conditional creates, each taken or refused on its own. The keys
    /// created share one revision. Keys must be distinct (etcd refuses a transaction that
    /// writes a key twice).
    package func createIfAbsent(_ keys: [(key: String, reading: String?)], value: [UInt8], lease: Int64) async throws
        -> [(revision: Int64?, other: KeyValue?, holder: KeyValue?)]
    {
        if keys.count == 1 {
            return [try await createIfAbsent(keys[0].key, value: value, lease: lease, reading: keys[0].reading)]
        }
        let value = Self.encode(value)
        let operations = keys.map { key, other in
            let encoded = Self.encode(key)
            var success = [Operation(request_put: PutRequest(key: encoded, value: value, lease: String(lease)))]
            if let other { success.append(Operation(request_range: RangeRequest(key: Self.encode(other)))) }
            return Operation(
                request_txn: TxnRequest(
                    compare: [Compare(key: encoded, target: "CREATE", result: "EQUAL", create_revision: "0")],
                    success: success, failure: [Operation(request_range: RangeRequest(key: encoded, keys_only: true))]))
        }
        let reply: TxnReply = try await call("/v3/kv/txn", TxnRequest(compare: [], success: operations, failure: []))
        let answers = reply.responses?.map(\.response_txn) ?? []
        guard answers.count == keys.count else {
            throw EtcdError.unexpected("a create of \(keys.count) keys answered \(answers.count) times")
        }
        var revision: Int64? { reply.header?.revision.flatMap { Int64($0) } }
        return try zip(keys, answers).map { key, answer in
            let read = answer?.responses?.compactMap(\.response_range).first?.kvs?.first
            guard answer?.succeeded == true else { return (nil, nil, try read.map(Self.keyValue)) }
            guard let revision else { throw EtcdError.unexpected("a create of \(key.key) answered no revision") }
            return (revision, try read.map(Self.keyValue), nil)
        }
    }

    /// Removes `key` if it is still the one created at `createRevision` (a lock released by its
    /// holder, never by a later holder's release). Returns whether it removed it.
    @discardableResult
    package func delete(_ key: String, createRevision: Int64) async throws -> Bool {
        let encoded = Self.encode(key)
        let reply: TxnReply = try await call(
            "/v3/kv/txn",
            TxnRequest(
                compare: [Compare(key: encoded, target: "CREATE", result: "EQUAL", create_revision: String(createRevision))],
                success: [Operation(request_delete_range: RangeRequest(key: encoded))], failure: []))
        return reply.succeeded == true
    }

    /// `delete(_:createRevision:)` of several keys in one request (one etcd transaction of
    /// nested conditional deletes): each is removed only if still created at its revision.
    package func delete(_ keys: [(key: String, createRevision: Int64)]) async throws {
        if keys.count == 1 {
            try await delete(keys[0].key, createRevision: keys[0].createRevision)
            return
        }
        let operations = keys.map { key, revision in
            let encoded = Self.encode(key)
            return Operation(
                request_txn: TxnRequest(
                    compare: [Compare(key: encoded, target: "CREATE", result: "EQUAL", create_revision: String(revision))],
                    success: [Operation(request_delete_range: RangeRequest(key: encoded))], failure: []))
        }
        let _: TxnReply = try await call("/v3/kv/txn", TxnRequest(compare: [], success: operations, failure: []))
    }

    /// Removes `key`; returns how many keys were removed (0 or 1).
    @discardableResult
    package func delete(_ key: String) async throws -> Int {
        let reply: DeleteReply = try await call("/v3/kv/deleterange", RangeRequest(key: Self.encode(key)))
        return Int(reply.deleted ?? "0") ?? 0
    }

    // MARK: Leases

    /// A new lease of `ttlSeconds`; keys written with it vanish when it expires.
    package func grantLease(ttlSeconds: Int64) async throws -> Int64 {
        let reply: LeaseReply = try await call("/v3/lease/grant", LeaseGrant(TTL: String(ttlSeconds)))
        guard let id = reply.ID.flatMap({ Int64($0) }) else { throw EtcdError.unexpected("lease grant without an id") }
        return id
    }

    /// Renews a lease; returns its remaining TTL (0 or less: it has expired).
    package func keepAlive(lease: Int64) async throws -> Int64 {
        let reply: KeepAliveReply = try await call("/v3/lease/keepalive", LeaseID(ID: String(lease)))
        return Int64(reply.result?.TTL ?? "0") ?? 0
    }

    /// Revokes a lease at once: the keys bound to it are deleted. A lease etcd no longer knows
    /// (expired, revoked) counts as revoked.
    package func revokeLease(_ lease: Int64) async throws {
        do {
            let _: Header = try await call("/v3/lease/revoke", LeaseID(ID: String(lease)))
        } catch EtcdError.unexpected(let detail) where detail.contains("lease not found") {
            return
        }
    }

    // MARK: Health

    /// Each member's `/health` answer (etcd 3.4: `{"health":"true"}` when it has a leader).
    package func memberHealth(timeout: TimeAmount = .seconds(2)) async -> [(endpoint: String, healthy: Bool, detail: String?)] {
        var answers: [(endpoint: String, healthy: Bool, detail: String?)] = []
        for endpoint in endpoints {
            do {
                let response = try await client.execute(HTTPClientRequest(url: endpoint + "/health"), timeout: timeout)
                let body = String(buffer: try await response.body.collect(upTo: 1 << 16))
                let healthy = response.status.code == 200 && body.contains("\"true\"")
                answers.append((endpoint, healthy, healthy ? nil : "answered \(response.status.code): \(body.prefix(200))"))
            } catch {
                answers.append((endpoint, false, "\(error)"))
            }
        }
        return answers
    }

    // MARK: Transport

    private func call<Request: Encodable, Reply: Decodable>(_ path: String, _ body: Request) async throws -> Reply {
        // After no member answered, calls fail at once for `quietPeriod`, then one call at a
        // time probes with a short deadline: a client whose etcd is gone stays fast (reads fall
        // back to the drives, changes answer 503) instead of waiting a deadline on each call.
        let started = ContinuousClock.now
        var deadline = timeout
        var probing = false
        if let down = preferred.downSince() {
            if started - down < Self.quietPeriod {
                throw EtcdError.unavailable("no member answered in the last \(Self.quietPeriod)")
            }
            deadline = min(timeout, .seconds(1))
            probing = true
        }
        let bytes = try JSONEncoder().encodeAsByteBuffer(body, allocator: .init())
        let first = preferred.index.load(ordering: .relaxed) % endpoints.count
        var order = (0..<endpoints.count).map { (first + $0) % endpoints.count }
        var failures: [String] = []
        var rounds = 0
        while true {
            rounds += 1
            failures = rounds == 1 ? [] : ["round \(rounds) of tries"]
            for index in order {
                if let reply: Reply = try await attempt(index, path, bytes, deadline: deadline, failures: &failures) {
                    return reply
                }
            }
            // No member served the call. A member that is up but has no leader (the leader was cut
            // off or stopped, and the others have not elected a new one yet) holds a request until
            // its own timeout instead of refusing it, so a round can fail on every member during an
            // election. If a member still answers its status, the call tries again, those first,
            // until `electionPatience` has passed since it began.
            let patience = Self.electionPatience(timeout)
            guard !probing, ContinuousClock.now - started < patience - .seconds(1) else { break }
            let living = await livingMembers(within: .seconds(1))
            let left = patience - (ContinuousClock.now - started)
            guard !living.isEmpty, left > .milliseconds(500) else { break }
            order = living
            deadline = min(timeout, .nanoseconds(Int64(left / .nanoseconds(1))))
            try await Task.sleep(for: .milliseconds(250))
        }
        preferred.markDown(at: ContinuousClock.now)
        throw EtcdError.unavailable(failures.joined(separator: "; "))
    }

    /// One try of a call on member `index`: its reply, or nil (with why appended to `failures`)
    /// when the member did not answer or answered 5xx. Other answers throw.
    private func attempt<Reply: Decodable>(
        _ index: Int, _ path: String, _ bytes: ByteBuffer, deadline: TimeAmount, failures: inout [String]
    ) async throws -> Reply? {
        let endpoint = endpoints[index]
        var request = HTTPClientRequest(url: endpoint + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(bytes)
        do {
            let response = try await client.execute(request, timeout: deadline)
            let answer = try await response.body.collect(upTo: 16 << 20)
            guard response.status.code < 500 else {
                failures.append("\(endpoint): \(response.status.code)")
                return nil
            }
            if index != preferred.index.load(ordering: .relaxed) { preferred.index.store(index, ordering: .relaxed) }
            preferred.markUp()
            guard response.status.code == 200 else {
                throw EtcdError.unexpected("\(path) answered \(response.status.code): \(String(buffer: answer).prefix(300))")
            }
            return try JSONDecoder().decode(Reply.self, from: answer)
        } catch let error as EtcdError {
            throw error
        } catch let error as DecodingError {
            throw EtcdError.unexpected("\(path): undecodable reply: \(error)")
        } catch {
            failures.append("\(endpoint): \(error)")
            return nil
        }
    }

    /// The members that answer their status (`/v3/maintenance/status`, served by the member
    /// itself, leader or not) within `deadline`: those that know a leader first.
    private func livingMembers(within deadline: TimeAmount) async -> [Int] {
        let answers = await withTaskGroup(of: (index: Int, knowsLeader: Bool)?.self) { group in
            for index in endpoints.indices {
                group.addTask {
                    var request = HTTPClientRequest(url: endpoints[index] + "/v3/maintenance/status")
                    request.method = .POST
                    request.body = .bytes(ByteBuffer(string: "{}"))
                    guard let response = try? await client.execute(request, timeout: deadline), response.status.code == 200,
                        let answer = try? await response.body.collect(upTo: 1 << 16),
                        let status = try? JSONDecoder().decode(MemberStatus.self, from: answer)
                    else { return nil }
                    return (index, (status.leader ?? "0") != "0")
                }
            }
            var answers: [(index: Int, knowsLeader: Bool)] = []
            for await answer in group { if let answer { answers.append(answer) } }
            return answers
        }
        let ranked = answers.sorted { ($0.knowsLeader ? 0 : 1, $0.index) < ($1.knowsLeader ? 0 : 1, $1.index) }
        return ranked.map(\.index)
    }

    /// How long a call waits, from its start, for members that are up to elect a leader.
    static func electionPatience(_ timeout: TimeAmount) -> Duration {
        .nanoseconds(timeout.nanoseconds * 4)
    }

    static let quietPeriod = Duration.seconds(3)

    static func encode(_ text: String) -> String { encode(Array(text.utf8)) }

    static func encode(_ bytes: [UInt8]) -> String { Base64.encode(bytes) }

    static func keyValue(_ kv: WireKeyValue) throws -> KeyValue {
        guard let key = Base64.decode(kv.key), let value = Base64.decode(kv.value ?? "") else {
            throw EtcdError.unexpected("undecodable key or value")
        }
        return KeyValue(
            key: String(decoding: key, as: UTF8.self), value: value, createRevision: Int64(kv.create_revision ?? "0") ?? 0,
            modRevision: Int64(kv.mod_revision ?? "0") ?? 0, lease: Int64(kv.lease ?? "0") ?? 0)
    }

    /// The first key after every key that starts with `prefix` (etcd's `range_end` for a prefix).
    static func prefixEnd(_ prefix: String) -> [UInt8] {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return bytes
            }
            bytes.removeLast()
        }
        return [0]  // every key
    }

    // MARK: Wire types (the gateway writes 64-bit integers as strings and omits default values)

    private struct RangeRequest: Codable {
        var key: String
        var range_end: String?
        var keys_only: Bool?
    }
    private struct PutRequest: Codable {
        var key: String
        var value: String
        var lease: String?
    }
    private struct Compare: Codable {
        var key: String
        var target: String
        var result: String
        var create_revision: String?
        var mod_revision: String?
        var lease: String?
    }
    private struct Operation: Codable {
        var request_put: PutRequest?
        var request_range: RangeRequest?
        var request_delete_range: RangeRequest?
        var request_txn: TxnRequest?
    }
    private struct TxnRequest: Codable {
        var compare: [Compare]
        var success: [Operation]
        var failure: [Operation]
    }
    private struct MemberStatus: Codable {
        var leader: String?
    }
    private struct LeaseGrant: Codable {
        var TTL: String
    }
    private struct LeaseID: Codable {
        var ID: String
    }
    struct ResponseHeader: Codable {
        var revision: String?
    }
    private struct Header: Codable {
        var header: ResponseHeader?
    }
    struct WireKeyValue: Codable {
        var key: String
        var value: String?
        var create_revision: String?
        var mod_revision: String?
        var lease: String?
    }
    private struct RangeReply: Codable {
        var header: ResponseHeader?
        var kvs: [WireKeyValue]?
    }
    private struct DeleteReply: Codable {
        var deleted: String?
    }
    private struct TxnResponse: Codable {
        var response_range: RangeReply?
        var response_txn: TxnReply?
    }
    private struct TxnReply: Codable {
        var header: ResponseHeader?
        var succeeded: Bool?
        var responses: [TxnResponse]?
    }
    private struct LeaseReply: Codable {
        var ID: String?
    }
    private struct KeepAliveResult: Codable {
        var TTL: String?
    }
    private struct KeepAliveReply: Codable {
        var result: KeepAliveResult?
    }
}

/// Which member to ask first, and since when none has answered.
final class PreferredEndpoint: Sendable {
    let index = Atomic<Int>(0)
    private let down = Mutex<ContinuousClock.Instant?>(nil)

    func downSince() -> ContinuousClock.Instant? { down.withLock { $0 } }

    func markDown(at instant: ContinuousClock.Instant) { down.withLock { $0 = instant } }

    func markUp() {
        down.withLock { if $0 != nil { $0 = nil } }
    }
}

/// Why an etcd call failed.
package enum EtcdError: Error, Equatable, CustomStringConvertible {
    /// No member answered (each one's failure is listed): coordination is unavailable.
    case unavailable(String)
    /// A member answered something this client does not understand.
    case unexpected(String)

    package var description: String {
        switch self {
        case .unavailable(let detail): "etcd is unavailable: \(detail)"
        case .unexpected(let detail): "etcd answered unexpectedly: \(detail)"
        }
    }
}
