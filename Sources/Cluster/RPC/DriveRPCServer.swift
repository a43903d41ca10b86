internal import FoundationEssentials
internal import NIOFoundationCompat
package import Hummingbird
internal import HTTPTypes
internal import NIOCore
package import StowageCore
internal import Synchronization

/// Serves this node's drives to the other nodes: the receiving end of `RemoteDrive`.
///
/// Every request must carry a valid `InternodeSignature` (else 403); the slot must be one of
/// this node's drives and online (else 503). Drive errors answer 409 with `DriveRPC.Failure`.
/// Shards being written are held between requests by slot and id; one left without a request
/// for `stagedShardMaxIdle` (its writer's node died) is aborted by the next sweep, which runs
/// on every `shard-create`.
package final class DriveRPCServer: Sendable {
    private let drives: @Sendable (Int) -> (any Drive)?
    private let signature: InternodeSignature
    private let writers = Mutex<[String: (writer: any ShardWriter, lastUsed: ContinuousClock.Instant)]>([:])
    package let stagedShardMaxIdle: Duration

    /// - Parameter drives: the online local drive of a slot, nil when the slot is not this
    ///   node's or its drive is offline.
    package init(
        signature: InternodeSignature, stagedShardMaxIdle: Duration = .seconds(300),
        drives: @escaping @Sendable (Int) -> (any Drive)?
    ) {
        self.signature = signature
        self.stagedShardMaxIdle = stagedShardMaxIdle
        self.drives = drives
    }

    /// Whether a request path belongs to the internode protocol.
    package static func handles(rawPath: String) -> Bool { rawPath.hasPrefix(DriveRPC.pathPrefix) }

    /// Answers one internode request (`rawPath` without the query).
    package func respond(to request: Request, rawPath: String, rawQuery: String) async -> Response {
        do {
            try signature.verify(request, rawPath: rawPath, rawQuery: rawQuery)
        } catch {
            return Self.text(.forbidden, "\(error)")
        }
        let pieces = rawPath.dropFirst(DriveRPC.pathPrefix.utf8.count).split(separator: "/")
        guard pieces.count == 2, let slot = Int(pieces[0]), let operation = DriveRPC.Operation(rawValue: String(pieces[1]))
        else { return Self.text(.notFound, "unknown internode path \(rawPath)") }
        guard let drive = drives(slot) else { return Self.text(.serviceUnavailable, "drive \(slot) is not online here") }
        do {
            let body = try await request.body.collect(upTo: 64 << 20)
            switch operation {
            case .shardAppend:
                try await append(body, to: try Self.shardParameter(rawQuery), slot: slot)
                return Self.text(.ok, "")
            case .shardRead:
                return Response(status: .ok, body: .init(byteBuffer: try await read(drive, query: rawQuery)))
            default:
                let call = try JSONDecoder().decode(DriveRPC.Call.self, from: body)
                let reply = try await perform(operation, call, on: drive, slot: slot)
                var headers = HTTPFields()
                headers[.contentType] = "application/json"
                return Response(
                    status: .ok, headers: headers, body: .init(byteBuffer: try JSONEncoder().encodeAsByteBuffer(reply, allocator: .init())))
            }
        } catch let error as DriveError {
            let failure = (try? JSONEncoder().encodeAsByteBuffer(DriveRPC.Failure(error), allocator: .init())) ?? ByteBuffer()
            return Response(status: .conflict, body: .init(byteBuffer: failure))
        } catch {
            return Self.text(.badRequest, "\(error)")
        }
    }

    private func perform(_ operation: DriveRPC.Operation, _ call: DriveRPC.Call, on drive: any Drive, slot: Int)
        async throws -> DriveRPC.Reply
    {
        var reply = DriveRPC.Reply()
        switch operation {
        case .createBucket: try await drive.createBucket(try Self.required(call.bucketRecord))
        case .bucket: reply.bucket = try await drive.bucket(named: try Self.required(call.bucket))
        case .listBuckets: reply.buckets = try await drive.listBuckets()
        case .updateBucket: try await drive.updateBucket(try Self.required(call.bucketRecord))
        case .deleteBucket: try await drive.deleteBucket(named: try Self.required(call.bucket))
        case .readObject:
            reply.object = try await drive.readObject(bucket: try Self.required(call.bucket), key: try Self.required(call.key))
        case .readVersion:
            reply.object = try await drive.readVersion(
                bucket: try Self.required(call.bucket), key: try Self.required(call.key),
                versionID: try Self.required(call.versionID))
        case .commitObject: reply.object = try await drive.commitObject(try Self.required(call.object), fence: call.fence)
        case .deleteVersion:
            reply.object = try await drive.deleteVersion(
                bucket: try Self.required(call.bucket), key: try Self.required(call.key),
                versionID: try Self.required(call.versionID), fence: call.fence)
        case .listObjects:
            reply.objects = try await drive.listObjects(
                bucket: try Self.required(call.bucket), prefix: call.prefix ?? "", after: call.after,
                inclusive: call.inclusive ?? false, limit: try Self.required(call.limit))
        case .listVersions:
            let cursor = try call.cursor.map { try Self.required($0.value) }
            reply.objects = try await drive.listVersions(
                bucket: try Self.required(call.bucket), prefix: call.prefix ?? "", after: cursor,
                limit: try Self.required(call.limit))
        case .shardCreate:
            await sweepIdleWriters()
            let id = try Self.required(call.shard)
            let writer = try await drive.createShard(id: id, blockSize: try Self.required(call.blockSize))
            let replaced = writers.withLock { $0.updateValue((writer, .now), forKey: Self.writerKey(slot, id)) }
            await replaced?.writer.abort()
        case .shardFinish:
            let id = try Self.required(call.shard)
            let writer = try takeWriter(slot, id)
            do {
                try await writer.finish()
            } catch {
                await writer.abort()
                throw error
            }
        case .shardAbort:
            let id = try Self.required(call.shard)
            await (try? takeWriter(slot, id))?.abort()
        case .shardOpen:
            let reader = try await drive.openShard(try Self.required(call.shard))
            reply.bytes = reader.size
            await reader.close()
        case .createUpload: try await drive.createUpload(try Self.required(call.uploadRecord))
        case .upload: reply.upload = try await drive.upload(id: try Self.required(call.uploadID))
        case .listUploads:
            reply.uploads = try await drive.listUploads(
                bucket: try Self.required(call.bucket), prefix: call.prefix ?? "", afterKey: call.afterKey,
                afterUploadID: call.afterUploadID, limit: try Self.required(call.limit))
        case .commitPart: try await drive.commitPart(try Self.required(call.part))
        case .listParts: reply.parts = try await drive.listParts(uploadID: try Self.required(call.uploadID))
        case .completeUpload:
            reply.object = try await drive.completeUpload(
                uploadID: try Self.required(call.uploadID), object: try Self.required(call.object), fence: call.fence)
        case .abortUpload: try await drive.abortUpload(uploadID: try Self.required(call.uploadID))
        case .availableBytes: reply.bytes = try await drive.availableBytes()
        case .healthCheck: try await drive.healthCheck()
        case .shardAppend, .shardRead:
            throw DriveError(.io, "\(operation.rawValue) carries raw bytes")
        }
        return reply
    }

    // MARK: Shard data

    private func append(_ bytes: ByteBuffer, to id: ShardID, slot: Int) async throws {
        let key = Self.writerKey(slot, id)
        guard let writer = writers.withLock({ $0[key]?.writer }) else {
            throw DriveError(.notFound, "no shard \(id) is being written on drive \(slot)")
        }
        try await writer.write(bytes)
        writers.withLock { $0[key]?.lastUsed = .now }
    }

    private func read(_ drive: any Drive, query: String) async throws -> ByteBuffer {
        let parameters = Self.parameters(query)
        guard let offset = parameters["offset"].flatMap({ Int64($0) }), let length = parameters["length"].flatMap({ Int($0) }),
            offset >= 0, length >= 0, length <= 64 << 20
        else { throw DriveError(.io, "shard-read needs offset and length") }
        let reader = try await drive.openShard(try Self.shardParameter(query))
        do {
            let bytes = try await reader.read(offset: offset, length: length)
            await reader.close()
            return bytes
        } catch {
            await reader.close()
            throw error
        }
    }

    private func takeWriter(_ slot: Int, _ id: ShardID) throws -> any ShardWriter {
        guard let entry = writers.withLock({ $0.removeValue(forKey: Self.writerKey(slot, id)) }) else {
            throw DriveError(.notFound, "no shard \(id) is being written on drive \(slot)")
        }
        return entry.writer
    }

    /// Aborts staged shards whose writer has sent nothing for `stagedShardMaxIdle`.
    package func sweepIdleWriters() async {
        let now = ContinuousClock.now
        let idle = writers.withLock { writers in
            let stale = writers.filter { now - $0.value.lastUsed > stagedShardMaxIdle }
            for key in stale.keys { writers.removeValue(forKey: key) }
            return stale.values.map(\.writer)
        }
        for writer in idle { await writer.abort() }
    }

    /// Shards being written, for tests and status.
    package var stagedShardCount: Int { writers.withLock { $0.count } }

    // MARK: Helpers

    private static func writerKey(_ slot: Int, _ id: ShardID) -> String { "\(slot)/\(id.value)" }

    private static func shardParameter(_ query: String) throws -> ShardID {
        guard let value = parameters(query)["shard"], let id = ShardID(value) else {
            throw DriveError(.io, "a shard id is required")
        }
        return id
    }

    private static func parameters(_ query: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
        }
        return result
    }

    private static func required<T>(_ value: T?) throws -> T {
        guard let value else { throw DriveError(.io, "a required argument of the call is missing") }
        return value
    }

    private static func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(status: status, body: .init(byteBuffer: ByteBuffer(string: message)))
    }
}
