import Cluster
import NIOCore
import NIOPosix
import Storage
import StowageCore
import StowageTesting
import Testing

/// One suite, every `Drive`: a local folder, a drive in memory, and the same folder served by `DriveRPCServer` and
/// reached through `RemoteDrive` over loopback (the internode protocol on a listener of its own). What the object layer relies on must hold for both.
@Suite("Drive conformance")
struct DriveConformanceTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        /// `faulty`: a local drive behind a `FaultyDrive` with no fault set (it must change nothing);
        /// `memory`: the simulation's `MemoryDrive`.
        case local, remote, faulty, memory
        var testDescription: String { rawValue }
    }

    static let signature = InternodeSignature(rootUser: "root", rootPassword: "conformance-secret")

    /// Runs `body` with a fresh drive of `kind` (and the RPC server behind it, for `.remote`).
    static func withDrive(
        _ kind: Kind, _ body: @Sendable (any Drive, DriveRPCServer?) async throws -> Void
    ) async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let local = try await TestStores.openDrive(root: dir.path, pool: TestThreadPool.shared)
        switch kind {
        case .local:
            try await body(local, nil)
        case .faulty:
            try await body(FaultyDrive(local), nil)
        case .memory:
            try await body(MemoryDrive(name: "memory"), nil)
        case .remote:
            let server = DriveRPCServer(signature: signature) { slot in slot == 7 ? local : nil }
            try await withRPCServer(server) { node in
                let drive = RemoteDrive(node: node, slot: 7, path: dir.path, client: client)
                try await body(drive, server)
            }
        }
    }

    /// The client every remote drive of the suite uses (connections are per node).
    static let client = InternodeClient(signature: signature)

    /// Serves `server` on a loopback port for the duration of `body`, which gets `http://127.0.0.1:PORT`.
    static func withRPCServer(_ server: DriveRPCServer, _ body: @Sendable (String) async throws -> Void) async throws {
        let listener = try await InternodeListener.bind(host: "127.0.0.1", port: 0, server: server)
        do {
            try await body("http://127.0.0.1:\(listener.localAddress!.port!)")
        } catch {
            try? await listener.close()
            throw error
        }
        try? await listener.close()
    }

    static func bytes(_ count: Int, seed: UInt8 = 3) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ Int(seed)) }
    }

    static func bucket(_ name: String = "b") -> BucketRecord {
        BucketRecord(name: name, created: 1, region: "us-east-1")
    }

    static func record(_ key: String, version: String = "null", stamp: Int64 = 1, data: [UInt8]? = [1, 2, 3])
        -> ObjectRecord
    {
        ObjectRecord(
            bucket: "b", key: key, versionID: version, size: Int64(data?.count ?? 0), etag: "e-\(key)",
            lastModified: 5, userMetadata: ["owner": "\u{e9}l\u{e8}ve"], inlineData: data, versionStamp: stamp)
    }

    /// Writes and finishes a shard of `data` on `drive` (staged, named by no record yet).
    static func stage(_ data: [UInt8], id: ShardID = .random(), on drive: any Drive) async throws -> ShardID {
        let writer = try await drive.createShard(id: id, blockSize: 1024)
        try await writer.write(ByteBuffer(bytes: data))
        try await writer.finish()
        return id
    }

    /// A record of `size` bytes whose data is the one shard `shard`.
    static func record(_ key: String, shard: ShardID, size: Int64) -> ObjectRecord {
        var record = Self.record(key, data: nil)
        record.size = size
        record.parts = [PartLayout(number: 1, size: size, etag: "e", shardID: shard)]
        return record
    }

    static func code(_ body: () async throws -> Void) async -> DriveError.Code? {
        do {
            try await body()
            return nil
        } catch let error as DriveError {
            return error.code
        } catch {
            return nil
        }
    }

    @Test("buckets: create, read, list, update, delete, with the same errors", arguments: Kind.allCases)
    func buckets(kind: Kind) async throws {
        try await Self.withDrive(kind) { drive, _ in
            try await drive.createBucket(Self.bucket("a"))
            try await drive.createBucket(Self.bucket("b"))
            #expect(await Self.code { try await drive.createBucket(Self.bucket("a")) } == .bucketExists)
            #expect(try await drive.bucket(named: "a") == Self.bucket("a"))
            #expect(try await drive.bucket(named: "missing") == nil)
            #expect(try await drive.listBuckets().map(\.name) == ["a", "b"])
            var updated = Self.bucket("a")
            updated.versioning = .enabled
            try await drive.updateBucket(updated)
            #expect(try await drive.bucket(named: "a")?.versioning == .enabled)
            _ = try await drive.commitObject(Self.record("k"))
            #expect(await Self.code { try await drive.deleteBucket(named: "b") } == .bucketNotEmpty)
            try await drive.deleteBucket(named: "a")
            #expect(await Self.code { try await drive.deleteBucket(named: "a") } == .bucketNotFound)
        }
    }

    @Test("objects: versions by stamp, reads, deletes and listings", arguments: Kind.allCases)
    func objects(kind: Kind) async throws {
        try await Self.withDrive(kind) { drive, _ in
            try await drive.createBucket(Self.bucket())
            #expect(try await drive.commitObject(Self.record("k", version: "v1", stamp: 10)) == nil)
            _ = try await drive.commitObject(Self.record("k", version: "v2", stamp: 20, data: [9]))
            _ = try await drive.commitObject(Self.record("a/x", stamp: 5))
            _ = try await drive.commitObject(Self.record("a/y", stamp: 5))
            #expect(try await drive.readObject(bucket: "b", key: "k")?.versionID == "v2")
            #expect(try await drive.readVersion(bucket: "b", key: "k", versionID: "v1")?.inlineData == [1, 2, 3])
            #expect(try await drive.readObject(bucket: "b", key: "k")?.userMetadata == ["owner": "\u{e9}l\u{e8}ve"])
            #expect(try await drive.readObject(bucket: "b", key: "none") == nil)
            let all = try await drive.listObjects(bucket: "b", prefix: "", after: nil, inclusive: false, limit: 10)
            #expect(all.map(\.key) == ["a/x", "a/y", "k"])
            let after = try await drive.listObjects(
                bucket: "b", prefix: "a/", after: Array("a/x".utf8), inclusive: false, limit: 10)
            #expect(after.map(\.key) == ["a/y"])
            let inclusive = try await drive.listObjects(
                bucket: "b", prefix: "", after: Array("a/y".utf8), inclusive: true, limit: 1)
            #expect(inclusive.map(\.key) == ["a/y"])
            let versions = try await drive.listVersions(bucket: "b", prefix: "k", after: nil, limit: 10)
            #expect(versions.map(\.versionID) == ["v2", "v1"])
            let rest = try await drive.listVersions(
                bucket: "b", prefix: "", after: VersionCursor(after: versions[0]), limit: 10)
            #expect(rest.map(\.versionID) == ["v1"])
            #expect(try await drive.deleteVersion(bucket: "b", key: "k", versionID: "v2")?.versionID == "v2")
            #expect(try await drive.readObject(bucket: "b", key: "k")?.versionID == "v1")
        }
    }

    @Test("fencing: a change with a lock token older than one seen for the key is refused, also after the key is gone", arguments: Kind.allCases)
    func fencing(kind: Kind) async throws {
        try await Self.withDrive(kind) { drive, _ in
            try await drive.createBucket(Self.bucket())
            _ = try await drive.commitObject(Self.record("k", version: "v5", stamp: 5 << 16), fence: 5)
            // The lock's next holder (token 9) writes; the old holder (token 5) wakes up.
            _ = try await drive.commitObject(Self.record("k", version: "v9", stamp: 9 << 16), fence: 9)
            #expect(await Self.code { _ = try await drive.commitObject(Self.record("k", version: "v6", stamp: 6 << 16), fence: 5) } == .fenced)
            #expect(await Self.code { _ = try await drive.deleteVersion(bucket: "b", key: "k", versionID: "v9", fence: 8) } == .fenced)
            #expect(try await drive.readObject(bucket: "b", key: "k")?.versionID == "v9")
            // The same token again (one holder, several changes) and newer ones pass.
            _ = try await drive.deleteVersion(bucket: "b", key: "k", versionID: "v5", fence: 9)
            _ = try await drive.deleteVersion(bucket: "b", key: "k", versionID: "v9", fence: 12)
            #expect(try await drive.readObject(bucket: "b", key: "k") == nil)
            // The key has no version left, but its token is remembered.
            #expect(await Self.code { _ = try await drive.commitObject(Self.record("k", stamp: 11 << 16), fence: 11) } == .fenced)
            // Other keys have their own tokens; no fence (one node, healing) checks nothing.
            _ = try await drive.commitObject(Self.record("other", stamp: 1 << 16), fence: 1)
            _ = try await drive.commitObject(Self.record("k", version: "v1", stamp: 1))
            #expect(try await drive.readVersion(bucket: "b", key: "k", versionID: "v1") != nil)
            // A multipart completion is fenced the same way.
            try await drive.createUpload(
                UploadRecord(
                    uploadID: "u1", bucket: "b", key: "k", initiated: 1, systemMetadata: [:], userMetadata: [:],
                    checksumAlgorithm: nil, checksumType: nil, storageClass: "STANDARD"))
            #expect(await Self.code { _ = try await drive.completeUpload(uploadID: "u1", object: Self.record("k", version: "m"), fence: 3) } == .fenced)
            _ = try await drive.completeUpload(uploadID: "u1", object: Self.record("k", version: "m", stamp: 13 << 16), fence: 13)
            #expect(try await drive.readObject(bucket: "b", key: "k")?.versionID == "m")
        }
    }

    @Test("a fenced read raises the key's token: changes with an older one are refused after it", arguments: Kind.allCases)
    func fencedRead(kind: Kind) async throws {
        try await Self.withDrive(kind) { drive, _ in
            try await drive.createBucket(Self.bucket())
            // Nothing there yet: the read answers nil and still raises the token.
            #expect(try await drive.readObject(bucket: "b", key: "k", fence: 4) == nil)
            // The holder that lost the lock (token 3) wakes up after the next holder's read.
            #expect(await Self.code { _ = try await drive.commitObject(Self.record("k", stamp: 3 << 16), fence: 3) } == .fenced)
            #expect(try await drive.readObject(bucket: "b", key: "k") == nil)
            // The new holder's own commit, and its reads with the same token, pass.
            let written = Self.record("k", version: "v4", stamp: 4 << 16)
            _ = try await drive.commitObject(written, fence: 4)
            #expect(try await drive.readObject(bucket: "b", key: "k", fence: 4) == written)
            // A read with an older token means the reader's lock is gone.
            #expect(await Self.code { _ = try await drive.readObject(bucket: "b", key: "k", fence: 2) } == .fenced)
            // A newer holder's read shows the current version (a delete marker too) and raises again.
            let marker = ObjectRecord.deleteMarker(bucket: "b", key: "k", lastModified: 6)
            var stamped = marker
            stamped.versionID = "v5"
            stamped.versionStamp = 5 << 16
            _ = try await drive.commitObject(stamped, fence: 5)
            #expect(try await drive.readObject(bucket: "b", key: "k", fence: 7)?.versionID == "v5")
            #expect(await Self.code { _ = try await drive.deleteVersion(bucket: "b", key: "k", versionID: "v5", fence: 6) } == .fenced)
            // Other keys keep their own tokens.
            #expect(try await drive.readObject(bucket: "b", key: "other", fence: 1) == nil)
        }
    }

    @Test("shards: written in pieces, named by a commit, read back at any range", arguments: Kind.allCases)
    func shards(kind: Kind) async throws {
        try await Self.withDrive(kind) { drive, _ in
            try await drive.createBucket(Self.bucket())
            let data = Self.bytes(5000)
            let writer = try await drive.createShard(id: .random(), blockSize: 1024)
            for start in stride(from: 0, to: data.count, by: 1500) {
                try await writer.write(ByteBuffer(bytes: data[start..<min(start + 1500, data.count)]))
            }
            try await writer.finish()
            var record = Self.record("big", data: nil)
            record.size = 5000
            record.parts = [PartLayout(number: 1, size: 5000, etag: "e", shardID: writer.id)]
            _ = try await drive.commitObject(record)
            let reader = try await drive.openShard(writer.id)
            #expect(reader.size == 5000)
            for (offset, length) in [(0, 5000), (1023, 2), (4999, 1), (2048, 1000), (7, 0)] {
                let read = try await reader.read(offset: Int64(offset), length: length)
                #expect(Array(read.readableBytesView) == Array(data[offset..<(offset + length)]))
            }
            await reader.close()
            let aborted = try await drive.createShard(id: .random(), blockSize: 1024)
            try await aborted.write(ByteBuffer(bytes: [1, 2, 3]))
            await aborted.abort()
            #expect(await Self.code { _ = try await drive.openShard(aborted.id) } != nil)
        }
    }

    @Test("a version put back after a write replaced it takes back its shards (a rollback)", arguments: Kind.allCases)
    func rollbackTakesBackShards(kind: Kind) async throws {
        try await Self.withDrive(kind) { drive, _ in
            try await drive.createBucket(Self.bucket())
            let data = Self.bytes(3000)
            let old = Self.record("k", shard: try await Self.stage(data, on: drive), size: 3000)
            _ = try await drive.commitObject(old, fence: 4)
            // A new null version (inline) replaces it and drops its shard; the write then fails
            // elsewhere and the old version is committed again, under the same lock.
            let replaced = try await drive.commitObject(Self.record("k", data: [9, 9]), fence: 4)
            #expect(replaced?.shardIDs == old.shardIDs)
            _ = try await drive.commitObject(old, fence: 4)
            let reader = try await drive.openShard(old.parts[0].shardID)
            #expect(Array(try await reader.read(offset: 0, length: 3000).readableBytesView) == data)
            await reader.close()
            // Replaced for good, the shard is dropped again, and gone once it is deleted too.
            _ = try await drive.commitObject(Self.record("k", data: [7]), fence: 4)
            _ = try await drive.deleteVersion(bucket: "b", key: "k", versionID: "null", fence: 4)
            #expect(try await drive.readObject(bucket: "b", key: "k") == nil)
        }
    }

    @Test("a record naming a shard the drive does not hold is refused", arguments: Kind.allCases)
    func recordWithoutItsShard(kind: Kind) async throws {
        try await Self.withDrive(kind) { drive, _ in
            try await drive.createBucket(Self.bucket())
            let record = Self.record("k", shard: .random(), size: 10)
            #expect(await Self.code { _ = try await drive.commitObject(record, fence: 3) } == .notFound)
            #expect(try await drive.readObject(bucket: "b", key: "k") == nil)
            // Staged, the same shard makes the record acceptable.
            _ = try await Self.stage(Self.bytes(10), id: record.parts[0].shardID, on: drive)
            _ = try await drive.commitObject(record, fence: 3)
            #expect(try await drive.readObject(bucket: "b", key: "k")?.shardIDs == record.shardIDs)
        }
    }

    @Test("shards: reads front to back, with jumps and re-reads, return the asked bytes", arguments: Kind.allCases)
    func sequentialShardReads(kind: Kind) async throws {
        try await Self.withDrive(kind) { drive, _ in
            try await drive.createBucket(Self.bucket())
            // Over 2 MiB, so a remote reader's read-ahead (1 MiB) fills, is used, and runs out.
            let data = Self.bytes(2_500_000, seed: 9)
            let writer = try await drive.createShard(id: .random(), blockSize: 64 << 10)
            for start in stride(from: 0, to: data.count, by: 300_000) {
                try await writer.write(ByteBuffer(bytes: data[start..<min(start + 300_000, data.count)]))
            }
            try await writer.finish()
            var record = Self.record("seq", data: nil)
            record.size = Int64(data.count)
            record.parts = [PartLayout(number: 1, size: record.size, etag: "e", shardID: writer.id)]
            _ = try await drive.commitObject(record)
            let reader = try await drive.openShard(writer.id)
            var reads: [(Int, Int)] = stride(from: 0, to: data.count, by: 262_144).map { ($0, min(262_144, data.count - $0)) }
            // A jump back, the same range again, a jump forward, and a read past the read-ahead.
            reads += [(100, 50), (100, 50), (2_000_000, 10), (2_000_010, 400_000), (1_000_000, 1_400_000)]
            for (offset, length) in reads {
                let read = try await reader.read(offset: Int64(offset), length: length)
                #expect(Array(read.readableBytesView) == Array(data[offset..<(offset + length)]), "read \(offset)+\(length)")
            }
            await reader.close()
        }
    }

    @Test("multipart uploads: parts, listing, completion and abort", arguments: Kind.allCases)
    func uploads(kind: Kind) async throws {
        try await Self.withDrive(kind) { drive, _ in
            try await drive.createBucket(Self.bucket())
            func upload(_ id: String, _ key: String) -> UploadRecord {
                UploadRecord(
                    uploadID: id, bucket: "b", key: key, initiated: 3, systemMetadata: [:], userMetadata: [:],
                    checksumAlgorithm: nil, checksumType: nil, storageClass: "STANDARD")
            }
            try await drive.createUpload(upload("u1", "m"))
            try await drive.createUpload(upload("u2", "n"))
            #expect(try await drive.upload(id: "u1")?.key == "m")
            #expect(try await drive.upload(id: "none") == nil)
            let listed = try await drive.listUploads(bucket: "b", prefix: "", afterKey: nil, afterUploadID: nil, limit: 10)
            #expect(listed.map(\.uploadID) == ["u1", "u2"])
            let writer = try await drive.createShard(id: .random(), blockSize: 1024)
            try await writer.write(ByteBuffer(bytes: [7, 8, 9]))
            try await writer.finish()
            let part = PartRecord(
                uploadID: "u1", number: 1, size: 3, etag: "p1", lastModified: 5, shardID: writer.id, checksums: [:])
            try await drive.commitPart(part)
            #expect(try await drive.listParts(uploadID: "u1") == [part])
            var object = Self.record("m", data: nil)
            object.etag = "x-1"
            object.size = 3
            object.parts = [PartLayout(number: 1, size: 3, etag: "p1", shardID: writer.id)]
            #expect(try await drive.completeUpload(uploadID: "u1", object: object) == nil)
            #expect(try await drive.upload(id: "u1") == nil)
            #expect(try await drive.readObject(bucket: "b", key: "m")?.etag == "x-1")
            let reader = try await drive.openShard(writer.id)
            #expect(Array(try await reader.read(offset: 0, length: 3).readableBytesView) == [7, 8, 9])
            await reader.close()
            try await drive.abortUpload(uploadID: "u2")
            #expect(try await drive.upload(id: "u2") == nil)
        }
    }

    @Test("space and health answer", arguments: Kind.allCases)
    func spaceAndHealth(kind: Kind) async throws {
        try await Self.withDrive(kind) { drive, _ in
            #expect(try await drive.availableBytes() > 0)
            try await drive.healthCheck()
        }
    }

    // MARK: The network

    @Test("a request signed with another key is refused, and read as a drive failure, never as absence")
    func wrongKeyIsRefused() async throws {
        try await Self.withDrive(.remote) { drive, _ in
            let remote = drive as! RemoteDrive
            let impostor = RemoteDrive(
                node: remote.node, slot: 7, path: "/x",
                client: InternodeClient(signature: InternodeSignature(rootUser: "root", rootPassword: "guessed")))
            let error = await #expect(throws: DriveError.self) { _ = try await impostor.bucket(named: "b") }
            #expect(error?.code == .io)
            #expect(error?.detail.contains("refused: internode signature does not match") == true)
        }
    }

    @Test("a slot this node does not serve is refused, a drive failure")
    func unknownSlot() async throws {
        try await Self.withDrive(.remote) { drive, _ in
            let remote = drive as! RemoteDrive
            let elsewhere = RemoteDrive(node: remote.node, slot: 3, path: "/x", client: Self.client)
            let error = await #expect(throws: DriveError.self) { try await elsewhere.listBuckets() }
            #expect(error?.code == .io)
            #expect(error?.detail.contains("refused: drive 3 is not online here") == true)
        }
    }

    @Test("a grouped change: one message for several drives of a node, each answering as its own call would")
    func groupedChange() async throws {
        let dirs = [TemporaryDirectory(), TemporaryDirectory()]
        defer { for dir in dirs { dir.remove() } }
        var opened: [any Drive] = []
        for dir in dirs { opened.append(try await TestStores.openDrive(root: dir.path, pool: TestThreadPool.shared)) }
        let locals = opened
        // Slots 1 and 2 are online here; 3 went offline for want of space; 4 is not this node's.
        let server = DriveRPCServer(
            signature: Self.signature, offline: { $0 == 3 ? DriveError(.full, "drive 3 is full") : nil },
            drives: { slot in slot == 1 || slot == 2 ? locals[slot - 1] : nil })
        try await Self.withRPCServer(server) { node in
            let remote = (1...4).map { RemoteDrive(node: node, slot: $0, path: "/d\($0)", client: Self.client) }
            for drive in locals { try await drive.createBucket(Self.bucket()) }
            let pair: [any GroupedDrive] = [remote[0], remote[1]]
            let first = Self.record("k", version: "v1", stamp: 1 << 16)
            let answers = await remote[0].apply(.commitObject(first, fence: 4), on: pair)
            #expect(answers.count == 2)
            for answer in answers { #expect(try answer.get() == nil, "nothing was replaced") }
            for drive in locals { #expect(try await drive.readObject(bucket: "b", key: "k") == first) }

            // Drive 2 saw a newer lock token for the key: it alone refuses the stale writer.
            _ = try await locals[1].commitObject(Self.record("other", stamp: 1), fence: 9)
            _ = try await locals[1].commitObject(Self.record("k", version: "v9", stamp: 9 << 16), fence: 9)
            let stale = Self.record("k", version: "v5", stamp: 5 << 16)
            let mixed = await remote[0].apply(.commitObject(stale, fence: 5), on: pair)
            #expect(try mixed[0].get() == nil)
            #expect((mixed[1].error as? DriveError)?.code == .fenced)
            #expect(try await locals[0].readVersion(bucket: "b", key: "k", versionID: "v5") == stale)
            #expect(try await locals[1].readVersion(bucket: "b", key: "k", versionID: "v5") == nil)

            // Slots that are offline here answer what their own calls would: full, or refused.
            let group: [any GroupedDrive] = [remote[0], remote[2], remote[3], remote[1]]
            let removed = await remote[0].apply(.deleteVersion(bucket: "b", key: "k", versionID: "v1", fence: 9), on: group)
            #expect(try removed[0].get() == first)
            #expect((removed[1].error as? DriveError)?.code == .full)
            let refused = removed[2].error as? DriveError
            #expect(refused?.code == .io && refused?.detail.contains("drive 4 is not online here") == true)
            #expect(try removed[3].get() == first)
            for drive in locals { #expect(try await drive.readVersion(bucket: "b", key: "k", versionID: "v1") == nil) }

            // A change grouped twice on one slot, or an operation that cannot be grouped, is refused whole.
            var call = DriveRPC.Call()
            call.bucket = "b"
            call.group = [1, 1]
            let twice = await server.serve(
                InternodeFrame(id: 1, slot: 1, operation: DriveRPC.Operation.deleteVersion.code,
                    message: ByteBuffer(bytes: try call.encoded()), data: ByteBuffer()))
            #expect(twice.status == .refused)
            call.group = [1, 2]
            let listing = await server.serve(
                InternodeFrame(id: 2, slot: 1, operation: DriveRPC.Operation.listBuckets.code,
                    message: ByteBuffer(bytes: try call.encoded()), data: ByteBuffer()))
            #expect(listing.status == .refused)
        }
    }

    @Test("a connection that sends the preface but no hello is closed after the hello timeout")
    func silentConnectionIsClosed() async throws {
        let server = DriveRPCServer(signature: Self.signature) { _ in nil }
        let listener = try await InternodeListener.bind(
            host: "127.0.0.1", port: 0, server: server, helloTimeout: .milliseconds(300))
        defer { listener.close(promise: nil) }
        let start = ContinuousClock.now
        let connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: listener.localAddress!.port!).get()
        // On a loaded machine the server may already have closed it: the write may fail.
        try? await connection.writeAndFlush(ByteBuffer(bytes: InternodeFrame.preface)).get()
        try await connection.closeFuture.get()
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("a peer that accepts but never answers fails the call within its deadline")
    func hangingPeer() async throws {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { listener.close(promise: nil) }
        var drive = RemoteDrive(
            node: "http://127.0.0.1:\(listener.localAddress!.port!)", slot: 0, path: "/x", client: Self.client)
        drive.timeout = .milliseconds(500)
        let start = ContinuousClock.now
        let error = await #expect(throws: DriveError.self) { try await drive.healthCheck() }
        #expect(error?.code == .io)
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("a call the remote drive never answers fails at its deadline; the connection goes on serving others")
    func hangingCall() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let faulty = FaultyDrive(try await TestStores.openDrive(root: dir.path, pool: TestThreadPool.shared))
        try await faulty.createBucket(Self.bucket())
        let server = DriveRPCServer(signature: Self.signature) { _ in faulty }
        try await Self.withRPCServer(server) { (node: String) async throws -> Void in
            // One connection, so the hung call and the next ones share it.
            var drive = RemoteDrive(
                node: node, slot: 0, path: dir.path, client: InternodeClient(signature: Self.signature, connectionsPerPeer: 1))
            // The connection is opened first, with time to spare on a loaded machine.
            #expect(try await drive.bucket(named: "b")?.name == "b")
            drive.timeout = .milliseconds(400)
            faulty.set(.hang, on: .readRecord)
            let start = ContinuousClock.now
            let error = await #expect(throws: DriveError.self) { _ = try await drive.readObject(bucket: "b", key: "k") }
            #expect(error?.code == .io)
            #expect(error?.detail.contains("no answer within") == true)
            // The drive hangs until the fault is cleared; the call ends at its 0.4 s deadline. The
            // bound is loose because the test process runs its suites in parallel on 2 cores.
            #expect(ContinuousClock.now - start < .seconds(8))
            drive.timeout = .seconds(10)
            let other = try await drive.bucket(named: "b")
            #expect(other?.name == "b")
            faulty.set(nil, on: .readRecord)
            let read = try await drive.readObject(bucket: "b", key: "k")
            #expect(read == nil)
        }
    }

    @Test("a shard whose writer went silent is aborted by age")
    func staleStagedShardsAreSwept() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let local = try await TestStores.openDrive(root: dir.path, pool: TestThreadPool.shared)
        let server = DriveRPCServer(signature: Self.signature, stagedShardMaxIdle: .milliseconds(200)) { _ in local }
        try await Self.withRPCServer(server) { node in
            let drive = RemoteDrive(node: node, slot: 0, path: dir.path, client: Self.client)
            let abandoned = try await drive.createShard(id: .random(), blockSize: 1024)
            try await abandoned.write(ByteBuffer(bytes: Self.bytes(100)))
            #expect(server.stagedShardCount == 1)
            try await Task.sleep(for: .milliseconds(300))
            let next = try await drive.createShard(id: .random(), blockSize: 1024)
            #expect(server.stagedShardCount == 1)
            let error = await #expect(throws: DriveError.self) { try await abandoned.finish() }
            #expect(error?.code == .notFound)
            await next.abort()
            #expect(server.stagedShardCount == 0)
        }
    }
}

extension Result {
    /// The failure, if it is one.
    fileprivate var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
