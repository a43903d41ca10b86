#if canImport(Glibc)
internal import Glibc
#endif

/// The wall clock a node reads: S3 dates and signature windows, internode signatures, Last-Modified,
/// version stamps on one node. Timeouts, leases and deadlines use monotonic clocks, never this.
/// In the deterministic simulation it is the simulated node's (`LayerEnvironment`).
///
/// `STOWAGE_TEST_CLOCK_OFFSET_SECONDS` (for tests only) sets it off by that many seconds, as on a host
/// whose clock drifted: the clock-skew test and the chaos runs start a node with it. Read once.
package enum WallClock {
    package static let offsetNanoseconds: Int64 = {
        guard let raw = getenv("STOWAGE_TEST_CLOCK_OFFSET_SECONDS"), let seconds = Double(String(cString: raw)),
            seconds.isFinite, abs(seconds) < 86_400 * 365
        else { return 0 }
        return Int64(seconds * 1_000_000_000)
    }()

    /// Nanoseconds since 1970.
    package static func nanoseconds() -> Int64 {
        if let simulated = LayerEnvironment.simulated { return simulated.wallNanoseconds }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) &* 1_000_000_000 &+ Int64(now.tv_nsec) &+ offsetNanoseconds
    }

    package static func milliseconds() -> Int64 { nanoseconds() / 1_000_000 }

    package static func seconds() -> Int64 { nanoseconds() / 1_000_000_000 }
}
