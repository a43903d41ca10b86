internal import NIOCore

/// What the deterministic simulation decides for the code it runs: virtual monotonic and wall time,
/// sleeps that end when virtual time reaches them, and random bits from the run's seed.
package protocol SimulatedEnvironment: Sendable {
    var nanoseconds: Int64 { get }
    /// The wall clock (nanoseconds since 1970) of the node the task runs on.
    var wallNanoseconds: Int64 { get }
    func sleep(nanoseconds: Int64) async
    func randomBits() -> UInt64
    /// Starts `body` as a new task in the simulation.
    func spawn(_ body: @escaping @Sendable () async -> Void)
}

/// The storage and coordination layers' monotonic time, pauses, background tasks and randomness
/// (version and shard ids): the real clock, `Task`, and the system's generator, unless the task runs in the simulation (`simulated` set
/// for it and every task it starts), so that a run replays exactly from its seed.
package enum LayerEnvironment {
    @TaskLocal package static var simulated: (any SimulatedEnvironment)?

    /// Monotonic nanoseconds.
    package static func now() -> Int64 {
        if let simulated { return simulated.nanoseconds }
        return Int64(NIODeadline.now().uptimeNanoseconds)
    }

    /// `Task.sleep(for:)`, on the virtual clock in the simulation.
    package static func sleep(for duration: Duration) async throws {
        guard let simulated else { return try await Task.sleep(for: duration) }
        await simulated.sleep(nanoseconds: nanoseconds(duration))
        try Task.checkCancellation()
    }

    /// `Task { body }`: a task of its own (which the simulation runs, in the simulation).
    package static func spawn(_ body: @escaping @Sendable () async -> Void) {
        if let simulated {
            simulated.spawn(body)
        } else {
            Task { await body() }
        }
    }

    /// 64 random bits.
    package static func randomBits() -> UInt64 {
        if let simulated { return simulated.randomBits() }
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }

    package static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }
}
