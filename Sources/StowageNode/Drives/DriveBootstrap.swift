package import Logging
internal import NIOCore
internal import NIOPosix
package import ObjectLayer
internal import Storage
package import StowageCore

/// Turns the configured folders into erasure sets: reads every drive's format record, formats
/// new and replaced (empty) drives, refuses drives that are in the wrong slot, and takes foreign,
/// unreadable or corrupt drives offline with the reason. Also reconnects a slot later (for the
/// drive monitor), adopting an empty folder put in place of a lost drive.
struct DriveBootstrap: Sendable {
    let paths: [String]
    let plan: ErasureSetPlan
    let pool: NIOThreadPool
    let reserveBytes: Int64?
    /// Deadline of every call to a local drive (`DriveThreads`).
    let callDeadline: TimeAmount?
    let logger: Logger
    /// The threads each local drive's calls run on (`pool` serves the rest: formatting, inspecting).
    let drivePools: DrivePools

    init(
        paths: [String], plan: ErasureSetPlan, pool: NIOThreadPool, reserveBytes: Int64?, callDeadline: TimeAmount?,
        logger: Logger
    ) {
        self.paths = paths
        self.plan = plan
        self.pool = pool
        self.reserveBytes = reserveBytes
        self.callDeadline = callDeadline
        self.logger = logger
        self.drivePools = DrivePools(driveCount: paths.count)
    }

    struct StartupError: Error, CustomStringConvertible {
        var description: String
    }

    /// The deployment id and one slot per path, in argument order.
    ///
    /// A drive whose folder cannot be looked at is offline with the reason; when none can be,
    /// or the process is out of file descriptors or memory, the node refuses to start rather
    /// than decide about a deployment it cannot see.
    func start() async throws -> (deploymentID: String, slots: [DriveSlot]) {
        let inspected = paths.map { path in Result { () throws(DriveError) in try DriveFormatFile.inspect(root: path) } }
        let failures = inspected.compactMap { if case .failure(let error) = $0 { error } else { nil } }
        if failures.count == paths.count || failures.contains(where: { $0.code == .resourcesExhausted }) {
            throw StartupError(
                description: "cannot look at the drives: " + failures.map(\.description).joined(separator: "; "))
        }
        let states = inspected.compactMap { try? $0.get() }
        let deploymentID = try chooseDeployment(states)
        try refuseMisplacedDrives(inspected, deploymentID: deploymentID)
        // A brand-new deployment only when every drive was seen, and none is formatted.
        let fresh = failures.isEmpty && states.allSatisfy { if case .formatted = $0 { false } else { true } }
        var slots: [DriveSlot] = []
        for (index, path) in paths.enumerated() {
            let slot = DriveSlot(
                setIndex: index / plan.drivesPerSet, position: index % plan.drivesPerSet, location: path,
                state: .offline(reason: "not opened yet"))
            let connection: DriveConnection
            switch inspected[index] {
            case .success(let state):
                connection = await connect(slot, deploymentID: deploymentID, state: state, freshDeployment: fresh)
            case .failure(let error):
                connection = .offline(reason: "cannot inspect the folder: \(error)")
            }
            switch connection {
            case .online(let drive, let isFresh):
                slot.setOnline(drive)
                if isFresh && !fresh { logger.notice("empty drive adopted; it will be healed", metadata: ["drive": "\(slot.label)"]) }
            case .offline(let reason):
                slot.setOffline(reason: reason)
                logger.error("drive offline", metadata: ["drive": "\(slot.label)", "reason": "\(reason)"])
            }
            slots.append(slot)
        }
        return (deploymentID, slots)
    }

    /// The deployment most formatted drives belong to, or a new one (adopting a version 1 folder's id).
    /// `states`: of the drives that could be inspected.
    private func chooseDeployment(_ states: [DriveFormatState]) throws -> String {
        var votes: [String: Int] = [:]
        for state in states {
            if case .formatted(let identity) = state { votes[identity.deploymentID, default: 0] += 1 }
        }
        if let (id, _) = votes.max(by: { $0.value < $1.value }) {
            let sample = states.lazy.compactMap { state -> DriveIdentity? in
                if case .formatted(let identity) = state, identity.deploymentID == id { return identity }
                return nil
            }.first!
            guard sample.setCount == plan.setCount, sample.drivesPerSet == plan.drivesPerSet else {
                throw StartupError(
                    description: "the drives were formatted as \(sample.setCount) set(s) of \(sample.drivesPerSet) drives, "
                        + "but \(paths.count) drives were given (\(plan.setCount) set(s) of \(plan.drivesPerSet)); start with the same drives as before")
            }
            return id
        }
        if paths.count == 1, states.count == 1, case .legacy(let driveID) = states[0] { return driveID }
        return ShardID.random().value
    }

    /// Drives of this deployment in another slot mean the command line changed order: refuse to
    /// start rather than read the wrong shards, and say where each drive belongs.
    private func refuseMisplacedDrives(_ states: [Result<DriveFormatState, DriveError>], deploymentID: String) throws {
        var problems: [String] = []
        for (index, state) in states.enumerated() {
            guard case .success(.formatted(let identity)) = state, identity.deploymentID == deploymentID else { continue }
            let expectedSet = index / plan.drivesPerSet
            let expectedPosition = index % plan.drivesPerSet
            if identity.setIndex != expectedSet || identity.position != expectedPosition {
                let belongs = identity.setIndex * plan.drivesPerSet + identity.position + 1
                problems.append(
                    "\(paths[index]) is drive \(identity.position) of set \(identity.setIndex) (argument position \(belongs)), "
                        + "but was given at argument position \(index + 1)")
            }
        }
        guard problems.isEmpty else {
            throw StartupError(description: "drives are in the wrong order:\n  " + problems.joined(separator: "\n  "))
        }
    }

    /// Opens the drive of `slot`, formatting it first when its folder is empty (or missing, in a
    /// brand-new deployment).
    func connect(_ slot: DriveSlot, deploymentID: String, state: DriveFormatState? = nil, freshDeployment: Bool = false) async
        -> DriveConnection
    {
        let path = slot.location
        let current: DriveFormatState
        do {
            current = try state ?? DriveFormatFile.inspect(root: path)
        } catch {
            return .offline(reason: "cannot inspect the folder: \(error)")
        }
        let expected = DriveIdentity(
            deploymentID: deploymentID, driveID: ShardID.random().value, setIndex: slot.setIndex, position: slot.position,
            setCount: plan.setCount, drivesPerSet: plan.drivesPerSet)
        var identity = expected
        var fresh = false
        switch current {
        case .formatted(let found):
            guard found.deploymentID == deploymentID else {
                return .offline(reason: "foreign drive: it belongs to deployment \(found.deploymentID)")
            }
            guard found.setIndex == slot.setIndex, found.position == slot.position else {
                return .offline(reason: "drive belongs to set \(found.setIndex) position \(found.position)")
            }
            identity = found
        case .legacy(let driveID) where paths.count == 1:
            // A folder from before drive identities: it becomes the single drive of this deployment.
            identity.driveID = driveID
            if let failure = format(path, identity) { return failure }
        case .legacy:
            return .offline(reason: "single-folder drive from a version 1 deployment cannot join an erasure set")
        case .missing where freshDeployment, .empty:
            fresh = true
            if let failure = format(path, identity) { return failure }
        case .missing:
            return .offline(reason: "folder is missing")
        case .unformattedWithData:
            return .offline(reason: "folder has files but no Stowage format record; empty it to let Stowage adopt it")
        case .unreadable(let reason):
            return .offline(reason: "format record unreadable: \(reason)")
        }
        do {
            let drive = try await LocalDrive.open(
                root: path, identity: identity, pool: drivePools.pool(for: path), reserveBytes: reserveBytes,
                callDeadline: callDeadline)
            try await drive.healthCheck()
            return .online(drive, fresh: fresh)
        } catch {
            return .offline(reason: "\(error)")
        }
    }

    private func format(_ path: String, _ identity: DriveIdentity) -> DriveConnection? {
        do {
            try DriveFormatFile.write(root: path, identity: identity)
            return nil
        } catch {
            return .offline(reason: "cannot write format record: \(error)")
        }
    }
}
