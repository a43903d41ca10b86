package import Logging
package import StowageCore

/// What reconnecting a drive slot found.
package enum DriveConnection: Sendable {
    /// The drive is usable; `fresh` when it was just formatted in place of a lost one.
    case online(any Drive, fresh: Bool)
    case offline(reason: String)
}

/// Keeps the node's drives and objects whole: the drive monitor, the background scanner, the
/// repair of objects that reads found damaged, and on-demand healing for the admin API.
package final class Healer: AdminService {
    package let store: ObjectStore
    private let connect: @Sendable (DriveSlot) async -> DriveConnection
    private let logger: Logger
    /// The cluster's nodes and etcd as this node sees them; nil on a single node.
    let clusterStatus: (@Sendable () async -> ClusterStatus)?

    /// - Parameter connect: opens (or formats, when empty) the drive of a slot; supplied by the
    ///   composition root, which knows what a drive is made of.
    package init(
        store: ObjectStore, logger: Logger, connect: @escaping @Sendable (DriveSlot) async -> DriveConnection,
        clusterStatus: (@Sendable () async -> ClusterStatus)? = nil
    ) {
        self.store = store
        self.logger = logger
        self.connect = connect
        self.clusterStatus = clusterStatus
    }

    // MARK: Drives

    /// Checks every online drive (taking failing ones offline) and tries to bring offline ones
    /// back. Returns the slots that came back, and whether any came back empty (needing a full heal).
    @discardableResult
    package func checkDrives() async -> (restored: [String], fresh: Bool) {
        var restored: [String] = []
        var fresh = false
        for slot in store.sets.allSlots {
            if let (drive, generation) = slot.onlineDrive {
                do {
                    try await drive.healthCheck()
                } catch let error as DriveError where error.code == .resourcesExhausted {
                    // The process, not the drive, is short of descriptors or memory.
                    logger.warning(
                        "drive check skipped: the process is out of resources",
                        metadata: ["drive": "\(slot.label)", "error": "\(error)"])
                } catch {
                    let full = (error as? DriveError)?.code == .full
                    if slot.markOffline(generation: generation, reason: "\(error)", full: full) {
                        logger.error("drive taken offline", metadata: ["drive": "\(slot.label)", "reason": "\(error)"])
                    }
                }
                if slot.drive != nil { continue }
            }
            switch await connect(slot) {
            case .online(let drive, let isFresh):
                slot.setOnline(drive)
                restored.append("set \(slot.setIndex)/\(slot.position) \(slot.location)")
                fresh = fresh || isFresh
                logger.notice(
                    isFresh ? "empty drive adopted; healing will rebuild it" : "drive back online",
                    metadata: ["drive": "\(slot.label)"])
            case .offline(let failure):
                let reason = Self.offlineReason(keeping: slot.offlineReason, reopening: failure)
                if slot.offlineReason != reason {
                    logger.warning("drive offline", metadata: ["drive": "\(slot.label)", "reason": "\(reason)"])
                }
                slot.setOffline(reason: reason)
            }
        }
        return (restored, fresh)
    }

    /// The reason a slot stays offline after a failed attempt to reopen it: the cause it went
    /// offline for stays first (a read-only filesystem, say, rather than the "database is locked"
    /// that reopening it then meets), with the latest reopening failure after it when different.
    package static func offlineReason(keeping current: String?, reopening failure: String) -> String {
        let separator = "; reopening: "
        guard let current else { return failure }
        let cause = current.firstRange(of: separator).map { String(current[..<$0.lowerBound]) } ?? current
        return cause == failure ? cause : cause + separator + failure
    }

    /// Creates on every online drive the buckets a majority of drives have.
    func healBuckets() async {
        guard let buckets = try? await store.listBuckets() else { return }
        for bucket in buckets {
            for set in store.sets.sets {
                for failure in await store.sets.repairBucket(bucket, on: set) {
                    logger.warning("bucket heal failed", metadata: ["bucket": "\(bucket.name)", "error": "\(failure)"])
                }
            }
        }
    }

    // MARK: Objects

    /// Heals every object under `bucket`/`prefix` (every bucket when nil), verifying every shard.
    package func heal(bucket: String?, prefix: String) async throws -> HealReport {
        var report = HealReport()
        report.drivesRestored = await checkDrives().restored
        await healBuckets()
        let buckets: [String]
        if let bucket {
            _ = try await store.bucket(bucket)
            buckets = [bucket]
        } else {
            buckets = try await store.listBuckets().map(\.name)
        }
        for name in buckets {
            try await walk(bucket: name, prefix: prefix, deep: true) { key, outcome in
                report.objectsScanned += 1
                report.shardsHealed += outcome.shardsHealed
                report.recordsHealed += outcome.recordsHealed
                report.corruptionsFound += outcome.corruptionsFound
                if outcome.healed { report.objectsHealed += 1 }
                if let failure = outcome.failure { report.failures.append("\(name)/\(key): \(failure)") }
            }
        }
        return report
    }

    /// Heals each key any drive holds under the prefix, set by set, in pages.
    /// `pace` runs before each object (the scanner's rate limit).
    func walk(
        bucket: String, prefix: String, deep: Bool, pace: () async throws -> Void = {},
        _ visit: (String, ObjectHealOutcome) async -> Void
    ) async throws {
        for set in store.sets.sets {
            var after: [UInt8]? = nil
            while true {
                let (keys, boundary) = try await set.keysForHeal(bucket: bucket, prefix: prefix, after: after, limit: 500)
                for key in keys {
                    try await pace()
                    let outcome = await store.healObject(bucket: bucket, key: key, deep: deep)
                    await visit(key, outcome)
                }
                guard let boundary else { break }
                after = Array(boundary.utf8)
            }
        }
    }

    /// Repairs up to `limit` objects that reads found damaged, then every change a drive missed
    /// whose set has all its drives online again (a missed change that fails to heal waits for
    /// the next round).
    package func drainQueue(limit: Int = 100) async {
        for target in store.heal.dequeue(limit: limit) {
            await heal(target)
        }
        let sets = store.sets
        var retry: [HealTarget] = []
        var taken = 0
        while !Task.isCancelled {
            let whole = store.heal.dequeueMissed(limit: limit) { target in
                sets.set(bucket: target.bucket, key: target.key).slots.allSatisfy { $0.drive != nil }
            }
            if whole.isEmpty { break }
            taken += whole.count
            for target in whole where await !heal(target) { retry.append(target) }
        }
        for target in retry { store.heal.enqueueMissed(bucket: target.bucket, key: target.key) }
        store.heal.finishedMissed(count: taken)
    }

    /// Heals one object; false when that failed.
    @discardableResult
    private func heal(_ target: HealTarget) async -> Bool {
        let outcome = await store.healObject(bucket: target.bucket, key: target.key, deep: false)
        if let failure = outcome.failure {
            logger.warning("heal failed", metadata: ["object": "\(target.bucket)/\(target.key)", "error": "\(failure)"])
            return false
        }
        if outcome.healed {
            logger.info("healed", metadata: ["object": "\(target.bucket)/\(target.key)", "shards": "\(outcome.shardsHealed)"])
        }
        return true
    }

    // MARK: Background work

    /// Checks drives every `interval` seconds and repairs queued objects in between; a drive
    /// that comes back empty starts a scan at once. Returns when the task is cancelled.
    package func runMonitor(interval: Double, onFreshDrive: @escaping @Sendable () -> Void) async {
        while !Task.isCancelled {
            let (restored, fresh) = await checkDrives()
            if !restored.isEmpty {
                // A drive that was away may have missed bucket changes; a fresh one has none.
                await healBuckets()
                if fresh || store.heal.takeMissedOverflow() { onFreshDrive() }
            }
            await drainQueue()
            do { try await Task.sleep(for: .seconds(interval)) } catch { return }
        }
    }

    /// Walks every object of every bucket, deep-verifying and repairing, at most
    /// `objectsPerSecond`, one pass every `interval` seconds (or sooner when woken).
    package func runScanner(interval: Double, objectsPerSecond: Double, wake: ScannerWake) async {
        while !Task.isCancelled {
            do {
                try await wake.wait(seconds: interval)
                try await scanOnce(objectsPerSecond: objectsPerSecond)
            } catch is CancellationError {
                return
            } catch {
                logger.warning("scanner pass failed", metadata: ["error": "\(error)"])
            }
        }
    }

    func scanOnce(objectsPerSecond: Double) async throws {
        await healBuckets()
        let gap = objectsPerSecond > 0 ? 1 / objectsPerSecond : 0
        for bucket in try await store.listBuckets() {
            try await walk(bucket: bucket.name, prefix: "", deep: true, pace: {
                try Task.checkCancellation()
                if gap > 0 { try await Task.sleep(for: .seconds(gap)) }
            }) { key, outcome in
                store.heal.count { $0.objectsScanned += 1 }
                if let failure = outcome.failure {
                    logger.warning("scanner could not heal", metadata: ["object": "\(bucket.name)/\(key)", "error": "\(failure)"])
                }
            }
        }
        store.heal.count { $0.scannerPasses += 1 }
    }
}
