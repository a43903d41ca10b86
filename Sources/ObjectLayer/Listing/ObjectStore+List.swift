package import StowageCore

/// One page of a ListObjects (V1 or V2) answer.
package struct ListObjectsPage: Sendable {
    package var objects: [ObjectRecord] = []
    package var commonPrefixes: [String] = []
    package var isTruncated = false
    /// The last key or common prefix in the page: where the next page starts after.
    package var lastEntry: String?
}

extension ObjectStore {
    /// Lists keys in UTF-8 binary order after `after`, rolling keys that contain `delimiter`
    /// past `prefix` into common prefixes. Each common prefix is skipped over in the index with
    /// one seek, so a page costs about `maxKeys` index entries, whatever the bucket holds.
    package func listObjects(
        bucket: String, prefix: String, delimiter: String?, after: String?, maxKeys: Int
    ) async throws -> ListObjectsPage {
        try await requireBucket(bucket)
        var page = ListObjectsPage()
        guard maxKeys > 0 else { return page }
        let prefixBytes = Array(prefix.utf8)
        let delimiterBytes = delimiter.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        var cursor: [UInt8]? = after.map { Array($0.utf8) }
        var inclusive = false
        // A marker inside a rolled-up prefix continues after that whole prefix.
        if let delimiterBytes, let marker = cursor, let rolled = Self.commonPrefix(of: marker, prefix: prefixBytes, delimiter: delimiterBytes) {
            if let bound = KeyOrder.upperBound(ofPrefix: rolled) { cursor = bound; inclusive = true }
        }
        var count = 0
        // Records fetched per index read: a whole page while keys come one by one, but only a few
        // right after a common prefix (the next keys are likely to roll up too), growing again as
        // plain keys follow. Without this, a page of 1,000 common prefixes read ~1,000 records each.
        var batch = 1000
        scanning: while count < maxKeys {
            let limit = min(batch, maxKeys - count + 1)
            let records = try await translate {
                try await sets.listObjects(bucket: bucket, prefix: prefix, after: cursor, inclusive: inclusive, limit: limit)
            }
            if records.isEmpty { break }
            for record in records {
                let keyBytes = Array(record.key.utf8)
                if let delimiterBytes, let rolled = Self.commonPrefix(of: keyBytes, prefix: prefixBytes, delimiter: delimiterBytes) {
                    let text = String(decoding: rolled, as: UTF8.self)
                    page.commonPrefixes.append(text)
                    page.lastEntry = text
                    count += 1
                    guard let bound = KeyOrder.upperBound(ofPrefix: rolled) else { break scanning }
                    cursor = bound
                    inclusive = true
                    batch = 2
                    continue scanning
                }
                page.objects.append(record)
                page.lastEntry = record.key
                count += 1
                cursor = keyBytes
                inclusive = false
                if count == maxKeys { break scanning }
            }
            if records.count < limit { break }
            batch = min(batch * 4, 1000)
        }
        if count == maxKeys {
            let more = try await translate {
                try await sets.listObjects(bucket: bucket, prefix: prefix, after: cursor, inclusive: inclusive, limit: 1)
            }
            page.isTruncated = !more.isEmpty
        }
        return page
    }

    /// `prefix` plus the remainder of `key` up to and including the first delimiter after it.
    static func commonPrefix(of key: [UInt8], prefix: [UInt8], delimiter: [UInt8]) -> [UInt8]? {
        guard key.count >= prefix.count, key[0..<prefix.count].elementsEqual(prefix) else { return nil }
        var i = prefix.count
        while i + delimiter.count <= key.count {
            if key[i..<(i + delimiter.count)].elementsEqual(delimiter) {
                return Array(key[0..<(i + delimiter.count)])
            }
            i += 1
        }
        return nil
    }
}
