internal import Crypto
package import NIOCore
package import StowageCore

/// A part as named in a CompleteMultipartUpload request.
package struct CompletedPart: Sendable, Equatable {
    package var number: Int
    /// Without quotes.
    package var etag: String

    package init(number: Int, etag: String) {
        self.number = number
        self.etag = etag
    }
}

/// One page of ListParts.
package struct ListPartsPage: Sendable {
    package var upload: UploadRecord
    package var parts: [PartRecord]
    package var isTruncated: Bool
}

extension ObjectStore {
    package func createMultipartUpload(
        bucket: String, key: String, options: ObjectWriteOptions, checksumAlgorithm: String?
    ) async throws -> UploadRecord {
        let (set, layout) = newLayout(bucket: bucket, key: key, storageClass: options.storageClass)
        try await requireBucket(bucket, writingTo: set)
        try await requireSpace(0, in: set, layout: layout)
        let upload = UploadRecord(
            uploadID: ShardID.random().value, bucket: bucket, key: key, initiated: Self.nowMilliseconds(),
            systemMetadata: options.systemMetadata, userMetadata: options.userMetadata,
            checksumAlgorithm: checksumAlgorithm, checksumType: options.checksumType, storageClass: options.storageClass,
            erasure: layout
        )
        try await translate { try await set.createUpload(upload) }
        return upload
    }

    /// The upload, checked to belong to `bucket`/`key`.
    package func upload(bucket: String, key: String, uploadID: String) async throws -> UploadRecord {
        let set = sets.set(bucket: bucket, key: key)
        guard let upload = try await set.upload(id: uploadID), upload.bucket == bucket, upload.key == key else {
            try await requireBucket(bucket)
            throw ObjectLayerError(.noSuchUpload, uploadID)
        }
        return upload
    }

    package func uploadPart<Body: AsyncSequence>(
        bucket: String, key: String, uploadID: String, partNumber: Int, body: Body, size: Int64?,
        options: ObjectWriteOptions
    ) async throws -> PartRecord where Body.Element == ByteBuffer {
        let upload = try await upload(bucket: bucket, key: key, uploadID: uploadID)
        if let size, size > maxPartSize { throw ObjectLayerError(.entityTooLarge) }
        let set = sets.set(bucket: bucket, key: key)
        try await requireSpace(size ?? 0, in: set, layout: upload.layout)
        let ingested = try await ingest(body, expectedSize: size, allowInline: false, set: set, layout: upload.layout)
        do {
            if let expected = options.expectedMD5, expected != ingested.md5 {
                throw ObjectLayerError(.badDigest, "Content-MD5 mismatch")
            }
            let checksums = try options.finalizeChecksums()
            guard let writer = ingested.writer else { throw ObjectLayerError(.invalidRequest, "part produced no shard") }
            let part = PartRecord(
                uploadID: uploadID, number: partNumber, size: ingested.size, etag: ingested.md5Hex,
                lastModified: Self.nowMilliseconds(), shardID: writer.shardID, checksums: checksums
            )
            try await translate { try await set.commitPart(part, layout: upload.layout) }
            return part
        } catch {
            await ingested.discard()
            throw error
        }
    }

    package func listParts(bucket: String, key: String, uploadID: String, after: Int, maxParts: Int) async throws
        -> ListPartsPage
    {
        let upload = try await upload(bucket: bucket, key: key, uploadID: uploadID)
        let set = sets.set(bucket: bucket, key: key)
        let all = try await translate { try await set.listParts(uploadID: uploadID) }.filter { $0.number > after }
        return ListPartsPage(upload: upload, parts: Array(all.prefix(maxParts)), isTruncated: all.count > maxParts)
    }

    package func listMultipartUploads(
        bucket: String, prefix: String, afterKey: String?, afterUploadID: String?, maxUploads: Int
    ) async throws -> (uploads: [UploadRecord], isTruncated: Bool) {
        try await requireBucket(bucket)
        let uploads = try await translate {
            try await sets.listUploads(
                bucket: bucket, prefix: prefix, afterKey: afterKey, afterUploadID: afterUploadID, limit: maxUploads + 1)
        }
        return (Array(uploads.prefix(maxUploads)), uploads.count > maxUploads)
    }

    package func abortMultipartUpload(bucket: String, key: String, uploadID: String) async throws {
        _ = try await upload(bucket: bucket, key: key, uploadID: uploadID)
        let set = sets.set(bucket: bucket, key: key)
        try await translate { try await set.abortUpload(uploadID: uploadID) }
    }

    /// CompleteMultipartUpload: checks the part list (order, existence, ETags, sizes) and makes
    /// the object current in one atomic step. `checksums` computes the stored checksums from the
    /// chosen parts (or throws to reject).
    package func completeMultipartUpload(
        bucket: String, key: String, uploadID: String, parts requested: [CompletedPart],
        condition: WriteCondition? = nil, checksums: @Sendable (UploadRecord, [PartRecord]) throws -> [String: String]
    ) async throws -> ObjectRecord {
        let upload: UploadRecord
        do {
            upload = try await self.upload(bucket: bucket, key: key, uploadID: uploadID)
        } catch let error as ObjectLayerError where error.code == .noSuchUpload {
            // Sent again after it succeeded (an SDK retrying a lost answer): AWS answers with the
            // same result, so a client does not report a failure for an object that exists.
            if let done = try? await headObject(bucket: bucket, key: key), done.uploadID == uploadID,
                done.parts.map({ CompletedPart(number: $0.number, etag: $0.etag) }) == requested
            {
                return done
            }
            throw error
        }
        try await check(condition, set: sets.set(bucket: bucket, key: key), bucket: bucket, key: key, early: true)
        guard !requested.isEmpty else { throw ObjectLayerError(.invalidRequest, "You must specify at least one part") }
        for (a, b) in zip(requested, requested.dropFirst()) where b.number <= a.number {
            throw ObjectLayerError(.invalidPartOrder)
        }
        let set = sets.set(bucket: bucket, key: key)
        let stored = try await translate { try await set.listParts(uploadID: uploadID) }
        let byNumber = Dictionary(stored.map { ($0.number, $0) }, uniquingKeysWith: { a, _ in a })
        var chosen: [PartRecord] = []
        for part in requested {
            guard let found = byNumber[part.number], found.etag == part.etag else {
                throw ObjectLayerError(.invalidPart, "part \(part.number)")
            }
            chosen.append(found)
        }
        for part in chosen.dropLast() where part.size < minPartSize {
            throw ObjectLayerError(.entityTooSmall, "part \(part.number) has \(part.size) bytes")
        }
        var md5s: [UInt8] = []
        for part in chosen {
            // Part ETags are the hex MD5s this store computed, so they always decode.
            guard let md5 = Hex.bytes(part.etag) else { throw ObjectLayerError(.invalidPart, "part \(part.number)") }
            md5s += md5
        }
        let etag = Hex.string(Insecure.MD5.hash(data: md5s)) + "-\(chosen.count)"
        let stored_checksums = try checksums(upload, chosen)
        let record = ObjectRecord(
            bucket: bucket, key: key, size: chosen.reduce(0) { $0 + $1.size }, etag: etag,
            lastModified: Self.nowMilliseconds(), systemMetadata: upload.systemMetadata,
            userMetadata: upload.userMetadata, checksums: stored_checksums,
            checksumType: stored_checksums.isEmpty ? nil : (upload.checksumType ?? "COMPOSITE"),
            storageClass: upload.storageClass,
            parts: chosen.map { PartLayout(number: $0.number, size: $0.size, etag: $0.etag, shardID: $0.shardID, checksums: $0.checksums) },
            erasure: upload.erasure, uploadID: uploadID
        )
        let versioning = try await requireBucket(bucket, writingTo: set).versioning
        // A failed condition keeps the upload, so the client may retry without it.
        return try await commit(record, set: set, versioning: versioning, discarding: nil, condition: condition) { versioned, fence in
            _ = try await set.completeUpload(uploadID: uploadID, object: versioned, fence: fence.token)
        }
    }
}
