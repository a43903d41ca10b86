import Logging
import NIOCore
import ObjectLayer
import StowageCore
import StowageTesting
import Testing

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
        /// Drives back online that may have missed writes while offline (not healed since).
        var stale: Set<Int> = []

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

        /// Takes the drive at `position` offline, bringing back the one that was. Two drives that
        /// missed writes and a third offline are more faults than 2 parity drives cover: a key
        /// can then be on no two reachable drives alike, and the store rightly answers
        /// insufficientDrives where the model knows the answer. So once two drives are back
        /// stale, the store heals (as the missed-write journal and the scanner do in a node)
        /// before another drive goes offline; one stale drive and one offline stay covered.
        func takeOffline(_ position: Int) async throws {
            if let offline, offline.position != position { bringOnline() }
            guard offline == nil, let drive = slots[position].drive else { return }
            if stale.subtracting([position]).count >= 2 {
                let report = try await Healer(store: store, logger: Logger(label: "model-based")) { _ in
                    .offline(reason: "model-based test")
                }.heal(bucket: nil, prefix: "")
                guard report.failures.isEmpty else {
                    throw ObjectLayerError(.insufficientDrives, "heal failed: \(report.failures)")
                }
                stale = []
            }
            slots[position].setOffline(reason: "model-based test")
            offline = (position, drive)
        }

        func bringOnline() {
            guard let offline else { return }
            slots[offline.position].setOnline(offline.drive)
            stale.insert(offline.position)
            self.offline = nil
        }

        /// Puts the drives back as new, so that every sequence starts from the model's empty state:
        /// all reopened and online, each holding the empty bucket `ModelBased.bucket` and nothing
        /// else (stale copies included), and no shard file left. Much faster than new folders.
        func reset() async throws {
            try await restart(keepOffline: false)
            stale = []
            for (position, slot) in slots.enumerated() {
                guard let drive = slot.drive else {
                    throw ObjectLayerError(.insufficientDrives, "drive \(position) did not open")
                }
                for bucket in try await drive.listBuckets() {
                    let uploads = try await drive.listUploads(
                        bucket: bucket.name, prefix: "", afterKey: nil, afterUploadID: nil, limit: 1000)
                    for upload in uploads { try await drive.abortUpload(uploadID: upload.uploadID) }
                    let records = try await drive.listVersions(bucket: bucket.name, prefix: "", after: nil, limit: 10_000)
                    for record in records {
                        _ = try await drive.deleteVersion(bucket: bucket.name, key: record.key, versionID: record.versionID)
                    }
                    if bucket.name != ModelBased.bucket {
                        try await drive.deleteBucket(named: bucket.name)
                    } else if bucket.versioning != nil {
                        try await drive.updateBucket(BucketRecord(name: bucket.name, created: bucket.created, region: bucket.region))
                    }
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
            if keepOffline, let position { try await takeOffline(position) }
        }

        func apply(_ op: Op, condition: WriteCondition?, versionID: String?) async -> Outcome {
            do {
                return try await perform(op, condition: condition, versionID: versionID)
            } catch let error as ObjectLayerError {
                return .failed(error.code)
            } catch {
                return .unexpected(String(describing: error))
            }
        }

        private func perform(_ op: Op, condition: WriteCondition?, versionID: String?) async throws -> Outcome {
            switch op {
            case .put(let bucket, let key, let size, let seed, _, let multipart):
                let bytes = pattern(size, seed: seed)
                let record =
                    try await multipart
                    ? putMultipart(bucket: bucket, key: key, bytes: bytes, condition: condition)
                    : putObject(bucket: bucket, key: key, bytes: bytes, condition: condition)
                return .object(
                    ObjectSummary(
                        key: Array(record.key.utf8), etag: record.etag, size: Int(record.size), versionID: record.versionID))
            case .delete(let bucket, let key), .deleteVersion(let bucket, let key, _):
                let outcome = try await store.deleteObject(bucket: bucket, key: key, versionID: versionID)
                return .deleted(versionID: outcome.versionID, deleteMarker: outcome.deleteMarker)
            case .setVersioning(let bucket, let enabled):
                try await store.setBucketVersioning(bucket, enabled ? .enabled : .suspended)
                return .ok
            case .get(let bucket, let key), .head(let bucket, let key), .getVersion(let bucket, let key, _):
                let record = try await store.headObject(bucket: bucket, key: key, versionID: versionID)
                var summary = ObjectSummary(
                    key: Array(record.key.utf8), etag: record.etag, size: Int(record.size), versionID: record.versionID)
                if case .head = op {} else {
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
            case .listVersions(let bucket, let prefix, let delimiter, let maxKeys):
                var pages: [VersionPage] = []
                var marker: (key: String, versionID: String?)? = nil
                while pages.count < 100 {
                    let page = try await store.listObjectVersions(
                        bucket: bucket, prefix: prefix, delimiter: delimiter, keyMarker: marker?.key,
                        versionIDMarker: marker?.versionID, maxKeys: maxKeys)
                    pages.append(
                        VersionPage(
                            entries: page.entries.map {
                                VersionSummary(
                                    key: Array($0.record.key.utf8), versionID: $0.record.versionID, isLatest: $0.isLatest,
                                    isDeleteMarker: $0.record.isDeleteMarker, etag: $0.record.etag, size: Int($0.record.size))
                            },
                            commonPrefixes: page.commonPrefixes.map { Array($0.utf8) }, isTruncated: page.isTruncated))
                    guard page.isTruncated else { return .versions(pages) }
                    guard let key = page.nextKeyMarker else { return .unexpected("a truncated page without a next key marker") }
                    marker = (key, page.nextVersionIDMarker)
                }
                return .unexpected("version listing did not end within 100 pages")
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
                try await takeOffline(position)
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
