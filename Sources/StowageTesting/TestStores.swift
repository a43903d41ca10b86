package import NIOPosix
package import ObjectLayer
package import Storage
package import StowageCore

/// Real drives in temporary folders and object stores over them, for tests.
package enum TestStores {
    /// Opens the drive in `root`, formatting it (as `position` of a one-set deployment) when new.
    package static func openDrive(
        root: String, pool: NIOThreadPool, position: Int = 0, drivesPerSet: Int = 1, reserveBytes: Int64 = 0
    ) async throws -> LocalDrive {
        var identity = DriveIdentity(
            deploymentID: "test-deployment", driveID: "drive-\(position)", setIndex: 0, position: position, setCount: 1,
            drivesPerSet: drivesPerSet)
        if case .formatted(let existing)? = try? DriveFormatFile.inspect(root: root) {
            identity = existing
        } else {
            try DriveFormatFile.write(root: root, identity: identity)
        }
        return try await LocalDrive.open(root: root, identity: identity, pool: pool, reserveBytes: reserveBytes)
    }

    /// One erasure set over `roots` (one drive each) with the given parity and block size;
    /// `wrap` puts something between the store and each drive (a `FaultyDrive`).
    package static func store(
        roots: [String], pool: NIOThreadPool, parity: Int? = nil, blockSize: Int = 1 << 20, inlineThreshold: Int = 64 << 10,
        wrap: (LocalDrive) -> any Drive = { $0 }
    ) async throws -> (store: ObjectStore, slots: [DriveSlot]) {
        var slots: [DriveSlot] = []
        for (position, root) in roots.enumerated() {
            let drive = try await openDrive(root: root, pool: pool, position: position, drivesPerSet: roots.count)
            slots.append(DriveSlot(setIndex: 0, position: position, location: root, state: .online(wrap(drive))))
        }
        let plan = try ErasureSetPlan.plan(driveCount: roots.count, parity: parity)
        let set = ErasureSet(index: 0, slots: slots, parity: plan.parity, reducedParity: plan.reducedParity, blockSize: blockSize)
        let store = ObjectStore(sets: ErasureSets(deploymentID: "test-deployment", sets: [set]), inlineThreshold: inlineThreshold)
        return (store, slots)
    }
}
