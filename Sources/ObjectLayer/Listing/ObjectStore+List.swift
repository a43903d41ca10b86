internal import Synchronization
package import StowageCore

/// One page of a ListObjects (V1 or V2) answer.
package struct ListObjectsPage: Sendable {
    package var objects: [ObjectRecord] = []
    package var commonPrefixes: [String] = []
    package var isTruncated = false
    /// The last key or common prefix in the page: where the next page starts after.
    package var lastEntry: String?
}

/// What one scan of a listing found: records and common prefixes, in order.
struct ListingScan {
    var records: [ObjectRecord] = []
    var commonPrefixes: [String] = []
    var isTruncated = false
    /// The last record or common prefix taken: where the next page starts after.
    var last: Last?

    enum Last {
        case record(ObjectRecord)
        case commonPrefix(String)
    }
}

extension ObjectStore {
    /// Lists keys in UTF-8 binary order after `after`, rolling keys that contain `delimiter`
    /// past `prefix` into common prefixes. Each common prefix is skipped over in the index with
    /// one seek, so a page costs about `maxKeys` index entries, whatever the bucket holds.
    package func listObjects(
        bucket: String, prefix: String, delimiter: String?, after: String?, maxKeys: Int
    ) async throws -> ListObjectsPage {
        _ = try await recentBucket(bucket)
        let start = after.map {
            Self.rolledUpStart(marker: Array($0.utf8), prefix: prefix, delimiter: delimiter)
                ?? VersionCursor(key: Array($0.utf8), position: .afterKey)
        }
        let scan = try await settledScan(bucket: bucket) {
            try await scanListing(
                prefix: prefix, delimiter: delimiter, maxKeys: maxKeys, from: start,
                cursorAfter: { VersionCursor(key: Array($0.key.utf8), position: .afterKey) }
            ) { cursor, limit in
                try await sets.listObjects(
                    bucket: bucket, prefix: prefix, after: cursor?.key, inclusive: cursor?.position == .atKey, limit: limit)
            }
        }
        var page = ListObjectsPage(objects: scan.records, commonPrefixes: scan.commonPrefixes, isTruncated: scan.isTruncated)
        switch scan.last {
        case .record(let record): page.lastEntry = record.key
        case .commonPrefix(let text): page.lastEntry = text
        case nil: break
        }
        return page
    }

    /// Where a listing continues when its marker lies inside a rolled-up common prefix: after
    /// that whole prefix. Nil when the marker rolls up into nothing.
    static func rolledUpStart(marker: [UInt8], prefix: String, delimiter: String?) -> VersionCursor? {
        guard let delimiter, !delimiter.isEmpty,
            let rolled = commonPrefix(of: marker, prefix: Array(prefix.utf8), delimiter: Array(delimiter.utf8)),
            let bound = KeyOrder.upperBound(ofPrefix: rolled)
        else { return nil }
        return VersionCursor(key: bound, position: .atKey)
    }

    /// Runs a listing `scan`; when some key's entry was held by fewer drives than a write quorum
    /// (`UnsettledKeys`), waits for the writers of such keys that hold their locks now, then
    /// lists once more. A write half done (on its way to the drives, or failed and being rolled
    /// back) is otherwise listed and then gone: the simulation found a version listed during its
    /// write's rollback. Single-key reads do the same (`settled`). At most `settleLimit` keys a
    /// page wait: with drives away every entry is held by fewer, and a page must stay cheap.
    func settledScan(bucket: String, _ scan: () async throws -> ListingScan) async throws -> ListingScan {
        let unsettled = UnsettledKeys()
        let first = try await UnsettledKeys.$current.withValue(unsettled) { try await scan() }
        let keys = unsettled.keys
        guard !keys.isEmpty else { return first }
        for key in keys.prefix(Self.settleLimit) {
            try await translate { try await coordination.withKeyLock(bucket + "/" + key) { _ in } }
        }
        return try await scan()
    }

    static let settleLimit = 16

    /// The shared walk of ListObjects and ListObjectVersions: up to `maxKeys` records and common
    /// prefixes from `start` on, as `fetch` returns them in order (`fetch(cursor, limit)` reads
    /// the records after `cursor`). `cursorAfter` says where the scan continues after a record.
    func scanListing(
        prefix: String, delimiter: String?, maxKeys: Int, from start: VersionCursor?,
        cursorAfter: (ObjectRecord) -> VersionCursor,
        fetch: (VersionCursor?, Int) async throws -> [ObjectRecord]
    ) async throws -> ListingScan {
        var scan = ListingScan()
        guard maxKeys > 0 else { return scan }
        let prefixBytes = Array(prefix.utf8)
        let delimiterBytes = delimiter.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        var cursor = start
        var count = 0
        // Records fetched per index read: a whole page while keys come one by one, but only a few
        // right after a common prefix (the next keys are likely to roll up too), growing again as
        // plain keys follow. Without this, a page of 1,000 common prefixes read ~1,000 records each.
        var batch = 1000
        scanning: while count < maxKeys {
            let limit = min(batch, maxKeys - count + 1)
            let records = try await translate { try await fetch(cursor, limit) }
            if records.isEmpty { break }
            for record in records {
                let keyBytes = Array(record.key.utf8)
                if let delimiterBytes, let rolled = Self.commonPrefix(of: keyBytes, prefix: prefixBytes, delimiter: delimiterBytes) {
                    let text = String(decoding: rolled, as: UTF8.self)
                    scan.commonPrefixes.append(text)
                    scan.last = .commonPrefix(text)
                    count += 1
                    guard let bound = KeyOrder.upperBound(ofPrefix: rolled) else { break scanning }
                    cursor = VersionCursor(key: bound, position: .atKey)
                    batch = 2
                    continue scanning
                }
                scan.records.append(record)
                scan.last = .record(record)
                count += 1
                cursor = cursorAfter(record)
                if count == maxKeys { break scanning }
            }
            if records.count < limit { break }
            batch = min(batch * 4, 1000)
        }
        if count == maxKeys {
            scan.isTruncated = try await !translate { try await fetch(cursor, 1) }.isEmpty
        }
        return scan
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

/// Keys a listing resolved from fewer drives than a write quorum (set for the listing's task by
/// `settledScan`, noted by `ErasureSet`'s listings).
final class UnsettledKeys: Sendable {
    @TaskLocal static var current: UnsettledKeys?

    private let noted = Mutex<[String]>([])

    func note(_ key: String) {
        noted.withLock { if $0.count < 64, !$0.contains(key) { $0.append(key) } }
    }

    var keys: [String] { noted.withLock { $0 } }
}
