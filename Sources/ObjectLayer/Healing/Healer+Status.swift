internal import StowageCore
extension Healer {
    package func status() async -> NodeStatus {
        let sets = store.sets
        let counters = store.heal.snapshot
        var free: [Int64?] = []
        for set in sets.sets { free += await set.fanOut { try await $0.availableBytes() }.map(\.value) }
        let drives = sets.allSlots.enumerated().map { index, slot in
            let reason = slot.offlineReason
            return DriveStatus(
                set: slot.setIndex, position: slot.position, path: slot.location, state: reason == nil ? "online" : "offline",
                reason: reason, freeBytes: free[index])
        }
        var status = NodeStatus(
            deploymentID: sets.deploymentID, sets: sets.sets.count, drivesPerSet: sets.sets[0].size,
            defaultParity: sets.sets[0].parity, drives: drives, shardsHealed: counters.shardsHealed,
            corruptionsFound: counters.corruptionsFound, objectsQueuedForHeal: store.heal.queuedCount + store.heal.missedCount)
        status.cluster = await clusterStatus?()
        return status
    }

    package func metricsText() async -> String {
        let counters = store.heal.snapshot
        let slots = store.sets.allSlots
        let online = slots.count { $0.drive != nil }
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ value: Int) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            lines.append("\(name) \(value)")
        }
        metric("stowage_drives_online", "gauge", "Drives online.", online)
        metric("stowage_drives_offline", "gauge", "Drives offline (missing, foreign, corrupt, unreadable or full).", slots.count - online)
        metric("stowage_heal_shards_healed_total", "counter", "Shards rebuilt by healing.", counters.shardsHealed)
        metric("stowage_heal_records_healed_total", "counter", "Metadata records rewritten or removed by healing.", counters.recordsHealed)
        metric("stowage_heal_objects_healed_total", "counter", "Objects repaired.", counters.objectsHealed)
        metric("stowage_heal_failures_total", "counter", "Objects healing could not repair.", counters.healFailures)
        metric("stowage_corruptions_found_total", "counter", "Shard blocks or records that failed their checksum.", counters.corruptionsFound)
        metric("stowage_missing_shards_found_total", "counter", "Shards found missing by reads.", counters.missingShardsFound)
        metric("stowage_scanner_objects_scanned_total", "counter", "Objects verified by the background scanner.", counters.objectsScanned)
        metric("stowage_scanner_passes_total", "counter", "Completed background scanner passes.", counters.scannerPasses)
        metric("stowage_heal_queue_length", "gauge", "Objects waiting for repair.", store.heal.queuedCount)
        metric(
            "stowage_heal_missed_writes", "gauge", "Changes some drive missed, repaired once every drive of their set is online.",
            store.heal.missedCount)
        let cache = store.inlineCache.statistics
        metric("stowage_fast_get_responses_total", "counter", "Small GETs answered from the inline-object cache.", cache.served)
        metric("stowage_inline_cache_bytes", "gauge", "Object bytes held by the inline-object cache.", cache.bytes)
        // Drives are named by set and position only: their paths are the operator's, for the
        // signed admin status, not for whoever reads metrics.
        lines.append("# HELP stowage_drive_online Whether a drive is online (1) or offline (0).")
        lines.append("# TYPE stowage_drive_online gauge")
        for slot in slots {
            lines.append("stowage_drive_online{set=\"\(slot.setIndex)\",drive=\"\(slot.position)\"} \(slot.drive == nil ? 0 : 1)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
