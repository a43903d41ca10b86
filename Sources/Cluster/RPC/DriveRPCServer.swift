package import NIOCore
package import StowageCore
internal import Synchronization

/// Serves this node's drives to the other nodes: the receiving end of `RemoteDrive`.
///
/// Requests arrive as frames of a connection that authenticated with the cluster's
/// `InternodeSignature` (`InternodeServerHandler`); the slot must be one of this node's drives
/// and online, else the call is refused. Drive errors are answered as such (`driveError`).
/// Shards being written are held between requests by slot and id; one left without a request
/// for `stagedShardMaxIdle` (its writer's node died) is aborted by the next sweep, which runs
/// on every `shard-create`.
package final class DriveRPCServer: Sendable {
    private let drives: @Sendable (Int) -> (any Drive)?
    private let offline: @Sendable (Int) -> DriveError?
    package let signature: InternodeSignature
    private let writers = Mutex<[String: (writer: any ShardWriter, lastUsed: ContinuousClock.Instant)]>([:])
    package let stagedShardMaxIdle: Duration
    /// Answers the frames addressed to the node itself (`CacheCoherence.nodeSlot`).
    private let node: (@Sendable (InternodeFrame) -> InternodeFrame)?

    /// - Parameters:
    ///   - drives: the online local drive of a slot, nil when the slot is not this node's or
    ///     its drive is offline.
    ///   - node: what answers frames to `CacheCoherence.nodeSlot` (refused without).
    ///   - offline: why a local slot's drive is offline, when that has a meaning for the caller (a
    ///     drive taken offline for want of space answers `full`, so a write refused for it is a 507
    ///     on every node, as on the drive's own); nil answers "not online here".
    package init(
        signature: InternodeSignature, stagedShardMaxIdle: Duration = .seconds(300),
        node: (@Sendable (InternodeFrame) -> InternodeFrame)? = nil,
        offline: @escaping @Sendable (Int) -> DriveError? = { _ in nil },
        drives: @escaping @Sendable (Int) -> (any Drive)?
    ) {
        self.signature = signature
        self.stagedShardMaxIdle = stagedShardMaxIdle
        self.node = node
        self.offline = offline
        self.drives = drives
    }

    /// Answers one request frame of an authenticated connection.
    package func serve(_ request: InternodeFrame) async -> InternodeFrame {
        if request.slot == CacheCoherence.nodeSlot {
            guard let node else {
                return .answer(to: request, .refused, message: ByteBuffer(string: "this node answers no node calls"))
            }
            return node(request)
        }
        let slot = Int(request.slot)
        guard let operation = DriveRPC.Operation(code: request.operation) else {
            return .answer(to: request, .refused, message: ByteBuffer(string: "unknown internode operation \(request.operation)"))
        }
        let call: DriveRPC.Call
        do {
            call = try DriveRPC.Call(decoding: ArraySlice(request.message.readableBytesView))
        } catch {
            return .answer(to: request, .driveError, message: InternodeFrame.failure(DriveError(.io, "\(error)")))
        }
        if let group = call.group { return await serve(operation, call, group: group, request: request) }
        guard let drive = drives(slot) else {
            if let error = offline(slot) { return .answer(to: request, .driveError, message: InternodeFrame.failure(error)) }
            return .answer(to: request, .refused, message: ByteBuffer(string: "drive \(slot) is not online here"))
        }
        do {
            switch operation {
            case .shardAppend:
                try await append(request.data, to: try Self.required(call.shard), slot: slot)
                return .answer(to: request, .ok, message: ByteBuffer())
            case .shardFinish where request.data.readableBytes > 0:
                // The writer's last bytes travel with its finish.
                try await append(request.data, to: try Self.required(call.shard), slot: slot)
                _ = try await perform(operation, call, on: drive, slot: slot)
                return .answer(to: request, .ok, message: ByteBuffer())
            case .shardRead:
                let bytes = try await read(
                    drive, shard: try Self.required(call.shard), offset: try Self.required(call.offset),
                    length: try Self.required(call.length))
                return .answer(to: request, .ok, message: ByteBuffer(), data: bytes)
            default:
                let reply = try await perform(operation, call, on: drive, slot: slot)
                return .answer(to: request, .ok, message: ByteBuffer(bytes: try reply.encoded()))
            }
        } catch let error as DriveError {
            return .answer(to: request, .driveError, message: InternodeFrame.failure(error))
        } catch {
            return .answer(to: request, .driveError, message: InternodeFrame.failure(DriveError(.io, "\(error)")))
        }
    }

    /// A change for several of this node's drives at once (`GroupedDrive`): each slot answers
    /// as its own call would, in the group's order.
    private func serve(_ operation: DriveRPC.Operation, _ call: DriveRPC.Call, group: [Int], request: InternodeFrame) async
        -> InternodeFrame
    {
        guard operation == .commitObject || operation == .deleteVersion, !group.isEmpty, group.count <= Self.maxGroup,
            Set(group).count == group.count
        else {
            return .answer(to: request, .refused, message: ByteBuffer(string: "\(operation.rawValue) of \(group.count) drives cannot be grouped"))
        }
        let outcomes = await withTaskGroup(of: (Int, DriveRPC.Outcome).self) { tasks in
            for (index, slot) in group.enumerated() {
                tasks.addTask { (index, await self.outcome(operation, call, slot: slot)) }
            }
            var outcomes = [DriveRPC.Outcome](repeating: .refused("no answer"), count: group.count)
            for await (index, outcome) in tasks { outcomes[index] = outcome }
            return outcomes
        }
        var reply = DriveRPC.Reply()
        reply.outcomes = outcomes
        do {
            return .answer(to: request, .ok, message: ByteBuffer(bytes: try reply.encoded()))
        } catch {
            return .answer(to: request, .driveError, message: InternodeFrame.failure(DriveError(.io, "\(error)")))
        }
    }

    /// The most drives one grouped change may name.
    static let maxGroup = 256

    private func outcome(_ operation: DriveRPC.Operation, _ call: DriveRPC.Call, slot: Int) async -> DriveRPC.Outcome {
        guard let drive = drives(slot) else {
            if let error = offline(slot) { return .driveError(error) }
            return .refused("drive \(slot) is not online here")
        }
        do {
            return .ok(try await perform(operation, call, on: drive, slot: slot).object)
        } catch let error as DriveError {
            return .driveError(error)
        } catch {
            return .driveError(DriveError(.io, "\(error)"))
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
            let (bucket, key) = (try Self.required(call.bucket), try Self.required(call.key))
            reply.object =
                if let fence = call.fence {
                    try await drive.readObject(bucket: bucket, key: key, fence: fence)
                } else {
                    try await drive.readObject(bucket: bucket, key: key)
                }
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

    private func read(_ drive: any Drive, shard: ShardID, offset: Int64, length: Int) async throws -> ByteBuffer {
        guard offset >= 0, length >= 0, length <= 64 << 20 else { throw DriveError(.io, "shard-read needs offset and length") }
        let reader = try await drive.openShard(shard)
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

    private static func required<T>(_ value: T?) throws -> T {
        guard let value else { throw DriveError(.io, "a required argument of the call is missing") }
        return value
    }
}
