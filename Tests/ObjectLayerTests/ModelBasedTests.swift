import Crypto
import NIOCore
import ObjectLayer
import PropertyBased
import StowageCore
import StowageTesting
import Testing

// A model-based test in the spirit of ShardStore's: random sequences of S3 operations run
// against the object layer on real drives and against `Model`, a small in-memory reference that
// is obviously correct, and every answer must match. Between operations the store restarts
// (every drive reopened from its folder) and one drive at a time goes offline and comes back
// stale. A failing sequence shrinks to a minimal one; the failure names the seed that replays it
// (`@Test(.fixedSeed("…"))`) and lists the shrunk operations step by step.

@Suite("Model-based: the object layer against a reference model")
struct ModelBasedTests {
    @Test(
        "Random sequences of S3 operations, restarts and a lost drive answer as the reference model does",
        .shrinking)
    func objectLayerMatchesModel() async throws {
        // One set of drive folders for every sequence (and every shrinking step), reset in between.
        let subject = try await ModelBased.StoreUnderTest()
        defer { subject.dir.remove() }
        await propertyCheck(count: 50, input: ModelBased.script) { script in
            await ModelBased.run(script, on: subject)
        }
    }
}

// MARK: - Generators and the runner

enum ModelBased {
    static let bucket = "b"
    /// A second bucket that operations create and delete.
    static let spare = "c"
    /// Keys that collide, nest and share prefixes, including composed and decomposed "é" (two
    /// different S3 keys that Swift's String equality would merge).
    static let keys = ["a", "a/b", "a/c", "b", "ab", "a/b/c", "a/", "b/a", "é", "e\u{301}", "a/é"]
    static let sizes = [0, 1, 999, 1000, 1001, 4096, 9000]
    static let prefixes = ["", "", "a", "a/", "a/b", "b", "é", "z"]
    static let delimiters: [String?] = [nil, "/", "/", "b", "é"]
    static let conditions: [ConditionSpec] = [
        .none, .none, .none, .none, .ifNoneMatch, .ifMatchAny, .ifMatchCurrent, .ifMatchStale,
    ]

    static let bucketGen = Gen.int(in: 0...5).map { $0 == 5 ? spare : bucket }
    static let keyGen = Gen.int(in: 0...(keys.count - 1)).map { keys[$0] }

    static let putGen = zip(
        bucketGen, keyGen, Gen.int(in: 0...(sizes.count - 1)), Gen.int(in: 0...3),
        Gen.int(in: 0...(conditions.count - 1)),
        Gen.bool(0.15)
    ).map { bucket, key, size, seed, condition, multipart in
        Op.put(
            bucket: bucket, key: key, size: sizes[size], seed: seed, condition: conditions[condition],
            multipart: multipart)
    }

    static let listGen = zip(
        bucketGen, Gen.int(in: 0...(prefixes.count - 1)), Gen.int(in: 0...(delimiters.count - 1)), Gen.int(in: 1...5)
    ).map { bucket, prefix, delimiter, maxKeys in
        Op.list(bucket: bucket, prefix: prefixes[prefix], delimiter: delimiters[delimiter], maxKeys: maxKeys)
    }

    /// One operation, by weight; each part shrinks towards the first entry of its list.
    static let op = Gen<Op>.frequency(
        (10, putGen),
        (2, zip(bucketGen, keyGen).map { bucket, key in Op.delete(bucket: bucket, key: key) }),
        (3, zip(bucketGen, keyGen).map { bucket, key in Op.get(bucket: bucket, key: key) }),
        (1, zip(bucketGen, keyGen).map { bucket, key in Op.head(bucket: bucket, key: key) }),
        (3, listGen),
        (0.7, Gen.bool.map { Op.restart(keepOffline: $0) }),
        (1, Gen.int(in: 0...3).map { Op.driveOffline($0) }),
        (0.7, Gen.always(Op.driveOnline)),
        (0.3, Gen.always(Op.createBucket)),
        (0.3, Gen.always(Op.deleteBucket)))

    static let script = op.array(of: 1...40).map { Script(ops: $0) }

    /// Runs `script` on `subject` (reset first) and a new model, recording an issue at the first difference.
    static func run(_ script: Script, on subject: StoreUnderTest) async {
        do {
            try await subject.reset()
        } catch {
            Issue.record("could not reset the drives: \(error)")
            return
        }
        var model = Model()
        for (step, op) in script.ops.enumerated() {
            guard await check(op, step: "step \(step)", subject, &model) else { return }
            if case .restart = op, !(await checkEverything(subject, &model, after: "restart at step \(step)")) {
                return
            }
        }
        _ = await checkEverything(subject, &model, after: "the last step")
    }

    /// Applies `op` to both sides; false (and an issue) when they answer differently.
    static func check(_ op: Op, step: String, _ subject: StoreUnderTest, _ model: inout Model) async -> Bool {
        let condition = model.condition(for: op)
        let actual = await subject.apply(op, condition: condition)
        let expected = model.apply(op, condition: condition)
        guard actual == expected else {
            Issue.record("\(step), \(op): the object layer answered \(actual), the model \(expected)")
            return false
        }
        return true
    }

    /// Reads back the whole state: both buckets listed (flat and by "/", two entries a page),
    /// and every key of the alphabet read.
    static func checkEverything(_ subject: StoreUnderTest, _ model: inout Model, after: String) async -> Bool {
        for bucket in [bucket, spare] {
            let lists = [nil, "/"].map { Op.list(bucket: bucket, prefix: "", delimiter: $0, maxKeys: 2) }
            let reads = lists + keys.map { Op.get(bucket: bucket, key: $0) }
            for op in reads where !(await check(op, step: "state check after \(after)", subject, &model)) {
                return false
            }
        }
        return true
    }

    static func md5(_ bytes: [UInt8]) -> [UInt8] { Array(Insecure.MD5.hash(data: bytes)) }

    static func md5Hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(md5(bytes).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    /// A key or prefix in quotes, non-ASCII scalars spelled out (so "é" shows which form it is).
    static func show(_ text: String) -> String {
        "\"" + text.unicodeScalars.map { $0.isASCII ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined()
            + "\""
    }
}

// MARK: - Operations

extension ModelBased {
    /// The conditional-write header of a PUT, resolved against the model's state just before the write.
    enum ConditionSpec: Sendable, CustomStringConvertible {
        case none, ifNoneMatch, ifMatchAny, ifMatchCurrent, ifMatchStale

        var description: String {
            switch self {
            case .none: ""
            case .ifNoneMatch: " If-None-Match:*"
            case .ifMatchAny: " If-Match:*"
            case .ifMatchCurrent: " If-Match:current"
            case .ifMatchStale: " If-Match:stale"
            }
        }
    }

    enum Op: Sendable, CustomStringConvertible {
        /// Content is `pattern(size, seed:)`; `multipart` stores it as a one-part multipart upload.
        case put(bucket: String, key: String, size: Int, seed: Int, condition: ConditionSpec, multipart: Bool)
        case delete(bucket: String, key: String)
        case get(bucket: String, key: String)
        case head(bucket: String, key: String)
        /// Pages through the whole listing, `maxKeys` entries a page.
        case list(bucket: String, prefix: String, delimiter: String?, maxKeys: Int)
        /// Create or delete the second bucket (`ModelBased.spare`), possibly with a drive offline.
        case createBucket, deleteBucket
        /// Drop the store and reopen every drive from its folder; `keepOffline` keeps an offline drive offline.
        case restart(keepOffline: Bool)
        /// Take the drive at this position offline (bringing back the one that was, so at most one is).
        case driveOffline(Int)
        case driveOnline

        var description: String {
            switch self {
            case .put(let bucket, let key, let size, let seed, let condition, let multipart):
                (multipart ? "multipart " : "")
                    + "put \(bucket)/\(ModelBased.show(key)) \(size) B seed \(seed)\(condition)"
            case .delete(let bucket, let key): "delete \(bucket)/\(ModelBased.show(key))"
            case .get(let bucket, let key): "get \(bucket)/\(ModelBased.show(key))"
            case .head(let bucket, let key): "head \(bucket)/\(ModelBased.show(key))"
            case .list(let bucket, let prefix, let delimiter, let maxKeys):
                "list \(bucket) prefix \(ModelBased.show(prefix)) delimiter \(delimiter.map(ModelBased.show) ?? "none")"
                    + " max \(maxKeys)"
            case .createBucket: "create bucket \(ModelBased.spare)"
            case .deleteBucket: "delete bucket \(ModelBased.spare)"
            case .restart(let keepOffline): "restart\(keepOffline ? " (offline drive stays offline)" : "")"
            case .driveOffline(let position): "drive \(position) offline"
            case .driveOnline: "drive online"
            }
        }
    }

    /// One generated sequence, printed one step a line when a failure is reported.
    struct Script: Sendable, CustomTestStringConvertible {
        var ops: [Op]
        var testDescription: String {
            "\(ops.count) operations:\n"
                + ops.enumerated().map { "  \($0.offset): \($0.element)" }.joined(separator: "\n")
        }
    }
}

// MARK: - Outcomes

extension ModelBased {
    /// An object as an answer shows it; keys are UTF-8 bytes, since `String` equality would call the
    /// composed and decomposed spellings of "é" equal while S3 keeps them as two keys.
    struct ObjectSummary: Equatable, Sendable, CustomStringConvertible {
        var key: [UInt8]
        var etag: String
        var size: Int
        /// The bytes, for GET.
        var bytes: [UInt8]? = nil

        var description: String {
            let content = bytes.map { " content md5 \(ModelBased.md5Hex($0))" } ?? ""
            return "\(ModelBased.show(String(decoding: key, as: UTF8.self))) etag \(etag) size \(size)\(content)"
        }
    }

    struct ListPage: Equatable, Sendable, CustomStringConvertible {
        var objects: [ObjectSummary] = []
        var commonPrefixes: [[UInt8]] = []
        var isTruncated = false

        var description: String {
            let prefixes = commonPrefixes.map { ModelBased.show(String(decoding: $0, as: UTF8.self)) }
            return "{objects \(objects) prefixes \(prefixes)\(isTruncated ? " truncated" : "")}"
        }
    }

    /// What an operation answered, in a form both sides can produce and compare.
    enum Outcome: Equatable, Sendable, CustomStringConvertible {
        case ok
        case object(ObjectSummary)
        case listing([ListPage])
        case failed(ObjectLayerError.Code)
        case unexpected(String)

        var description: String {
            switch self {
            case .ok: "ok"
            case .object(let object): "object \(object)"
            case .listing(let pages): "\(pages.count) page(s) \(pages)"
            case .failed(let code): "error \(code.rawValue)"
            case .unexpected(let text): "unexpected \(text)"
            }
        }
    }
}

// MARK: - The reference model

extension ModelBased {
    /// One version of a key. Buckets are unversioned today: a key has at most one version, the
    /// "null" one, and a delete removes it without leaving a delete marker.
    ///
    /// Versioning extends this model rather than replacing it: `ModelBucket.Versioning` gains
    /// `enabled` and `suspended`; `put` then appends a version with a new ID (suspended: replaces
    /// the "null" one), `delete` appends a delete marker, `current` already skips delete markers,
    /// and new operations (GET/DELETE by version ID, ListObjectVersions) read `versions` directly.
    struct ModelVersion: Sendable {
        var versionID = "null"
        var isDeleteMarker = false
        var bytes: [UInt8] = []
        var etag = ""
    }

    struct ModelBucket: Sendable {
        enum Versioning: Sendable { case unversioned }

        var versioning = Versioning.unversioned
        /// Each key's versions, oldest first, by the key's UTF-8 bytes.
        var versions: [[UInt8]: [ModelVersion]] = [:]

        func current(_ key: [UInt8]) -> ModelVersion? {
            guard let newest = versions[key]?.last, !newest.isDeleteMarker else { return nil }
            return newest
        }

        mutating func put(_ key: [UInt8], _ version: ModelVersion) {
            switch versioning {
            case .unversioned: versions[key] = [version]
            }
        }

        mutating func delete(_ key: [UInt8]) {
            switch versioning {
            case .unversioned: versions[key] = nil
            }
        }

        /// Keys with a current version, in UTF-8 byte order (S3's listing order).
        var liveKeys: [[UInt8]] {
            versions.keys.filter { current($0) != nil }.sorted { $0.lexicographicallyPrecedes($1) }
        }
    }

    /// S3 semantics over dictionaries, with no IO, no quorum and no failure.
    struct Model {
        var buckets: [String: ModelBucket] = [ModelBased.bucket: ModelBucket()]

        /// The `WriteCondition` a PUT's header stands for, given the key's current version.
        func condition(for op: Op) -> WriteCondition? {
            guard case .put(let bucket, let key, _, _, let spec, _) = op else { return nil }
            switch spec {
            case .none: return nil
            case .ifNoneMatch: return .absent
            case .ifMatchAny: return .exists
            case .ifMatchCurrent:
                return .etag(buckets[bucket]?.current(Array(key.utf8))?.etag ?? ModelBased.md5Hex(Array("absent".utf8)))
            case .ifMatchStale: return .etag(ModelBased.md5Hex(Array("stale".utf8)))
            }
        }

        mutating func apply(_ op: Op, condition: WriteCondition?) -> Outcome {
            switch op {
            case .put(let bucket, let key, let size, let seed, _, let multipart):
                guard buckets[bucket] != nil else { return .failed(.noSuchBucket) }
                let keyBytes = Array(key.utf8)
                let current = buckets[bucket]!.current(keyBytes)
                switch condition {
                case nil: break
                case .absent: if current != nil { return .failed(.preconditionFailed) }
                case .exists: if current == nil { return .failed(.noSuchKey) }
                case .etag(let etag):
                    guard let current else { return .failed(.noSuchKey) }
                    if current.etag != etag { return .failed(.preconditionFailed) }
                }
                let bytes = pattern(size, seed: seed)
                // A multipart ETag is the MD5 of the parts' MD5s, then "-" and the part count.
                let etag = multipart ? ModelBased.md5Hex(ModelBased.md5(bytes)) + "-1" : ModelBased.md5Hex(bytes)
                buckets[bucket]!.put(keyBytes, ModelVersion(bytes: bytes, etag: etag))
                return .object(ObjectSummary(key: keyBytes, etag: etag, size: size))
            case .delete(let bucket, let key):
                guard buckets[bucket] != nil else { return .failed(.noSuchBucket) }
                buckets[bucket]!.delete(Array(key.utf8))
                return .ok
            case .get(let bucket, let key), .head(let bucket, let key):
                guard let contents = buckets[bucket] else { return .failed(.noSuchBucket) }
                let keyBytes = Array(key.utf8)
                guard let version = contents.current(keyBytes) else { return .failed(.noSuchKey) }
                var summary = ObjectSummary(key: keyBytes, etag: version.etag, size: version.bytes.count)
                if case .get = op { summary.bytes = version.bytes }
                return .object(summary)
            case .list(let bucket, let prefix, let delimiter, let maxKeys):
                guard let contents = buckets[bucket] else { return .failed(.noSuchBucket) }
                return .listing(
                    Self.list(
                        contents, prefix: Array(prefix.utf8), delimiter: delimiter.map { Array($0.utf8) },
                        maxKeys: maxKeys)
                )
            case .createBucket:
                if buckets[ModelBased.spare] != nil { return .failed(.bucketAlreadyOwnedByYou) }
                buckets[ModelBased.spare] = ModelBucket()
                return .ok
            case .deleteBucket:
                guard let contents = buckets[ModelBased.spare] else { return .failed(.noSuchBucket) }
                if !contents.liveKeys.isEmpty { return .failed(.bucketNotEmpty) }
                buckets[ModelBased.spare] = nil
                return .ok
            case .restart, .driveOffline, .driveOnline:
                return .ok
            }
        }

        /// Every page of a listing: keys under `prefix` in byte order, those with `delimiter` after
        /// the prefix rolled up into one common prefix each; a page holds `maxKeys` of either.
        static func list(_ bucket: ModelBucket, prefix: [UInt8], delimiter: [UInt8]?, maxKeys: Int) -> [ListPage] {
            enum Entry: Equatable {
                case object(ObjectSummary)
                case commonPrefix([UInt8])
            }
            var entries: [Entry] = []
            for key in bucket.liveKeys where key.starts(with: prefix) {
                if let delimiter, let rolled = rollUp(key, prefix: prefix, delimiter: delimiter) {
                    if entries.last != .commonPrefix(rolled) { entries.append(.commonPrefix(rolled)) }
                } else {
                    let version = bucket.current(key)!
                    entries.append(.object(ObjectSummary(key: key, etag: version.etag, size: version.bytes.count)))
                }
            }
            var pages: [ListPage] = []
            var start = 0
            repeat {
                let end = min(start + maxKeys, entries.count)
                var page = ListPage(isTruncated: end < entries.count)
                for entry in entries[start..<end] {
                    switch entry {
                    case .object(let object): page.objects.append(object)
                    case .commonPrefix(let rolled): page.commonPrefixes.append(rolled)
                    }
                }
                pages.append(page)
                start = end
            } while start < entries.count
            return pages
        }

        /// The key up to and including the first `delimiter` after `prefix`, if there is one.
        static func rollUp(_ key: [UInt8], prefix: [UInt8], delimiter: [UInt8]) -> [UInt8]? {
            var i = prefix.count
            while i + delimiter.count <= key.count {
                if Array(key[i..<(i + delimiter.count)]) == delimiter { return Array(key[..<(i + delimiter.count)]) }
                i += 1
            }
            return nil
        }
    }
}

// MARK: - The system under test

extension ModelBased {
    /// An object store over 4 real drives in temporary folders (2 data + 2 parity, 4 KiB blocks,
    /// inline up to 1000 bytes, as `ErasureFixture`) that can be restarted and lose a drive.
    final class StoreUnderTest {
        let dir = TemporaryDirectory()
        /// Nil only while restarting, so that the old store and drives are gone before the new open.
        var store: ObjectStore!
        var slots: [DriveSlot]
        /// The drive taken offline, kept to put it back.
        var offline: (position: Int, drive: any Drive)?

        var roots: [String] { (0..<4).map { "\(dir.path)/d\($0)" } }

        init() async throws {
            let path = dir.path
            (store, slots) = try await Self.open((0..<4).map { "\(path)/d\($0)" })
            try await store.createBucket(ModelBased.bucket, region: "us-east-1")
        }

        static func open(_ roots: [String]) async throws -> (ObjectStore, [DriveSlot]) {
            try await TestStores.store(
                roots: roots, pool: TestThreadPool.shared, blockSize: 4096, inlineThreshold: 1000)
        }

        func takeOffline(_ position: Int) {
            if let offline, offline.position != position { bringOnline() }
            guard offline == nil, let drive = slots[position].drive else { return }
            slots[position].setOffline(reason: "model-based test")
            offline = (position, drive)
        }

        func bringOnline() {
            guard let offline else { return }
            slots[offline.position].setOnline(offline.drive)
            self.offline = nil
        }

        /// Puts the drives back as new, so that every sequence starts from the model's empty state:
        /// all reopened and online, each holding the empty bucket `ModelBased.bucket` and nothing
        /// else (stale copies included), and no shard file left. Much faster than new folders.
        func reset() async throws {
            try await restart(keepOffline: false)
            for (position, slot) in slots.enumerated() {
                guard let drive = slot.drive else {
                    throw ObjectLayerError(.insufficientDrives, "drive \(position) did not open")
                }
                for bucket in try await drive.listBuckets() {
                    let uploads = try await drive.listUploads(
                        bucket: bucket.name, prefix: "", afterKey: nil, afterUploadID: nil, limit: 1000)
                    for upload in uploads { try await drive.abortUpload(uploadID: upload.uploadID) }
                    let records = try await drive.listObjects(
                        bucket: bucket.name, prefix: "", after: nil, inclusive: false, limit: 1000)
                    for record in records { _ = try await drive.deleteObject(bucket: bucket.name, key: record.key) }
                    if bucket.name != ModelBased.bucket { try await drive.deleteBucket(named: bucket.name) }
                }
                // Every shard belonged to an object or upload just removed: one left over is a leak.
                let leftovers = dir.files(in: "d\(position)/shards")
                if !leftovers.isEmpty {
                    throw ObjectLayerError(.corrupt, "drive \(position) kept shard files \(leftovers)")
                }
            }
        }

        /// Drops the store and every drive, then reopens them all from their folders.
        func restart(keepOffline: Bool) async throws {
            let position = offline?.position
            offline = nil
            store = nil
            slots = []
            (store, slots) = try await Self.open(roots)
            if keepOffline, let position { takeOffline(position) }
        }

        func apply(_ op: Op, condition: WriteCondition?) async -> Outcome {
            do {
                return try await perform(op, condition: condition)
            } catch let error as ObjectLayerError {
                return .failed(error.code)
            } catch {
                return .unexpected(String(describing: error))
            }
        }

        private func perform(_ op: Op, condition: WriteCondition?) async throws -> Outcome {
            switch op {
            case .put(let bucket, let key, let size, let seed, _, let multipart):
                let bytes = pattern(size, seed: seed)
                let record =
                    try await multipart
                    ? putMultipart(bucket: bucket, key: key, bytes: bytes, condition: condition)
                    : putObject(bucket: bucket, key: key, bytes: bytes, condition: condition)
                return .object(ObjectSummary(key: Array(record.key.utf8), etag: record.etag, size: Int(record.size)))
            case .delete(let bucket, let key):
                try await store.deleteObject(bucket: bucket, key: key)
                return .ok
            case .get(let bucket, let key), .head(let bucket, let key):
                let record = try await store.headObject(bucket: bucket, key: key)
                var summary = ObjectSummary(key: Array(record.key.utf8), etag: record.etag, size: Int(record.size))
                if case .get = op {
                    var bytes: [UInt8] = []
                    for try await buffer in store.objectBytes(record) { bytes += buffer.readableBytesView }
                    summary.bytes = bytes
                }
                return .object(summary)
            case .list(let bucket, let prefix, let delimiter, let maxKeys):
                var pages: [ListPage] = []
                var after: String? = nil
                while pages.count < 100 {
                    let page = try await store.listObjects(
                        bucket: bucket, prefix: prefix, delimiter: delimiter, after: after, maxKeys: maxKeys)
                    pages.append(
                        ListPage(
                            objects: page.objects.map {
                                ObjectSummary(key: Array($0.key.utf8), etag: $0.etag, size: Int($0.size))
                            },
                            commonPrefixes: page.commonPrefixes.map { Array($0.utf8) }, isTruncated: page.isTruncated))
                    guard page.isTruncated else { return .listing(pages) }
                    guard let last = page.lastEntry else { return .unexpected("a truncated page without a last entry") }
                    after = last
                }
                return .unexpected("listing did not end within 100 pages")
            case .createBucket, .deleteBucket:
                if case .createBucket = op {
                    try await store.createBucket(ModelBased.spare, region: "us-east-1")
                } else {
                    try await store.deleteBucket(ModelBased.spare)
                }
                return .ok
            case .restart(let keepOffline):
                try await restart(keepOffline: keepOffline)
                return .ok
            case .driveOffline(let position):
                takeOffline(position)
                return .ok
            case .driveOnline:
                bringOnline()
                return .ok
            }
        }

        private func putObject(bucket: String, key: String, bytes: [UInt8], condition: WriteCondition?) async throws
            -> ObjectRecord
        {
            var options = ObjectWriteOptions()
            options.condition = condition
            return try await store.putObject(
                bucket: bucket, key: key, body: Pieces(data: bytes, piece: 1500), size: Int64(bytes.count),
                options: options
            )
        }

        /// CreateMultipartUpload, one UploadPart and CompleteMultipartUpload (which checks the
        /// condition); a failed completion is aborted, as a client would.
        private func putMultipart(bucket: String, key: String, bytes: [UInt8], condition: WriteCondition?) async throws
            -> ObjectRecord
        {
            let upload = try await store.createMultipartUpload(
                bucket: bucket, key: key, options: ObjectWriteOptions(), checksumAlgorithm: nil)
            do {
                let part = try await store.uploadPart(
                    bucket: bucket, key: key, uploadID: upload.uploadID, partNumber: 1,
                    body: Pieces(data: bytes, piece: 1500),
                    size: Int64(bytes.count), options: ObjectWriteOptions())
                return try await store.completeMultipartUpload(
                    bucket: bucket, key: key, uploadID: upload.uploadID,
                    parts: [CompletedPart(number: 1, etag: part.etag)],
                    condition: condition
                ) { _, _ in [:] }
            } catch {
                try? await store.abortMultipartUpload(bucket: bucket, key: key, uploadID: upload.uploadID)
                throw error
            }
        }
    }
}
