internal import NIOCore
package import StowageCore
internal import Synchronization

/// A drive that passes every call to another drive, except those its faults pick: the fault
/// injection that object-layer tests (and the drive conformance suite, with no fault set) use.
///
/// Faults: an operation fails with a `DriveError`; hangs until the fault is cleared; a shard
/// read returns fewer bytes than asked; a shard write stores half the bytes and then fails
/// (a torn write); a commit or delete takes effect but answers as if its answer was lost.
/// Faults are set and cleared while the drive is in use.
package final class FaultyDrive: Drive {
    package enum Operation: String, Sendable, CaseIterable {
        case bucket, commit, delete, readRecord, list, shardWrite, shardRead, upload, space, health
    }

    package enum Fault: Sendable, Equatable {
        case error(DriveError.Code)
        case hang
        case shortRead
        case tornWrite
        /// The call is carried out, and its answer lost on the way back (a transport's timeout).
        case lostAnswer
    }

    package let base: any Drive
    private let faults = Mutex<[Operation: Fault]>([:])
    private let calls = Mutex<[Operation: Int]>([:])

    package init(_ base: any Drive) {
        self.base = base
    }

    package var name: String { "faulty(\(base.name))" }

    package func set(_ fault: Fault?, on operation: Operation) {
        faults.withLock { $0[operation] = fault }
    }

    package func clearAll() {
        faults.withLock { $0.removeAll() }
    }

    /// How many calls of `operation` reached this drive.
    package func callCount(_ operation: Operation) -> Int { calls.withLock { $0[operation] ?? 0 } }

    /// Applies the fault of `operation`, if any, before the call goes through: throws for an
    /// error, waits while it hangs. Returns the fault for the kinds the caller applies itself.
    @discardableResult
    func enter(_ operation: Operation) async throws -> Fault? {
        calls.withLock { $0[operation, default: 0] += 1 }
        while true {
            switch faults.withLock({ $0[operation] }) {
            case .error(let code): throw DriveError(code, "injected fault on \(operation.rawValue)")
            case .hang: try await Task.sleep(for: .milliseconds(20))
            case let other: return other
            }
        }
    }

    // MARK: Buckets

    package func createBucket(_ bucket: BucketRecord) async throws {
        try await enter(.bucket)
        try await base.createBucket(bucket)
    }

    package func bucket(named name: String) async throws -> BucketRecord? {
        try await enter(.bucket)
        return try await base.bucket(named: name)
    }

    package func listBuckets() async throws -> [BucketRecord] {
        try await enter(.bucket)
        return try await base.listBuckets()
    }

    package func updateBucket(_ bucket: BucketRecord) async throws {
        try await enter(.bucket)
        try await base.updateBucket(bucket)
    }

    package func deleteBucket(named name: String) async throws {
        try await enter(.bucket)
        try await base.deleteBucket(named: name)
    }

    // MARK: Objects

    package func readObject(bucket: String, key: String) async throws -> ObjectRecord? {
        try await enter(.readRecord)
        return try await base.readObject(bucket: bucket, key: key)
    }

    package func readObject(bucket: String, key: String, fence: Int64) async throws -> ObjectRecord? {
        try await enter(.readRecord)
        return try await base.readObject(bucket: bucket, key: key, fence: fence)
    }

    package func readVersion(bucket: String, key: String, versionID: String) async throws -> ObjectRecord? {
        try await enter(.readRecord)
        return try await base.readVersion(bucket: bucket, key: key, versionID: versionID)
    }

    package func commitObject(_ record: ObjectRecord, fence: Int64?) async throws -> ObjectRecord? {
        let fault = try await enter(.commit)
        let replaced = try await base.commitObject(record, fence: fence)
        if fault == .lostAnswer { throw DriveError.lostAnswer("injected: the answer to a commit was lost") }
        return replaced
    }

    package func deleteVersion(bucket: String, key: String, versionID: String, fence: Int64?) async throws
        -> ObjectRecord?
    {
        let fault = try await enter(.delete)
        let removed = try await base.deleteVersion(bucket: bucket, key: key, versionID: versionID, fence: fence)
        if fault == .lostAnswer { throw DriveError.lostAnswer("injected: the answer to a delete was lost") }
        return removed
    }

    package func listObjects(bucket: String, prefix: String, after: [UInt8]?, inclusive: Bool, limit: Int) async throws
        -> [ObjectRecord]
    {
        try await enter(.list)
        return try await base.listObjects(bucket: bucket, prefix: prefix, after: after, inclusive: inclusive, limit: limit)
    }

    package func listVersions(bucket: String, prefix: String, after: VersionCursor?, limit: Int) async throws
        -> [ObjectRecord]
    {
        try await enter(.list)
        return try await base.listVersions(bucket: bucket, prefix: prefix, after: after, limit: limit)
    }

    // MARK: Shards

    package func createShard(id: ShardID, blockSize: Int) async throws -> any ShardWriter {
        try await enter(.shardWrite)
        return FaultyShardWriter(drive: self, base: try await base.createShard(id: id, blockSize: blockSize))
    }

    package func openShard(_ id: ShardID) async throws -> any ShardReader {
        try await enter(.shardRead)
        return FaultyShardReader(drive: self, base: try await base.openShard(id))
    }

    // MARK: Uploads

    package func createUpload(_ upload: UploadRecord) async throws {
        try await enter(.upload)
        try await base.createUpload(upload)
    }

    package func upload(id: String) async throws -> UploadRecord? {
        try await enter(.upload)
        return try await base.upload(id: id)
    }

    package func listUploads(bucket: String, prefix: String, afterKey: String?, afterUploadID: String?, limit: Int)
        async throws -> [UploadRecord]
    {
        try await enter(.upload)
        return try await base.listUploads(
            bucket: bucket, prefix: prefix, afterKey: afterKey, afterUploadID: afterUploadID, limit: limit)
    }

    package func commitPart(_ part: PartRecord) async throws {
        try await enter(.upload)
        try await base.commitPart(part)
    }

    package func listParts(uploadID: String) async throws -> [PartRecord] {
        try await enter(.upload)
        return try await base.listParts(uploadID: uploadID)
    }

    package func completeUpload(uploadID: String, object: ObjectRecord, fence: Int64?) async throws -> ObjectRecord? {
        try await enter(.commit)
        return try await base.completeUpload(uploadID: uploadID, object: object, fence: fence)
    }

    package func abortUpload(uploadID: String) async throws {
        try await enter(.upload)
        try await base.abortUpload(uploadID: uploadID)
    }

    // MARK: Space and health

    package func availableBytes() async throws -> Int64 {
        try await enter(.space)
        return try await base.availableBytes()
    }

    package func healthCheck() async throws {
        try await enter(.health)
        try await base.healthCheck()
    }
}

/// A shard writer whose writes the drive's `shardWrite` fault applies to.
struct FaultyShardWriter: ShardWriter {
    let drive: FaultyDrive
    let base: any ShardWriter

    var id: ShardID { base.id }

    func write(_ buffer: ByteBuffer) async throws {
        if try await drive.enter(.shardWrite) == .tornWrite {
            // Half the bytes reach the drive, then the write fails.
            try await base.write(buffer.getSlice(at: buffer.readerIndex, length: buffer.readableBytes / 2) ?? ByteBuffer())
            throw DriveError(.io, "injected torn write")
        }
        try await base.write(buffer)
    }

    func finish() async throws {
        try await drive.enter(.shardWrite)
        try await base.finish()
    }

    func abort() async {
        await base.abort()
    }
}

/// A shard reader whose reads the drive's `shardRead` fault applies to.
struct FaultyShardReader: ShardReader {
    let drive: FaultyDrive
    let base: any ShardReader

    var size: Int64 { base.size }

    func read(offset: Int64, length: Int) async throws -> ByteBuffer {
        let fault = try await drive.enter(.shardRead)
        let bytes = try await base.read(offset: offset, length: length)
        if fault == .shortRead, bytes.readableBytes > 1 {
            return bytes.getSlice(at: bytes.readerIndex, length: bytes.readableBytes - 1) ?? bytes
        }
        return bytes
    }

    func close() async {
        await base.close()
    }
}
