internal import ObjectLayer

/// The human-readable forms of the admin API's answers: one `name: value` line per field, then
/// one line per item, so that the output is easy to read and to grep.
enum AdminText {
    /// The counters of a heal run, the drives it restored, and one `failed: bucket/key: reason`
    /// line per object it could not repair.
    static func heal(_ report: HealReport) -> String {
        var lines = [
            "objects scanned: \(report.objectsScanned)",
            "objects healed: \(report.objectsHealed)",
            "shards healed: \(report.shardsHealed)",
            "records healed: \(report.recordsHealed)",
            "corruptions found: \(report.corruptionsFound)",
            "drives restored: \(report.drivesRestored.count)",
        ]
        lines += report.drivesRestored.map { "restored: \($0)" }
        lines += report.failures.map { "failed: \($0)" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The deployment, its erasure-set layout, one line per drive (`set 0 drive 1  online  /path`,
    /// with the reason when offline), then the healing counters.
    static func status(_ status: NodeStatus) -> String {
        var lines = [
            "deployment id: \(status.deploymentID)",
            "erasure sets: \(status.sets) x \(status.drivesPerSet) drives per set",
            "default parity: \(status.defaultParity)",
        ]
        if let cluster = status.cluster {
            lines.append("cluster layout version: \(cluster.layoutVersion) (answered by \(cluster.thisNode))")
            for node in cluster.nodes {
                var line = "node \(node.address)  \(node.state)"
                if let version = node.version { line += "  version \(version)" }
                if let uptime = node.uptimeSeconds { line += "  uptime \(uptime)s" }
                if let reason = node.reason { line += "  (\(reason))" }
                lines.append(line)
            }
            for member in cluster.etcd {
                lines.append(
                    "etcd \(member.endpoint)  \(member.healthy ? "healthy" : "unhealthy")"
                        + (member.detail.map { "  (\($0))" } ?? ""))
            }
        }
        let drives = status.drives.sorted { ($0.set, $0.position) < ($1.set, $1.position) }
        let stateWidth = drives.map(\.state.count).max() ?? 0
        for drive in drives {
            var line = "set \(drive.set) drive \(drive.position)  "
            line += drive.state + String(repeating: " ", count: stateWidth - drive.state.count) + "  " + drive.path
            if let free = drive.freeBytes { line += "  free \(free / (1 << 20)) MiB" }
            if let reason = drive.reason, !reason.isEmpty { line += "  (\(reason))" }
            lines.append(line)
        }
        lines += [
            "shards healed: \(status.shardsHealed)",
            "corruptions found: \(status.corruptionsFound)",
            "objects queued for heal: \(status.objectsQueuedForHeal)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
