internal import Crypto
package import NIOCore
package import StowageCore

extension ObjectStore {
    /// The bytes of one upload, received and durable in staging on a write quorum of drives
    /// (or held inline when small).
    struct Ingested {
        var size: Int64
        var md5: [UInt8]
        var inline: [UInt8]?
        var writer: ErasureWriter?

        var md5Hex: String { Hex.string(md5) }

        /// Frees staged shards that will not be committed.
        func discard() async { await writer?.abort() }
    }

    /// Streams `body` into erasure-coded shards on `set` (or memory, when small), hashing as it
    /// goes. Throws `incompleteBody` when the byte count differs from `expectedSize`.
    func ingest<Body: AsyncSequence>(
        _ body: Body, expectedSize: Int64?, allowInline: Bool, set: ErasureSet, layout: ErasureInfo
    ) async throws -> Ingested where Body.Element == ByteBuffer {
        var md5 = Insecure.MD5()
        var size: Int64 = 0
        var inline: [UInt8]? = nil
        var writer: ErasureWriter? = nil
        let inlineFits = allowInline && (expectedSize ?? Int64.max) <= Int64(inlineThreshold)
        if inlineFits { inline = [] } else { writer = try await translate { try await ErasureWriter.create(set: set, layout: layout) } }
        do {
            for try await buffer in body {
                size += Int64(buffer.readableBytes)
                if let expectedSize, size > expectedSize {
                    throw ObjectLayerError(.incompleteBody, "more bytes than declared")
                }
                if size > maxObjectSize { throw ObjectLayerError(.entityTooLarge) }
                buffer.withUnsafeReadableBytes { md5.update(bufferPointer: $0) }
                if inline != nil {
                    if size <= Int64(inlineThreshold) {
                        buffer.withUnsafeReadableBytes { inline!.append(contentsOf: $0) }
                    } else {
                        // Larger than announced inline size: spill what we have into shards.
                        let spilled = try await translate { try await ErasureWriter.create(set: set, layout: layout) }
                        writer = spilled
                        try await translate { try await spilled.write(ByteBuffer(bytes: inline!)) }
                        inline = nil
                        try await translate { try await spilled.write(buffer) }
                    }
                } else {
                    try await translate { try await writer!.write(buffer) }
                }
            }
            if let expectedSize, size != expectedSize {
                throw ObjectLayerError(.incompleteBody, "received \(size) of \(expectedSize) bytes")
            }
            if let writer { try await translate { try await writer.finish() } }
        } catch {
            await writer?.abort()
            throw error
        }
        return Ingested(size: size, md5: Array(md5.finalize()), inline: inline, writer: writer)
    }

    /// Throws unless the key's current version satisfies `condition`: 412 PreconditionFailed, or
    /// NoSuchKey for `If-Match` on a missing key (as S3 answers).
    ///
    /// `early`: the check made before the body is read, without the key's lock. Its refusal is an
    /// answer the client sees, so it reads as a GET does (`settled`): a version fewer than a write
    /// quorum hold is read again under the lock, where no write of the key is half done. The
    /// simulation found a DELETE that had reached two drives of four, and was about to be rolled
    /// back, answered as "absent" to an `If-Match` through another node. At the commit the caller
    /// holds the lock, and the drives' answer is read as it is.
    ///
    /// `fence`: the lock's token, in a cluster. The drives raise the key's token to it as they
    /// answer, so a writer whose lock expired before this one was taken cannot commit between
    /// this check and the commit (the simulation found two `If-None-Match: *` creates both
    /// succeeding that way, seed 14555).
    func check(
        _ condition: WriteCondition?, set: ErasureSet, bucket: String, key: String, early: Bool = false,
        fence: Int64? = nil
    ) async throws {
        guard let condition else { return }
        let resolved: ResolvedRecord
        if early {
            resolved = try await settled(set, bucket: bucket, key: key) { try await set.readObject(bucket: bucket, key: key) }
        } else if let fence {
            resolved = try await translate { try await set.readObject(bucket: bucket, key: key, fence: fence) }
        } else {
            resolved = try await set.readObject(bucket: bucket, key: key)
        }
        // A delete marker on top means the key does not exist.
        let current = resolved.record.flatMap { $0.isDeleteMarker ? nil : $0 }
        switch condition {
        case .absent:
            if current != nil { throw ObjectLayerError(.preconditionFailed, "\(key) exists") }
        case .exists:
            if current == nil { throw ObjectLayerError(.noSuchKey, key) }
        case .etag(let etag):
            guard let current else { throw ObjectLayerError(.noSuchKey, key) }
            if current.etag != etag { throw ObjectLayerError(.preconditionFailed, "ETag is \(current.etag)") }
        }
    }

    /// Makes `record` the current version on its set under the key's lock, if `condition` still
    /// holds there (so of racing conditional writers exactly one wins); discards `ingested` on
    /// failure. The version id and stamp are assigned here, by `versioning` (the bucket's state);
    /// `write` stores the versioned record on the set (`commitObject` unless given: multipart
    /// completion passes its own). Returns the record as committed.
    ///
    /// `sharing` (a copy onto its own key that keeps the source's shards) is allowed only when,
    /// under the lock, the copy replaces exactly that source version: it is still the key's null
    /// version and the new version is null too. Otherwise `SharedShardsUnavailable` is thrown and
    /// the caller copies the bytes, because deleting one version frees the shards it names.
    func commit(
        _ record: ObjectRecord, set: ErasureSet, versioning: BucketVersioning?, discarding ingested: Ingested?,
        condition: WriteCondition? = nil, sharing source: ObjectRecord? = nil,
        write: ((ObjectRecord, KeyFence) async throws -> Void)? = nil
    ) async throws -> ObjectRecord {
        do {
            return try await coordination.withKeyLock(record.bucket + "/" + record.key, bucket: record.bucket) { fence in
                // In a cluster the bucket's record was read with the lock: its versioning now.
                let versioning = if let current = fence.bucket { current.versioning } else { versioning }
                if let source {
                    // Raised first, so the null version read is the one the copy replaces.
                    if let token = fence.token {
                        _ = try await translate { try await set.readObject(bucket: record.bucket, key: record.key, fence: token) }
                    }
                    let null = try await set.readVersion(bucket: record.bucket, key: record.key, versionID: "null").record
                    guard versioning != .enabled, let null, null.isSameVersion(as: source) else {
                        throw SharedShardsUnavailable()
                    }
                }
                try await check(condition, set: set, bucket: record.bucket, key: record.key, fence: fence.token)
                var versioned = record
                versioned.assignVersion(versioning, fence: fence)
                // Other nodes stop serving the key before it changes, and forget what they
                // read of it once the change is done (or abandoned).
                let told = await cachePeers?.beginWrite(bucket: record.bucket, key: record.key)
                // This node's cache neither serves nor caches the key while the commit runs (it
                // reaches a quorum, visible to other nodes' readers, before every drive answered).
                let local = inlineCache.beginLocalWrite(bucket: record.bucket, key: record.key)
                do {
                    try await translate {
                        if let write {
                            try await write(versioned, fence)
                        } else {
                            _ = try await set.commitObject(versioned, fence: fence.token)
                        }
                    }
                } catch {
                    // Some drives may have taken it before the write failed and was rolled back.
                    inlineCache.endWrite(bucket: record.bucket, key: record.key, tag: local)
                    if let told { await cachePeers?.endWrite(told) }
                    throw error
                }
                // A new small object is the key's current version from now on: cache it (write-
                // through); a read that raced this write cannot insert what it read, since the
                // generation moved.
                inlineCache.endWrite(bucket: record.bucket, key: record.key, tag: local)
                inlineCache.insert(versioned, bucketVersioned: versioning != nil, readAt: inlineCache.generation)
                if let told { await cachePeers?.endWrite(told) }
                // A drive dropped while the shards were written took the record without its
                // shard: repair it like a write that drive missed.
                if let writer = ingested?.writer, !writer.failures.isEmpty {
                    heal.enqueueMissed(bucket: record.bucket, key: record.key)
                }
                return versioned
            }
        } catch {
            // A write that may still take effect keeps its staged shards for healing to use
            // (drives drop staged shards that no record names by age).
            if (error as? ObjectLayerError)?.mayHaveTakenEffect != true { await ingested?.discard() }
            throw error
        }
    }

    /// PutObject: stores `body` as the new current version of `key`.
    package func putObject<Body: AsyncSequence>(
        bucket: String, key: String, body: Body, size: Int64?, options: ObjectWriteOptions
    ) async throws -> ObjectRecord where Body.Element == ByteBuffer {
        let (set, layout) = newLayout(bucket: bucket, key: key, storageClass: options.storageClass)
        // Checked again, with the versioning that decides the version id, when the lock is taken.
        let versioning = try await requireBucket(bucket, writingTo: set, recent: true).versioning
        // Fail early when the condition already fails; it is checked again at the commit.
        try await check(options.condition, set: set, bucket: bucket, key: key, early: true)
        try await requireSpace(size ?? 0, in: set, layout: layout)
        let ingested = try await ingest(body, expectedSize: size, allowInline: true, set: set, layout: layout)
        var record: ObjectRecord
        do {
            if let expected = options.expectedMD5, expected != ingested.md5 {
                throw ObjectLayerError(.badDigest, "Content-MD5 mismatch")
            }
            let checksums = try options.finalizeChecksums()
            record = ObjectRecord(
                bucket: bucket, key: key, size: ingested.size, etag: ingested.md5Hex,
                lastModified: Self.nowMilliseconds(), systemMetadata: options.systemMetadata,
                userMetadata: options.userMetadata, checksums: checksums,
                checksumType: checksums.isEmpty ? nil : (options.checksumType ?? "FULL_OBJECT"),
                storageClass: options.storageClass, erasure: layout
            )
        } catch {
            await ingested.discard()
            throw error
        }
        if let inline = ingested.inline {
            record.inlineData = inline
        } else if let writer = ingested.writer {
            record.parts = [PartLayout(number: 1, size: ingested.size, etag: ingested.md5Hex, shardID: writer.shardID)]
        }
        return try await commit(
            record, set: set, versioning: versioning, discarding: ingested, condition: options.condition)
    }

    /// CopyObject: copies the source's bytes (or, for a copy that replaces the source version
    /// itself, only its metadata). `metadata` replaces the source's metadata when given
    /// (REPLACE directive).
    package func copyObject(
        source: ObjectRecord, toBucket bucket: String, key: String, replacing metadata: ObjectWriteOptions?
    ) async throws -> ObjectRecord {
        // The copy's key has one set whatever its storage class.
        let versioning = try await requireBucket(bucket, writingTo: sets.set(bucket: bucket, key: key)).versioning
        var record = source
        record.bucket = bucket
        record.key = key
        record.uploadID = nil
        record.lastModified = Self.nowMilliseconds()
        if let metadata {
            record.systemMetadata = metadata.systemMetadata
            record.userMetadata = metadata.userMetadata
            record.storageClass = metadata.storageClass
        }
        if source.bucket == bucket && source.key == key && source.versionID == "null" {
            // The copy may replace the source version itself (both "null"): then the shards stay
            // where they are and only the record changes; otherwise the bytes are copied below.
            do {
                return try await commit(
                    record, set: sets.set(bucket: bucket, key: key), versioning: versioning, discarding: nil, sharing: source)
            } catch is SharedShardsUnavailable {}
        }
        let (set, layout) = newLayout(bucket: bucket, key: key, storageClass: record.storageClass)
        record.erasure = layout
        try await requireSpace(source.size, in: set, layout: layout)
        guard source.inlineData == nil else {
            return try await commit(record, set: set, versioning: versioning, discarding: nil)
        }
        let stream = ObjectByteStream(store: self, record: source, range: nil)
        let ingested = try await ingest(stream, expectedSize: source.size, allowInline: false, set: set, layout: layout)
        guard let writer = ingested.writer else { throw ObjectLayerError(.invalidRequest, "copy produced no shard") }
        // The copy is stored as one part, so its ETag is the MD5 of the bytes (as S3 does
        // for a CopyObject of a multipart object); a composite checksum no longer applies.
        record.etag = ingested.md5Hex
        if record.checksumType == "COMPOSITE" {
            record.checksums = [:]
            record.checksumType = nil
        }
        record.parts = [PartLayout(number: 1, size: ingested.size, etag: ingested.md5Hex, shardID: writer.shardID)]
        return try await commit(record, set: set, versioning: versioning, discarding: ingested)
    }
}

/// A copy onto its own key could not keep the source's shards (see `ObjectStore.commit`).
struct SharedShardsUnavailable: Error {}
