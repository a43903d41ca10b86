/// A position in a bucket's version listing, which orders entries by key (UTF-8 bytes), then
/// newest version first (`ObjectRecord.isNewer`).
package struct VersionCursor: Sendable, Equatable {
    package enum Position: Sendable, Equatable {
        /// At the first version of `key` (inclusive).
        case atKey
        /// After every version of `key`.
        case afterKey
        /// After the version with this stamp and id of `key`.
        case afterVersion(stamp: Int64, versionID: String)
    }

    package var key: [UInt8]
    package var position: Position

    package init(key: [UInt8], position: Position) {
        self.key = key
        self.position = position
    }

    /// The cursor just after `record`.
    package init(after record: ObjectRecord) {
        self.init(key: Array(record.key.utf8), position: .afterVersion(stamp: record.versionStamp, versionID: record.versionID))
    }

    /// True when `record` comes after this position in listing order.
    package func admits(_ record: ObjectRecord) -> Bool {
        let bytes = Array(record.key.utf8)
        if bytes != key { return key.lexicographicallyPrecedes(bytes) }
        switch position {
        case .atKey: return true
        case .afterKey: return false
        case .afterVersion(let stamp, let versionID):
            return ObjectRecord.isNewer(stamp: stamp, versionID: versionID, than: record.versionStamp, record.versionID)
        }
    }

    /// Listing order of versions: by key bytes, then newest first.
    package static func precedes(_ a: ObjectRecord, _ b: ObjectRecord) -> Bool {
        if !a.key.utf8.elementsEqual(b.key.utf8) {
            return a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
        }
        return a.isNewer(than: b)
    }
}
