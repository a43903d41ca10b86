import ObjectLayer
import StowageCore

// MARK: - The reference model

extension ModelBased {
    /// One version of a key: an object or a delete marker.
    struct ModelVersion: Sendable {
        var versionID = "null"
        var isDeleteMarker = false
        var bytes: [UInt8] = []
        var etag = ""
    }

    /// A bucket as S3 documents it: each key a stack of versions, newest last.
    /// - Never versioned: a key has at most the "null" version; DELETE removes it.
    /// - Enabled: PUT adds a version with a new id; DELETE adds a delete marker with a new id.
    /// - Suspended: PUT and DELETE replace the "null" version (wherever it is in the stack) with
    ///   a new newest one, an object or a delete marker; other versions stay.
    /// DELETE of a version id removes exactly that version; the newest left is current.
    struct ModelBucket: Sendable {
        enum Versioning: Sendable { case unversioned, enabled, suspended }

        var versioning = Versioning.unversioned
        /// Each key's versions, oldest first, by the key's UTF-8 bytes.
        var versions: [[UInt8]: [ModelVersion]] = [:]
        /// Every id the store has handed out in this bucket: an id is never reused.
        var usedIDs: Set<String> = []

        func current(_ key: [UInt8]) -> ModelVersion? {
            guard let newest = versions[key]?.last, !newest.isDeleteMarker else { return nil }
            return newest
        }

        /// Adds `version` as the newest; outside Enabled it replaces the null version.
        mutating func add(_ key: [UInt8], _ version: ModelVersion) {
            var stack = versions[key] ?? []
            if version.versionID == "null" { stack.removeAll { $0.versionID == "null" } }
            stack.append(version)
            versions[key] = stack
        }

        mutating func remove(_ key: [UInt8], versionID: String) -> ModelVersion? {
            guard var stack = versions[key], let index = stack.firstIndex(where: { $0.versionID == versionID }) else {
                return nil
            }
            let removed = stack.remove(at: index)
            versions[key] = stack.isEmpty ? nil : stack
            return removed
        }

        /// The id a new version gets: the store's, when versioning is enabled and it is a fresh
        /// well-formed id; "null" otherwise. A wrong id from the store becomes a marker that
        /// makes the answers differ.
        mutating func newID(_ offered: String?) -> String {
            guard versioning == .enabled else { return "null" }
            guard let offered, offered != "null", VersionClock.isWellFormed(offered), !usedIDs.contains(offered) else {
                return "<bad or reused version id \(offered ?? "none")>"
            }
            usedIDs.insert(offered)
            return offered
        }

        /// Keys with a current version, in UTF-8 byte order (S3's listing order).
        var liveKeys: [[UInt8]] {
            versions.keys.filter { current($0) != nil }.sorted { $0.lexicographicallyPrecedes($1) }
        }

        /// Keys with any version, in UTF-8 byte order.
        var allKeys: [[UInt8]] {
            versions.keys.sorted { $0.lexicographicallyPrecedes($1) }
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

        /// The version id a by-version operation names: the key's `pick`-th version, newest
        /// first; past the end, "null" when the key has no null version, else an id never used.
        func versionID(for op: Op) -> String? {
            let bucket: String
            let key: String
            let pick: Int
            switch op {
            case .getVersion(let b, let k, let p), .deleteVersion(let b, let k, let p): (bucket, key, pick) = (b, k, p)
            default: return nil
            }
            let stack = buckets[bucket]?.versions[Array(key.utf8)] ?? []
            if pick < stack.count { return stack[stack.count - 1 - pick].versionID }
            if !stack.contains(where: { $0.versionID == "null" }) { return "null" }
            return "0000000000000000ffffffffffffffff"
        }

        mutating func apply(_ op: Op, condition: WriteCondition?, versionID: String?, newVersionID: String?) -> Outcome {
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
                let id = buckets[bucket]!.newID(newVersionID)
                buckets[bucket]!.add(keyBytes, ModelVersion(versionID: id, bytes: bytes, etag: etag))
                return .object(ObjectSummary(key: keyBytes, etag: etag, size: size, versionID: id))
            case .delete(let bucket, let key):
                guard buckets[bucket] != nil else { return .failed(.noSuchBucket) }
                let keyBytes = Array(key.utf8)
                if buckets[bucket]!.versioning == .unversioned {
                    _ = buckets[bucket]!.remove(keyBytes, versionID: "null")
                    return .deleted(versionID: nil, deleteMarker: false)
                }
                let id = buckets[bucket]!.newID(newVersionID)
                buckets[bucket]!.add(keyBytes, ModelVersion(versionID: id, isDeleteMarker: true))
                return .deleted(versionID: id, deleteMarker: true)
            case .get(let bucket, let key), .head(let bucket, let key):
                guard let contents = buckets[bucket] else { return .failed(.noSuchBucket) }
                let keyBytes = Array(key.utf8)
                guard let version = contents.current(keyBytes) else { return .failed(.noSuchKey) }
                return .object(Self.summary(keyBytes, version, withBytes: { if case .get = op { true } else { false } }()))
            case .getVersion(let bucket, let key, _):
                guard let contents = buckets[bucket] else { return .failed(.noSuchBucket) }
                let keyBytes = Array(key.utf8)
                guard let version = contents.versions[keyBytes]?.first(where: { $0.versionID == versionID }) else {
                    return .failed(.noSuchVersion)
                }
                if version.isDeleteMarker { return .failed(.deleteMarkerVersion) }
                return .object(Self.summary(keyBytes, version, withBytes: true))
            case .deleteVersion(let bucket, let key, _):
                guard buckets[bucket] != nil, let versionID else { return .failed(.noSuchBucket) }
                let removed = buckets[bucket]!.remove(Array(key.utf8), versionID: versionID)
                return .deleted(versionID: versionID, deleteMarker: removed?.isDeleteMarker ?? false)
            case .setVersioning(let bucket, let enabled):
                guard buckets[bucket] != nil else { return .failed(.noSuchBucket) }
                buckets[bucket]!.versioning = enabled ? .enabled : .suspended
                return .ok
            case .list(let bucket, let prefix, let delimiter, let maxKeys):
                guard let contents = buckets[bucket] else { return .failed(.noSuchBucket) }
                return .listing(
                    Self.list(
                        contents, prefix: Array(prefix.utf8), delimiter: delimiter.map { Array($0.utf8) },
                        maxKeys: maxKeys)
                )
            case .listVersions(let bucket, let prefix, let delimiter, let maxKeys):
                guard let contents = buckets[bucket] else { return .failed(.noSuchBucket) }
                return .versions(
                    Self.listVersions(
                        contents, prefix: Array(prefix.utf8), delimiter: delimiter.map { Array($0.utf8) },
                        maxKeys: maxKeys))
            case .createBucket:
                if buckets[ModelBased.spare] != nil { return .failed(.bucketAlreadyOwnedByYou) }
                buckets[ModelBased.spare] = ModelBucket()
                return .ok
            case .deleteBucket:
                guard let contents = buckets[ModelBased.spare] else { return .failed(.noSuchBucket) }
                // Noncurrent versions and delete markers keep a bucket from being deleted too.
                if !contents.versions.isEmpty { return .failed(.bucketNotEmpty) }
                buckets[ModelBased.spare] = nil
                return .ok
            case .restart, .driveOffline, .driveOnline:
                return .ok
            }
        }

        static func summary(_ key: [UInt8], _ version: ModelVersion, withBytes: Bool) -> ObjectSummary {
            ObjectSummary(
                key: key, etag: version.etag, size: version.bytes.count, versionID: version.versionID,
                bytes: withBytes ? version.bytes : nil)
        }

        /// Cuts `entries` (objects or versions, and common prefixes) into pages of `maxKeys`.
        static func paginate<Entry>(_ entries: [Entry], maxKeys: Int) -> [(entries: ArraySlice<Entry>, truncated: Bool)] {
            var pages: [(entries: ArraySlice<Entry>, truncated: Bool)] = []
            var start = 0
            repeat {
                let end = min(start + maxKeys, entries.count)
                pages.append((entries[start..<end], end < entries.count))
                start = end
            } while start < entries.count
            return pages
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
            return paginate(entries, maxKeys: maxKeys).map { slice in
                var page = ListPage(isTruncated: slice.truncated)
                for entry in slice.entries {
                    switch entry {
                    case .object(let object): page.objects.append(object)
                    case .commonPrefix(let rolled): page.commonPrefixes.append(rolled)
                    }
                }
                return page
            }
        }

        /// Every page of ListObjectVersions: keys in byte order, each key's versions newest first
        /// (the first one latest), rolled up by `delimiter` as in `list`.
        static func listVersions(_ bucket: ModelBucket, prefix: [UInt8], delimiter: [UInt8]?, maxKeys: Int) -> [VersionPage] {
            enum Entry: Equatable {
                case version(VersionSummary)
                case commonPrefix([UInt8])
            }
            var entries: [Entry] = []
            for key in bucket.allKeys where key.starts(with: prefix) {
                if let delimiter, let rolled = rollUp(key, prefix: prefix, delimiter: delimiter) {
                    if entries.last != .commonPrefix(rolled) { entries.append(.commonPrefix(rolled)) }
                    continue
                }
                for (index, version) in bucket.versions[key]!.reversed().enumerated() {
                    entries.append(
                        .version(
                            VersionSummary(
                                key: key, versionID: version.versionID, isLatest: index == 0,
                                isDeleteMarker: version.isDeleteMarker, etag: version.etag, size: version.bytes.count)))
                }
            }
            return paginate(entries, maxKeys: maxKeys).map { slice in
                var page = VersionPage(isTruncated: slice.truncated)
                for entry in slice.entries {
                    switch entry {
                    case .version(let version): page.entries.append(version)
                    case .commonPrefix(let rolled): page.commonPrefixes.append(rolled)
                    }
                }
                return page
            }
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
