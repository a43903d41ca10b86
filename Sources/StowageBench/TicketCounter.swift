import Synchronization

/// Hands out consecutive numbers (0, 1, 2, …) to concurrent connections: which request, key or
/// batch comes next. One atomic increment per call; no lock, no actor.
final class TicketCounter: Sendable {
    private let next = Atomic<Int>(0)

    init() {}

    /// The next number; every call returns a different one.
    func take() -> Int {
        next.wrappingAdd(1, ordering: .relaxed).oldValue
    }
}
