#if canImport(Glibc)
internal import Glibc
#endif
package import StowageCore
internal import Synchronization

/// Version stamps and version ids.
///
/// A stamp orders the versions of a key: nanoseconds since 1970 of the wall clock, made strictly
/// increasing within the process (a write never gets a stamp at or below an earlier one's). Ids
/// are the stamp in 16 hex digits followed by 64 random bits in 16 more, so an id names its
/// stamp (a listing can resume after a version id without looking it up) and two writes never
/// share one.
package enum VersionClock {
    private static let last = Atomic<Int64>(0)

    /// A stamp greater than every stamp this process handed out before.
    package static func nextStamp() -> Int64 {
        let wall = WallClock.nanoseconds()
        var previous = last.load(ordering: .relaxed)
        while true {
            let next = max(wall, previous &+ 1)
            let (exchanged, original) = last.compareExchange(expected: previous, desired: next, ordering: .relaxed)
            if exchanged { return next }
            previous = original
        }
    }

    package static func newVersionID(stamp: Int64) -> String {
        Hex.fixedWidth(UInt64(bitPattern: stamp)) + Hex.fixedWidth(LayerEnvironment.randomBits())
    }

    /// True for "null" and for ids this store hands out (32 lowercase hex digits).
    package static func isWellFormed(_ id: String) -> Bool {
        if id == "null" { return true }
        return id.utf8.count == 32 && id.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// The stamp an id carries; nil for "null" and ids not made here.
    package static func stamp(of id: String) -> Int64? {
        guard id != "null", isWellFormed(id) else { return nil }
        return UInt64(id.prefix(16), radix: 16).map { Int64(bitPattern: $0) }
    }
}

extension ObjectRecord {
    /// Gives the record a new stamp (from the lock it is written under) and the id the bucket's
    /// versioning state calls for: a fresh id when versioning is enabled, "null" otherwise
    /// (replacing the key's null version).
    package mutating func assignVersion(_ versioning: BucketVersioning?, fence: KeyFence = .local) {
        versionStamp = fence.versionStamp()
        versionID = versioning == .enabled ? VersionClock.newVersionID(stamp: versionStamp) : "null"
    }
}
