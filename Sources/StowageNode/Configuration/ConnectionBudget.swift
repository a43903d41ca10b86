#if canImport(Glibc)
internal import Glibc
#endif

/// How many client connections a node accepts, derived from the process's file-descriptor limit.
///
/// Every connection is a descriptor, and so is every shard file, staging file and metadata
/// database a request opens: a flood of idle connections must not use them all (drives then
/// fail to open files). `raiseSoftLimit()` lifts the soft limit to the hard one at start; the
/// budget keeps `reservedForDrives` descriptors back, and of the rest half for connections and
/// half for the files their requests open, up to `defaultCeiling` connections: an idle
/// connection costs about 15 KB of memory (8,000 of them added 123 MB of RSS), and hard limits
/// of a million descriptors are common.
package struct ConnectionBudget: Sendable, Equatable {
    /// The soft RLIMIT_NOFILE in force.
    package let descriptorLimit: Int
    /// Descriptors never given to connections: 256, plus 32 per drive (its metadata database,
    /// journal and probes, with room to spare).
    package let reservedForDrives: Int

    package init(descriptorLimit: Int, driveCount: Int) {
        self.descriptorLimit = descriptorLimit
        self.reservedForDrives = 256 + 32 * driveCount
    }

    /// The most connections the default allows, whatever the descriptor limit.
    package static let defaultCeiling = 4096

    /// The default `--max-connections`: half of what the reserve leaves, at least 32, at most
    /// `defaultCeiling`.
    package var defaultMaxConnections: Int {
        min(Self.defaultCeiling, max(32, (descriptorLimit - reservedForDrives) / 2))
    }

    /// The most connections that leave the reserve whole, for a warning about a larger setting.
    package var connectionsBeforeReserve: Int { max(0, descriptorLimit - reservedForDrives) }

    /// Raises the soft RLIMIT_NOFILE to the hard limit and returns the soft limit in force
    /// afterwards (unchanged when raising fails, as it may not in a restricted container).
    package static func raiseSoftLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        // RLIM_INFINITY reads as a huge number; no server needs more than this.
        return Int(min(limit.rlim_cur, 1 << 24))
    }
}
