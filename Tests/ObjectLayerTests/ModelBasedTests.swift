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
// (`@Test(.fixedSeed("…"))`) and lists the shrunk operations step by step. Versioning is part
// of the state: buckets are switched between Enabled and Suspended, and versions are read,
// deleted and listed by id. Version ids are the store's: the model takes each new id from the
// store's answer and checks it (fresh and unique when versioning is enabled, "null" otherwise).

@Suite("Model-based: the object layer against a reference model")
struct ModelBasedTests {
    @Test(
        "Random sequences of S3 operations, restarts and a lost drive answer as the reference model does",
        .shrinking)
    func objectLayerMatchesModel() async throws {
        // One set of drive folders for every sequence (and every shrinking step), reset in between.
        let subject = try await ModelBased.StoreUnderTest()
        defer { subject.dir.remove() }
        await propertyCheck(count: 120, input: ModelBased.script) { script in
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
    /// Most operations touch the first three keys, so that keys gather several versions.
    static let keyGen = Gen<String>.frequency(
        (3, Gen.int(in: 0...2).map { keys[$0] }), (2, Gen.int(in: 0...(keys.count - 1)).map { keys[$0] }))
    /// Which version of a key an operation names: an index into its versions, newest first;
    /// past the end names a version that does not exist.
    static let pickGen = Gen<Int>.frequency((3, Gen.int(in: 0...1)), (1, Gen.int(in: 0...4)))

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

    static let listVersionsGen = zip(
        bucketGen, Gen.int(in: 0...(prefixes.count - 1)), Gen.int(in: 0...(delimiters.count - 1)), Gen.int(in: 1...5)
    ).map { bucket, prefix, delimiter, maxKeys in
        Op.listVersions(bucket: bucket, prefix: prefixes[prefix], delimiter: delimiters[delimiter], maxKeys: maxKeys)
    }

    /// One operation, by weight; each part shrinks towards the first entry of its list.
    static let op = Gen<Op>.frequency(
        (10, putGen),
        (2, zip(bucketGen, keyGen).map { bucket, key in Op.delete(bucket: bucket, key: key) }),
        (3, zip(bucketGen, keyGen).map { bucket, key in Op.get(bucket: bucket, key: key) }),
        (1, zip(bucketGen, keyGen).map { bucket, key in Op.head(bucket: bucket, key: key) }),
        (3, listGen),
        (2, zip(bucketGen, Gen.bool(0.7)).map { bucket, enabled in Op.setVersioning(bucket: bucket, enabled: enabled) }),
        (2, zip(bucketGen, keyGen, pickGen).map { bucket, key, pick in Op.getVersion(bucket: bucket, key: key, pick: pick) }),
        (2.5, zip(bucketGen, keyGen, pickGen).map { bucket, key, pick in Op.deleteVersion(bucket: bucket, key: key, pick: pick) }),
        (2, listVersionsGen),
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
        let versionID = model.versionID(for: op)
        let actual = await subject.apply(op, condition: condition, versionID: versionID)
        let expected = model.apply(op, condition: condition, versionID: versionID, newVersionID: actual.newVersionID)
        guard actual == expected else {
            Issue.record("\(step), \(op): the object layer answered \(actual), the model \(expected)")
            return false
        }
        return true
    }

    /// Reads back the whole state: both buckets listed (flat and by "/", two entries a page),
    /// their versions listed, and every key of the alphabet read.
    static func checkEverything(_ subject: StoreUnderTest, _ model: inout Model, after: String) async -> Bool {
        for bucket in [bucket, spare] {
            let lists = [nil, "/"].map { Op.list(bucket: bucket, prefix: "", delimiter: $0, maxKeys: 2) }
                + [nil, "/"].map { Op.listVersions(bucket: bucket, prefix: "", delimiter: $0, maxKeys: 3) }
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
        /// PutBucketVersioning: Enabled, or Suspended.
        case setVersioning(bucket: String, enabled: Bool)
        /// GET / DELETE of the version `pick` (see `ModelBased.pickGen`).
        case getVersion(bucket: String, key: String, pick: Int)
        case deleteVersion(bucket: String, key: String, pick: Int)
        /// Pages through ListObjectVersions, `maxKeys` entries a page.
        case listVersions(bucket: String, prefix: String, delimiter: String?, maxKeys: Int)
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
            case .setVersioning(let bucket, let enabled): "versioning \(bucket) \(enabled ? "Enabled" : "Suspended")"
            case .getVersion(let bucket, let key, let pick): "get \(bucket)/\(ModelBased.show(key)) version #\(pick)"
            case .deleteVersion(let bucket, let key, let pick): "delete \(bucket)/\(ModelBased.show(key)) version #\(pick)"
            case .listVersions(let bucket, let prefix, let delimiter, let maxKeys):
                "list versions \(bucket) prefix \(ModelBased.show(prefix)) delimiter \(delimiter.map(ModelBased.show) ?? "none")"
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
        /// The version id, for PUT, GET and HEAD (nil in listings).
        var versionID: String? = nil
        /// The bytes, for GET.
        var bytes: [UInt8]? = nil

        var description: String {
            let content = bytes.map { " content md5 \(ModelBased.md5Hex($0))" } ?? ""
            let version = versionID.map { " version \($0)" } ?? ""
            return "\(ModelBased.show(String(decoding: key, as: UTF8.self))) etag \(etag) size \(size)\(version)\(content)"
        }
    }

    /// One entry of ListObjectVersions.
    struct VersionSummary: Equatable, Sendable, CustomStringConvertible {
        var key: [UInt8]
        var versionID: String
        var isLatest: Bool
        var isDeleteMarker: Bool
        var etag: String
        var size: Int

        var description: String {
            let what = isDeleteMarker ? "marker" : "etag \(etag) size \(size)"
            return "\(ModelBased.show(String(decoding: key, as: UTF8.self))) \(versionID)\(isLatest ? " latest" : "") \(what)"
        }
    }

    struct VersionPage: Equatable, Sendable, CustomStringConvertible {
        var entries: [VersionSummary] = []
        var commonPrefixes: [[UInt8]] = []
        var isTruncated = false

        var description: String {
            let prefixes = commonPrefixes.map { ModelBased.show(String(decoding: $0, as: UTF8.self)) }
            return "{versions \(entries) prefixes \(prefixes)\(isTruncated ? " truncated" : "")}"
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
        /// DeleteObject: the version id it reports (removed or created marker) and whether a
        /// delete marker was involved.
        case deleted(versionID: String?, deleteMarker: Bool)
        case listing([ListPage])
        case versions([VersionPage])
        case failed(ObjectLayerError.Code)
        case unexpected(String)

        /// The id of the version this answer says was created, for the model to adopt.
        var newVersionID: String? {
            switch self {
            case .object(let object): object.versionID
            case .deleted(let versionID, _): versionID
            default: nil
            }
        }

        var description: String {
            switch self {
            case .ok: "ok"
            case .object(let object): "object \(object)"
            case .deleted(let versionID, let marker): "deleted \(versionID ?? "-")\(marker ? " (delete marker)" : "")"
            case .listing(let pages): "\(pages.count) page(s) \(pages)"
            case .versions(let pages): "\(pages.count) version page(s) \(pages)"
            case .failed(let code): "error \(code.rawValue)"
            case .unexpected(let text): "unexpected \(text)"
            }
        }
    }
}

