package import StowageCore

/// Multipart uploads on a set: the upload and its parts are recorded on every drive (write
/// quorum), read by vote like object records.
extension ErasureSet {
    package func createUpload(_ upload: UploadRecord) async throws {
        let answers = await fanOut { try await $0.createUpload(upload) }
        do {
            _ = try requireQuorum(answers, metadataWriteQuorum, "create upload")
        } catch {
            for (position, answer) in answers.enumerated() {
                if case .success = answer { try? await slots[position].drive?.abortUpload(uploadID: upload.uploadID) }
            }
            throw error
        }
    }

    /// The upload as most drives have it, or nil.
    package func upload(id: String) async throws -> UploadRecord? {
        let answers = await fanOut { try await $0.upload(id: id) }
        try requireAnswers(answers, operation: "read upload")
        return Self.majority(answers.compactMap { $0.value })
    }

    /// Uploads of the bucket in (key, upload id) order after the marker, as most drives have them.
    package func listUploads(bucket: String, prefix: String, afterKey: String?, afterUploadID: String?, limit: Int)
        async throws -> [UploadRecord]
    {
        let answers = await fanOut {
            try await $0.listUploads(bucket: bucket, prefix: prefix, afterKey: afterKey, afterUploadID: afterUploadID, limit: limit)
        }
        try requireAnswers(answers, operation: "list uploads")
        let pages = answers.compactMap(\.value)
        if pages.count == 1 { return pages[0] }
        // Only as far as the shortest full page, so every upload returned was seen by every drive.
        var boundary: UploadRecord?
        for page in pages where page.count == limit {
            if let last = page.last, boundary == nil || Self.uploadPrecedes(last, boundary!) { boundary = last }
        }
        var count: [String: (upload: UploadRecord, drives: Int)] = [:]
        for page in pages {
            for upload in page {
                if let boundary, Self.uploadPrecedes(boundary, upload) { break }
                count[upload.uploadID, default: (upload, 0)].drives += 1
            }
        }
        return count.values.filter { $0.drives * 2 >= pages.count }.map(\.upload).sorted(by: Self.uploadPrecedes)
    }

    /// Records a part on every drive; the upload's write quorum must accept it.
    package func commitPart(_ part: PartRecord, layout: ErasureInfo) async throws {
        let answers = await fanOut { try await $0.commitPart(part) }
        _ = try requireQuorum(answers, layout.writeQuorum, "write part \(part.number)")
    }

    /// The parts of an upload, each as most drives have it.
    package func listParts(uploadID: String) async throws -> [PartRecord] {
        let answers = await fanOut { try await $0.listParts(uploadID: uploadID) }
        let pages = try requireQuorum(answers, metadataReadQuorum, "list parts").map(\.value)
        if pages.count == 1 { return pages[0] }
        var byNumber: [Int: [PartRecord]] = [:]
        for page in pages { for part in page { byNumber[part.number, default: []].append(part) } }
        return byNumber.keys.sorted().compactMap { number in
            let copies = byNumber[number]!
            guard copies.count * 2 >= pages.count else { return nil }
            return Self.majority(copies.map { Optional($0) })
        }
    }

    /// Makes the completed object current on every drive; returns the version it replaced.
    @discardableResult
    package func completeUpload(uploadID: String, object: ObjectRecord, fence: Int64? = nil) async throws
        -> ObjectRecord?
    {
        let answers = await fanOut { try await $0.completeUpload(uploadID: uploadID, object: object, fence: fence) }
        let successes = try requireQuorum(answers, object.layout.writeQuorum, "complete upload")
        noteMissed(successes, bucket: object.bucket, key: object.key)
        return successes.lazy.compactMap(\.value).first
    }

    package func abortUpload(uploadID: String) async throws {
        let answers = await fanOut { try await $0.abortUpload(uploadID: uploadID) }
        _ = try requireQuorum(answers, metadataWriteQuorum, "abort upload")
    }

    /// The value most answers agree on (nil answers count as votes for absence; a tie keeps a value).
    static func majority<T: Equatable>(_ values: [T?]) -> T? {
        var groups: [(value: T, count: Int)] = []
        var absent = 0
        for value in values {
            guard let value else { absent += 1; continue }
            if let index = groups.firstIndex(where: { $0.value == value }) { groups[index].count += 1 } else { groups.append((value, 1)) }
        }
        guard let best = groups.max(by: { $0.count < $1.count }), best.count >= absent else { return nil }
        return best.value
    }

    static func uploadPrecedes(_ a: UploadRecord, _ b: UploadRecord) -> Bool {
        if a.key != b.key { return RecordVote.precedes(a.key, b.key) }
        return a.uploadID < b.uploadID
    }
}
