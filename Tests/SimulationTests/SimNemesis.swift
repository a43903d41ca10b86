import Synchronization
import StowageTesting

/// Applies a plan's faults at their times and ends each after its duration; returns once the
/// last one has ended, so that the run's checks see every fault healed.
struct SimNemesis {
    let cluster: SimCluster

    func play(_ events: [SimPlan.Event]) async {
        let scheduler = cluster.scheduler
        var lastEnd: Int64 = 0
        for event in events {
            await scheduler.sleep(nanoseconds: event.at - scheduler.now)
            let end = begin(event.fault, duration: event.duration)
            scheduler.after(nanoseconds: event.duration, end)
            lastEnd = max(lastEnd, event.at + event.duration)
        }
        // A lock holder's pause may start late in its window and outlast it.
        let pauses = events.compactMap { if case .pauseLockHolder = $0.fault { $0.duration } else { nil } }
        await scheduler.sleep(nanoseconds: lastEnd + (pauses.max() ?? 0) - scheduler.now + 1)
    }

    /// Starts `fault`; returns what ends it.
    private func begin(_ fault: SimPlan.Event.Fault, duration: Int64) -> @Sendable () -> Void {
        let (network, drives, cluster) = (cluster.network, cluster.drives, self.cluster)
        switch fault {
        case .partition(let groups):
            var links: [SimNetwork.Link] = []
            for a in groups[0] { for b in groups[1] { links.append(SimNetwork.Link(a, b)) } }
            network.cut(links)
            return { [links] in network.restore(links) }
        case .cutFromEtcd(let node):
            let links = [SimNetwork.Link(node, SimNetwork.etcd)]
            network.cut(links)
            return { network.restore(links) }
        case .crash(let node):
            guard !network.isDown(node) else { return {} }
            cluster.crash(node)
            return { cluster.start(node) }
        case .pause(let node):
            network.pause(node)
            return { network.resume(node) }
        case .driveFailing(let drive):
            drives.setFault(.failing, on: drive)
            return { drives.setFault(nil, on: drive) }
        case .driveHanging(let drive):
            drives.setFault(.hanging, on: drive)
            return { drives.setFault(nil, on: drive) }
        case .driveFull(let drive):
            drives.drives[drive].isFull = true
            return { drives.drives[drive].isFull = false }
        case .corruptShard:
            // Bit rot is applied by the runner once the cluster is quiet (`SimRunner.rot`).
            return {}
        case .pauseLockHolder(let node):
            // Armed for the fault's window; the pause, once it fires, lasts its own duration.
            network.armPause(node, for: duration)
            return { network.disarmPause(node) }
        case .clockSkew(let node, let seconds):
            cluster.skews.withLock { $0[node] = Int64(seconds) * 1_000_000_000 }
            return { cluster.skews.withLock { $0[node] = nil } }
        case .lossy(let perMille):
            network.setLoss(Double(perMille) / 1000, slow: 1_000_000)
            return { network.setLoss(0, slow: 0) }
        }
    }
}
