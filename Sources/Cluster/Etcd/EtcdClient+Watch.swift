package import AsyncHTTPClient
internal import FoundationEssentials
internal import NIOCore
internal import NIOFoundationCompat
internal import NIOHTTP1
internal import Synchronization

extension EtcdClient {
    /// One change of a watched key.
    package struct WatchEvent: Sendable, Equatable {
        package var key: String
        /// The new value; nil when the key was deleted.
        package var value: [UInt8]?
        /// The store's revision of the change.
        package var revision: Int64
    }

    /// Streams the changes of the keys under `prefix` made after `revision`, in order, to
    /// `apply`, for `duration`, then returns (the caller watches on from the last revision it
    /// applied: a member that stopped answering is noticed at the latest then). Throws when no
    /// member accepts the watch, or the stream breaks or reports an error (e.g. `revision` was
    /// compacted): the caller relists.
    package func watch(
        prefix: String, after revision: Int64, for duration: Duration, _ apply: @escaping @Sendable ([WatchEvent]) -> Void
    ) async throws {
        let create = WatchRequest(
            create_request: .init(
                key: Self.encode(prefix), range_end: Self.encode(Self.prefixEnd(prefix)), start_revision: String(revision + 1)))
        let body = try JSONEncoder().encodeAsByteBuffer(create, allocator: .init())
        let first = preferred.index.load(ordering: .relaxed) % endpoints.count
        var failures: [String] = []
        for offset in 0..<endpoints.count {
            var request = HTTPClientRequest(url: endpoints[(first + offset) % endpoints.count] + "/v3/watch")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
            let response: HTTPClientResponse
            do {
                response = try await client.execute(request, timeout: timeout)
            } catch {
                failures.append("\(error)")
                continue
            }
            guard response.status == .ok else {
                failures.append("watch answered \(response.status.code)")
                continue
            }
            return try await Self.follow(response, for: duration, apply)
        }
        throw EtcdError.unavailable("watch: " + failures.joined(separator: "; "))
    }

    /// Reads the gateway's stream (one JSON message per line) until `duration` has passed.
    private static func follow(
        _ response: HTTPClientResponse, for duration: Duration, _ apply: @escaping @Sendable ([WatchEvent]) -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var pending = ByteBuffer()
                for try await chunk in response.body {
                    pending.writeImmutableBuffer(chunk)
                    while let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = pending.readSlice(length: newline - pending.readerIndex + 1)!
                        let message: WatchMessage
                        do {
                            message = try JSONDecoder().decode(WatchMessage.self, from: line)
                        } catch {
                            throw EtcdError.unexpected("watch: undecodable message: \(error)")
                        }
                        guard let result = message.result, result.canceled != true else {
                            throw EtcdError.unexpected("watch ended by etcd: \(message.result?.cancel_reason ?? "error")")
                        }
                        let events = try (result.events ?? []).map { event in
                            let kv = try keyValue(event.kv)
                            return WatchEvent(
                                key: kv.key, value: event.type == "DELETE" ? nil : kv.value, revision: kv.modRevision)
                        }
                        if !events.isEmpty { apply(events) }
                    }
                    pending.discardReadBytes()
                }
                throw EtcdError.unexpected("watch stream closed by etcd")
            }
            group.addTask { try await Task.sleep(for: duration) }
            // The reader only ends by throwing; the timer ending means the time is up.
            try await group.next()
            group.cancelAll()
        }
    }

    private struct WatchRequest: Encodable {
        struct Create: Encodable {
            var key: String
            var range_end: String
            var start_revision: String
        }
        var create_request: Create
    }

    private struct WatchMessage: Decodable {
        var result: WatchResult?
    }

    private struct WatchResult: Decodable {
        var header: ResponseHeader?
        var events: [Event]?
        var canceled: Bool?
        var cancel_reason: String?
    }

    private struct Event: Decodable {
        var type: String?
        var kv: WireKeyValue
    }
}
