import NIOCore
import StowageCore
import StowageTesting
import Synchronization

/// What a simulated drive does wrong, set by the nemesis.
enum SimDriveFault: Sendable, Equatable {
    /// Every call fails with an I/O error.
    case failing
    /// Calls hang until the fault is cleared, then take effect: callers time out meanwhile (a
    /// frozen disk that thaws).
    case hanging
}

/// The drives of the simulation: one `MemoryDrive` each, owned by a node, and their faults.
final class SimDrives: Sendable {
    static let deadline: Int64 = 2_000_000_000

    let drives: [MemoryDrive]
    /// The node that owns each drive.
    let owners: [Int]
    private let faults = Mutex<[Int: SimDriveFault]>([:])
    /// The order in which each drive takes the calls that reach it.
    let order = SimLinkOrder()

    init(nodes: Int, drivesPerNode: Int) {
        var drives: [MemoryDrive] = []
        var owners: [Int] = []
        // Set positions alternate between nodes, as the cluster layout spreads them.
        for index in 0..<(nodes * drivesPerNode) {
            let node = index % nodes
            drives.append(MemoryDrive(name: "n\(node)/d\(index / nodes)"))
            owners.append(node)
        }
        self.drives = drives
        self.owners = owners
    }

    func setFault(_ fault: SimDriveFault?, on drive: Int) { faults.withLock { $0[drive] = fault } }
    func clearFaults() { faults.withLock { $0.removeAll() } }
    func fault(_ drive: Int) -> SimDriveFault? { faults.withLock { $0[drive] } }
}

/// A drive as one node reaches it: through the simulated network to the node that owns it
/// (or directly, for its own), with the drive's faults applied where the drive is.
struct SimLinkDrive: Drive {
    let index: Int
    let node: Int
    let generation: Int
    let network: SimNetwork
    let drives: SimDrives

    var name: String { "\(drives.drives[index].name) from n\(node)" }
    private var base: MemoryDrive { drives.drives[index] }

    /// Runs `request` on the drive, across the network, within the drive deadline.
    private func link<T: Sendable>(
        _ trace: String? = nil, _ request: @escaping @Sendable (MemoryDrive) async throws -> T
    ) async throws -> T {
        let (drives, index, owner, network) = (self.drives, self.index, drives.owners[index], self.network)
        let ownerGeneration = network.generation(of: owner)
        do {
            return try await network.call(from: node, generation: generation, to: owner, deadline: SimDrives.deadline) {
                // Calls reach the drive in order and a hung drive takes them in that order when
                // it thaws, as a disk's queue does.
                let ticket = drives.order.ticket(index, -2)
                while drives.fault(index) == .hanging { await network.scheduler.sleep(nanoseconds: 100_000_000) }
                await drives.order.turn(index, -2, ticket)
                defer { drives.order.done(index, -2, ticket) }
                // The owner's process ended while the call hung: the call died with it.
                guard network.generation(of: owner) == ownerGeneration else {
                    throw DriveError(.io, "the drive's node restarted")
                }
                if drives.fault(index) == .failing { throw DriveError(.io, "injected I/O error") }
                if let trace, SimTrace.on {
                    print("\(network.scheduler.now / 1_000_000) ms drive \(index) from n\(node): \(trace)")
                }
                return try await request(drives.drives[index])
            }
        } catch let timeout as SimTimeout {
            throw DriveError.lostAnswer("\(timeout)")
        }
    }

    func createBucket(_ bucket: BucketRecord) async throws { try await link { try await $0.createBucket(bucket) } }
    func bucket(named name: String) async throws -> BucketRecord? { try await link { try await $0.bucket(named: name) } }
    func listBuckets() async throws -> [BucketRecord] { try await link { try await $0.listBuckets() } }
    func updateBucket(_ bucket: BucketRecord) async throws { try await link { try await $0.updateBucket(bucket) } }
    func deleteBucket(named name: String) async throws { try await link { try await $0.deleteBucket(named: name) } }

    func readObject(bucket: String, key: String) async throws -> ObjectRecord? {
        try await link { try await $0.readObject(bucket: bucket, key: key) }
    }

    func readObject(bucket: String, key: String, fence: Int64) async throws -> ObjectRecord? {
        try await link("raise \(key) fence \(fence)") { try await $0.readObject(bucket: bucket, key: key, fence: fence) }
    }

    func readVersion(bucket: String, key: String, versionID: String) async throws -> ObjectRecord? {
        try await link { try await $0.readVersion(bucket: bucket, key: key, versionID: versionID) }
    }

    func commitObject(_ record: ObjectRecord, fence: Int64?) async throws -> ObjectRecord? {
        if fence != nil { network.committing(node) }
        return try await link("commit \(record.key) \(record.versionID) \(record.etag.prefix(6)) marker \(record.isDeleteMarker) shards \(record.shardIDs.map { $0.value.prefix(6) }) fence \(fence ?? -1)") { try await $0.commitObject(record, fence: fence) }
    }

    func deleteVersion(bucket: String, key: String, versionID: String, fence: Int64?) async throws -> ObjectRecord? {
        try await link("delete \(key) \(versionID) fence \(fence ?? -1)") { try await $0.deleteVersion(bucket: bucket, key: key, versionID: versionID, fence: fence) }
    }

    func listObjects(bucket: String, prefix: String, after: [UInt8]?, inclusive: Bool, limit: Int) async throws
        -> [ObjectRecord]
    {
        try await link { try await $0.listObjects(bucket: bucket, prefix: prefix, after: after, inclusive: inclusive, limit: limit) }
    }

    func listVersions(bucket: String, prefix: String, after: VersionCursor?, limit: Int) async throws -> [ObjectRecord] {
        try await link { try await $0.listVersions(bucket: bucket, prefix: prefix, after: after, limit: limit) }
    }

    func createShard(id: ShardID, blockSize: Int) async throws -> any ShardWriter {
        let writer = try await link("create shard \(id.value.prefix(6))") { try await $0.createShard(id: id, blockSize: blockSize) }
        return Writer(drive: self, id: id, writer: writer)
    }

    func openShard(_ id: ShardID) async throws -> any ShardReader {
        let reader = try await link { try await $0.openShard(id) }
        return Reader(drive: self, reader: reader)
    }

    func createUpload(_ upload: UploadRecord) async throws { try await link { try await $0.createUpload(upload) } }
    func upload(id: String) async throws -> UploadRecord? { try await link { try await $0.upload(id: id) } }

    func listUploads(bucket: String, prefix: String, afterKey: String?, afterUploadID: String?, limit: Int) async throws
        -> [UploadRecord]
    {
        try await link {
            try await $0.listUploads(bucket: bucket, prefix: prefix, afterKey: afterKey, afterUploadID: afterUploadID, limit: limit)
        }
    }

    func commitPart(_ part: PartRecord) async throws { try await link { try await $0.commitPart(part) } }
    func listParts(uploadID: String) async throws -> [PartRecord] { try await link { try await $0.listParts(uploadID: uploadID) } }

    func completeUpload(uploadID: String, object: ObjectRecord, fence: Int64?) async throws -> ObjectRecord? {
        try await link { try await $0.completeUpload(uploadID: uploadID, object: object, fence: fence) }
    }

    func abortUpload(uploadID: String) async throws { try await link { try await $0.abortUpload(uploadID: uploadID) } }
    func availableBytes() async throws -> Int64 { try await link { try await $0.availableBytes() } }
    func healthCheck() async throws { try await link { try await $0.healthCheck() } }

    /// Shard writes cross the network piece by piece, like the internode protocol's frames.
    struct Writer: ShardWriter {
        let drive: SimLinkDrive
        let id: ShardID
        let writer: any ShardWriter

        func write(_ buffer: ByteBuffer) async throws {
            let writer = self.writer
            try await drive.link { _ in try await writer.write(buffer) }
        }

        func finish() async throws {
            let writer = self.writer
            try await drive.link("finish \(id.value.prefix(6))") { _ in try await writer.finish() }
        }

        func abort() async {
            let writer = self.writer
            _ = try? await drive.link("abort \(id.value.prefix(6))") { _ in await writer.abort() }
        }
    }

    struct Reader: ShardReader {
        let drive: SimLinkDrive
        let reader: any ShardReader
        var size: Int64 { reader.size }

        func read(offset: Int64, length: Int) async throws -> ByteBuffer {
            let reader = self.reader
            return try await drive.link { _ in try await reader.read(offset: offset, length: length) }
        }

        func close() async {}
    }
}

/// `STOWAGE_SIM_TRACE=1` prints every change a drive applies, with the virtual time (replays).
enum SimTrace {
    nonisolated(unsafe) static var on = false
}
