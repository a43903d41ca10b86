/// A drive reached over a channel it shares with other drives (the drives of one peer node),
/// so that one message can carry the same change for all of them. An erasure set commits a
/// small object with one round trip per node instead of one per drive (decision 0015).
package protocol GroupedDrive: Drive {
    /// Drives with equal channels are reached over the same channel and can share a message.
    var channel: String { get }
    /// Applies `change` to every drive of `group` (each with this drive's `channel`) with one
    /// message. One answer per drive, in `group`'s order, each what that drive's own call would
    /// have answered; a failure of the channel fails every drive of the group.
    func apply(_ change: GroupedChange, on group: [any GroupedDrive]) async -> [Result<ObjectRecord?, any Error>]
}

/// A change that several drives of an erasure set take at once, the same on each.
package enum GroupedChange: Sendable {
    /// `Drive.commitObject`.
    case commitObject(ObjectRecord, fence: Int64?)
    /// `Drive.deleteVersion`.
    case deleteVersion(bucket: String, key: String, versionID: String, fence: Int64?)

    /// The change on one drive, by its own call.
    package func apply(to drive: any Drive) async throws -> ObjectRecord? {
        switch self {
        case .commitObject(let record, let fence):
            try await drive.commitObject(record, fence: fence)
        case .deleteVersion(let bucket, let key, let versionID, let fence):
            try await drive.deleteVersion(bucket: bucket, key: key, versionID: versionID, fence: fence)
        }
    }
}
