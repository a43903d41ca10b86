package import NIOCore
package import StowageCore
internal import Synchronization

/// A drive of another node, reached over the internode protocol (`DriveRPC` frames on the
/// `InternodeClient`'s connections): the same `Drive` contract as a local folder, so an
/// erasure set spans nodes without knowing it.
///
/// Every call has a deadline (`timeout`; shard data gets `dataTimeout`). A peer that does not
/// answer in time, refuses the connection or the call, or answers something unexpected is
/// `DriveError.io` — never "absent" — so quorum logic counts it as a failed drive; errors the
/// remote drive raised come back as the same `DriveError`. Identity is the value (`node` and
/// `slot`), not an object.
package struct RemoteDrive: GroupedDrive {
    /// `http://host:port` of the node holding the drive.
    package let node: String
    /// The drive's slot in the cluster's drive list, as every node numbers it.
    package let slot: Int
    package let name: String
    let client: InternodeClient
    package var timeout: TimeAmount = .seconds(10)
    package var dataTimeout: TimeAmount = .seconds(30)

    package init(node: String, slot: Int, path: String, client: InternodeClient) {
        self.node = node
        self.slot = slot
        self.name = node + path
        self.client = client
    }

    // MARK: Calls

    /// Sends one call and returns its reply; throws the remote `DriveError`, or `.io` for transport failures.
    func call(_ operation: DriveRPC.Operation, _ arguments: DriveRPC.Call = .init()) async throws -> DriveRPC.Reply {
        let answer = try await send(operation, arguments, timeout: timeout)
        do {
            return try DriveRPC.Reply(decoding: ArraySlice(answer.message.readableBytesView))
        } catch {
            throw DriveError(.io, "\(name): undecodable reply to \(operation.rawValue): \(error)")
        }
    }

    /// One call; its answer when the drive served it.
    func send(_ operation: DriveRPC.Operation, _ arguments: DriveRPC.Call, data: ByteBuffer = ByteBuffer(), timeout: TimeAmount)
        async throws -> InternodeFrame
    {
        let request = InternodeFrame(
            id: 0, slot: UInt16(slot), operation: operation.code, message: ByteBuffer(bytes: try arguments.encoded()),
            data: data)
        let answer: InternodeFrame
        do {
            answer = try await client.call(request, to: node, timeout: timeout)
        } catch {
            throw DriveError.lostAnswer("\(name): \(operation.rawValue) failed: \(error)")
        }
        switch answer.status {
        case .ok: return answer
        case .driveError: throw answer.driveError
        case .refused: throw DriveError(.io, "\(name): \(operation.rawValue) refused: \(answer.text)")
        }
    }

    // MARK: Buckets

    package func createBucket(_ bucket: BucketRecord) async throws {
        var call = DriveRPC.Call()
        call.bucketRecord = bucket
        _ = try await self.call(.createBucket, call)
    }

    package func bucket(named name: String) async throws -> BucketRecord? {
        var call = DriveRPC.Call()
        call.bucket = name
        return try await self.call(.bucket, call).bucket
    }

    package func listBuckets() async throws -> [BucketRecord] {
        try await call(.listBuckets).buckets ?? []
    }

    package func updateBucket(_ bucket: BucketRecord) async throws {
        var call = DriveRPC.Call()
        call.bucketRecord = bucket
        _ = try await self.call(.updateBucket, call)
    }

    package func deleteBucket(named name: String) async throws {
        var call = DriveRPC.Call()
        call.bucket = name
        _ = try await self.call(.deleteBucket, call)
    }

    // MARK: Objects

    package func readObject(bucket: String, key: String) async throws -> ObjectRecord? {
        try await readObject(bucket: bucket, key: key, fence: nil)
    }

    package func readObject(bucket: String, key: String, fence: Int64) async throws -> ObjectRecord? {
        try await readObject(bucket: bucket, key: key, fence: Optional(fence))
    }

    /// `read-object`, fenced when `fence` is given.
    private func readObject(bucket: String, key: String, fence: Int64?) async throws -> ObjectRecord? {
        var call = DriveRPC.Call()
        call.bucket = bucket
        call.key = key
        call.fence = fence
        return try await self.call(.readObject, call).object
    }

    package func readVersion(bucket: String, key: String, versionID: String) async throws -> ObjectRecord? {
        var call = DriveRPC.Call()
        call.bucket = bucket
        call.key = key
        call.versionID = versionID
        return try await self.call(.readVersion, call).object
    }

    package func commitObject(_ record: ObjectRecord, fence: Int64?) async throws -> ObjectRecord? {
        var call = DriveRPC.Call()
        call.object = record
        call.fence = fence
        return try await self.call(.commitObject, call).object
    }

    package func deleteVersion(bucket: String, key: String, versionID: String, fence: Int64?) async throws
        -> ObjectRecord?
    {
        var call = DriveRPC.Call()
        call.bucket = bucket
        call.key = key
        call.versionID = versionID
        call.fence = fence
        return try await self.call(.deleteVersion, call).object
    }

    // MARK: Grouped changes

    /// The node: its drives share its connections.
    package var channel: String { node }

    package func apply(_ change: GroupedChange, on group: [any GroupedDrive]) async -> [Result<ObjectRecord?, any Error>] {
        let members = group.map { $0 as? RemoteDrive }
        guard members.allSatisfy({ $0?.node == node }) else {
            // Not one node's drives: each its own call.
            var answers: [Result<ObjectRecord?, any Error>] = []
            for drive in group {
                do { answers.append(.success(try await change.apply(to: drive))) } catch { answers.append(.failure(error)) }
            }
            return answers
        }
        let drives = members.map { $0! }
        var call = DriveRPC.Call()
        let operation: DriveRPC.Operation
        switch change {
        case .commitObject(let record, let fence):
            operation = .commitObject
            call.object = record
            call.fence = fence
        case .deleteVersion(let bucket, let key, let versionID, let fence):
            operation = .deleteVersion
            call.bucket = bucket
            call.key = key
            call.versionID = versionID
            call.fence = fence
        }
        call.group = drives.map(\.slot)
        do {
            let outcomes = try await self.call(operation, call).outcomes ?? []
            guard outcomes.count == drives.count else {
                throw DriveError(.io, "\(node): \(outcomes.count) answers to a change of \(drives.count) drives")
            }
            return zip(drives, outcomes).map { drive, outcome in
                switch outcome {
                case .ok(let record): .success(record)
                case .driveError(let error): .failure(error)
                case .refused(let why): .failure(DriveError(.io, "\(drive.name): \(operation.rawValue) refused: \(why)"))
                }
            }
        } catch {
            return drives.map { _ in .failure(error) }
        }
    }

    package func listObjects(bucket: String, prefix: String, after: [UInt8]?, inclusive: Bool, limit: Int) async throws
        -> [ObjectRecord]
    {
        var call = DriveRPC.Call()
        call.bucket = bucket
        call.prefix = prefix
        call.after = after
        call.inclusive = inclusive
        call.limit = limit
        return try await self.call(.listObjects, call).objects ?? []
    }

    package func listVersions(bucket: String, prefix: String, after: VersionCursor?, limit: Int) async throws
        -> [ObjectRecord]
    {
        var call = DriveRPC.Call()
        call.bucket = bucket
        call.prefix = prefix
        call.cursor = after.map(DriveRPC.Cursor.init)
        call.limit = limit
        return try await self.call(.listVersions, call).objects ?? []
    }

    // MARK: Shard data

    package func createShard(id: ShardID, blockSize: Int) async throws -> any ShardWriter {
        var call = DriveRPC.Call()
        call.shard = id
        call.blockSize = blockSize
        _ = try await self.call(.shardCreate, call)
        return RemoteShardWriter(drive: self, id: id)
    }

    package func openShard(_ id: ShardID) async throws -> any ShardReader {
        var call = DriveRPC.Call()
        call.shard = id
        let size = try await self.call(.shardOpen, call).bytes ?? 0
        return RemoteShardReader(drive: self, id: id, size: size)
    }

    // MARK: Multipart uploads

    package func createUpload(_ upload: UploadRecord) async throws {
        var call = DriveRPC.Call()
        call.uploadRecord = upload
        _ = try await self.call(.createUpload, call)
    }

    package func upload(id: String) async throws -> UploadRecord? {
        var call = DriveRPC.Call()
        call.uploadID = id
        return try await self.call(.upload, call).upload
    }

    package func listUploads(bucket: String, prefix: String, afterKey: String?, afterUploadID: String?, limit: Int)
        async throws -> [UploadRecord]
    {
        var call = DriveRPC.Call()
        call.bucket = bucket
        call.prefix = prefix
        call.afterKey = afterKey
        call.afterUploadID = afterUploadID
        call.limit = limit
        return try await self.call(.listUploads, call).uploads ?? []
    }

    package func commitPart(_ part: PartRecord) async throws {
        var call = DriveRPC.Call()
        call.part = part
        _ = try await self.call(.commitPart, call)
    }

    package func listParts(uploadID: String) async throws -> [PartRecord] {
        var call = DriveRPC.Call()
        call.uploadID = uploadID
        return try await self.call(.listParts, call).parts ?? []
    }

    package func completeUpload(uploadID: String, object: ObjectRecord, fence: Int64?) async throws -> ObjectRecord? {
        var call = DriveRPC.Call()
        call.uploadID = uploadID
        call.object = object
        call.fence = fence
        return try await self.call(.completeUpload, call).object
    }

    package func abortUpload(uploadID: String) async throws {
        var call = DriveRPC.Call()
        call.uploadID = uploadID
        _ = try await self.call(.abortUpload, call)
    }

    // MARK: Space and health

    package func availableBytes() async throws -> Int64 {
        try await call(.availableBytes).bytes ?? 0
    }

    package func healthCheck() async throws {
        _ = try await call(.healthCheck)
    }
}

/// Appends to a shard staged on a remote drive. Writes are gathered up to `writeBehind` bytes
/// and sent as one call (an erasure-coded PUT hands each drive one chunk per block, a quarter
/// of a block with 4 data shards); `finish` carries what is left, so a shard smaller than that
/// costs no append at all. A failed send fails the `write` or `finish` that made it, which the
/// erasure writer treats alike (the drive is dropped from the write and repaired later).
/// Memory: at most `writeBehind` bytes plus one write per writer. The remote side aborts a
/// staged shard left idle by a writer that died.
final class RemoteShardWriter: ShardWriter, Sendable {
    let drive: RemoteDrive
    let id: ShardID
    static let writeBehind = 1 << 20
    private let pending = Mutex(ByteBuffer())

    init(drive: RemoteDrive, id: ShardID) {
        self.drive = drive
        self.id = id
    }

    func write(_ buffer: ByteBuffer) async throws {
        let full: ByteBuffer? = pending.withLock { pending in
            if pending.readableBytes == 0 && buffer.readableBytes >= Self.writeBehind { return buffer }
            pending.writeImmutableBuffer(buffer)
            guard pending.readableBytes >= Self.writeBehind else { return nil }
            defer { pending = ByteBuffer() }
            return pending
        }
        guard let full else { return }
        var call = DriveRPC.Call()
        call.shard = id
        _ = try await drive.send(.shardAppend, call, data: full, timeout: drive.dataTimeout)
    }

    func finish() async throws {
        let rest = pending.withLock { pending in
            defer { pending = ByteBuffer() }
            return pending
        }
        var call = DriveRPC.Call()
        call.shard = id
        _ = try await drive.send(.shardFinish, call, data: rest, timeout: drive.dataTimeout)
    }

    func abort() async {
        pending.withLock { $0 = ByteBuffer() }
        var call = DriveRPC.Call()
        call.shard = id
        _ = try? await drive.call(.shardAbort, call)
    }
}

/// Reads a committed shard of a remote drive; the remote side verifies every block's checksum
/// before answering. A read that continues where the last one ended asks for `readAhead`
/// bytes at once (a GET reads a shard front to back, one erasure block's chunk at a time) and
/// keeps the rest for the next reads, so a large GET costs a call per `readAhead`, not per
/// chunk; a first or out-of-order read asks for exactly what it needs. Memory: at most
/// `readAhead` bytes per open reader.
final class RemoteShardReader: ShardReader, Sendable {
    let drive: RemoteDrive
    let id: ShardID
    let size: Int64
    static let readAhead = 1 << 20
    /// Bytes fetched ahead, from `offset`; and where the last read ended.
    private let state = Mutex<(offset: Int64, bytes: ByteBuffer, lastEnd: Int64)>((0, ByteBuffer(), -1))

    init(drive: RemoteDrive, id: ShardID, size: Int64) {
        self.drive = drive
        self.id = id
        self.size = size
    }

    func read(offset: Int64, length: Int) async throws -> ByteBuffer {
        let end = offset + Int64(length)
        let (kept, sequential) = state.withLock { state -> (ByteBuffer?, Bool) in
            defer { state.lastEnd = end }
            let sequential = state.lastEnd == offset
            guard offset >= state.offset, end <= state.offset + Int64(state.bytes.readableBytes) else { return (nil, sequential) }
            return (state.bytes.getSlice(at: state.bytes.readerIndex + Int(offset - state.offset), length: length), sequential)
        }
        if let kept { return kept }
        let fetch = sequential ? max(length, Int(min(size - offset, Int64(Self.readAhead)))) : length
        var call = DriveRPC.Call()
        call.shard = id
        call.offset = offset
        call.length = fetch
        let answer = try await drive.send(.shardRead, call, timeout: drive.dataTimeout).data
        guard answer.readableBytes == fetch else {
            throw DriveError(.io, "\(drive.name): shard \(id) read \(answer.readableBytes) of \(fetch) bytes")
        }
        if fetch > length { state.withLock { $0 = (offset, answer, end) } }
        return answer.getSlice(at: answer.readerIndex, length: length)!
    }

    func close() async {}
}
