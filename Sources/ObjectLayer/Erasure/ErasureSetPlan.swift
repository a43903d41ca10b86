/// How N drives form erasure sets, decided only from the drive count (and an explicit parity),
/// so every start and every node derives the same sets.
package struct ErasureSetPlan: Sendable, Equatable {
    package static let maxDrivesPerSet = 16

    package var setCount: Int
    package var drivesPerSet: Int
    /// Parity shards of STANDARD objects.
    package var parity: Int
    /// Parity shards of REDUCED_REDUNDANCY objects.
    package var reducedParity: Int

    package struct PlanError: Error, CustomStringConvertible {
        package var description: String
    }

    /// Up to 16 drives form one set; more are split into equal sets of the largest size ≤ 16 that
    /// divides the count. Parity defaults by set size (1 drive: 0; 2–3: 1; 4–5: 2; 6–7: 3; 8+: 4),
    /// and reduced redundancy uses 1 parity shard (0 on a single drive).
    package static func plan(driveCount: Int, parity: Int? = nil) throws -> ErasureSetPlan {
        guard driveCount >= 1 else { throw PlanError(description: "at least one drive is needed") }
        var perSet = driveCount
        if driveCount > maxDrivesPerSet {
            guard let size = (2...maxDrivesPerSet).reversed().first(where: { driveCount % $0 == 0 }) else {
                throw PlanError(
                    description: "\(driveCount) drives cannot form equal erasure sets of at most \(maxDrivesPerSet); use a count divisible by a number from 2 to 16")
            }
            perSet = size
        }
        let chosen = parity ?? defaultParity(setSize: perSet)
        guard chosen >= 0, chosen <= perSet / 2 else {
            throw PlanError(description: "parity \(chosen) is not possible with \(perSet) drives per set (0 to \(perSet / 2))")
        }
        return ErasureSetPlan(
            setCount: driveCount / perSet, drivesPerSet: perSet, parity: chosen, reducedParity: min(chosen, 1))
    }

    package static func defaultParity(setSize: Int) -> Int {
        switch setSize {
        case 1: 0
        case 2, 3: 1
        case 4, 5: 2
        case 6, 7: 3
        default: 4
        }
    }

    /// "1 set of 4 drives (2 data + 2 parity)".
    package var summary: String {
        let sets = setCount == 1 ? "1 set" : "\(setCount) sets"
        return "\(sets) of \(drivesPerSet) drive\(drivesPerSet == 1 ? "" : "s") (\(drivesPerSet - parity) data + \(parity) parity)"
    }
}
