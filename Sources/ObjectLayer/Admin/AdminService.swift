/// What the admin API (`/_stowage/admin/v1/...`) and `stowage admin` can ask of a running node.
///
/// The S3 front authenticates the caller (root credentials, SigV4) and renders the answers as
/// JSON; this protocol knows nothing of HTTP.
package protocol AdminService: Sendable {
    /// Checks the drives (reopening replaced or repaired ones), then heals every object under
    /// `bucket`/`prefix` (all buckets when `bucket` is nil) and reports what it did.
    func heal(bucket: String?, prefix: String) async throws -> HealReport
    /// Drives and their state, erasure sets, and the healing counters.
    func status() async -> NodeStatus
    /// Counters and gauges in the Prometheus text exposition format.
    func metricsText() async -> String
}

/// The outcome of one heal run.
package struct HealReport: Codable, Sendable, Equatable {
    package var objectsScanned = 0
    /// Objects that had at least one missing, stale or corrupt shard or record, now repaired.
    package var objectsHealed = 0
    package var shardsHealed = 0
    /// Metadata records rewritten on drives that missed an update (or removed where stale).
    package var recordsHealed = 0
    package var corruptionsFound = 0
    /// Drives that were brought back (reformatted or reopened) by this run, as "set/position path".
    package var drivesRestored: [String] = []
    /// Objects that could not be repaired, with the reason ("bucket/key: reason").
    package var failures: [String] = []

    package init() {}
}

/// One drive slot as the admin API shows it.
package struct DriveStatus: Codable, Sendable, Equatable {
    package var set: Int
    package var position: Int
    package var path: String
    /// "online" or "offline".
    package var state: String
    /// Why the drive is offline (or nil when online).
    package var reason: String?
    /// Bytes a write may still use on it (nil when it did not answer).
    package var freeBytes: Int64?

    package init(set: Int, position: Int, path: String, state: String, reason: String?, freeBytes: Int64? = nil) {
        self.set = set
        self.position = position
        self.path = path
        self.state = state
        self.reason = reason
        self.freeBytes = freeBytes
    }
}

/// A cluster as one of its nodes sees it (absent on a single node).
package struct ClusterStatus: Codable, Sendable, Equatable {
    package struct Node: Codable, Sendable, Equatable {
        /// `host:port` as the drive URLs name it.
        package var address: String
        /// "up" when it answered, else "down".
        package var state: String
        package var version: String?
        package var uptimeSeconds: Int?
        /// Why it counts as down.
        package var reason: String?

        package init(address: String, state: String, version: String?, uptimeSeconds: Int?, reason: String?) {
            self.address = address
            self.state = state
            self.version = version
            self.uptimeSeconds = uptimeSeconds
            self.reason = reason
        }
    }

    package struct EtcdMember: Codable, Sendable, Equatable {
        package var endpoint: String
        package var healthy: Bool
        package var detail: String?

        package init(endpoint: String, healthy: Bool, detail: String?) {
            self.endpoint = endpoint
            self.healthy = healthy
            self.detail = detail
        }
    }

    /// The node answering.
    package var thisNode: String
    package var layoutVersion: Int
    package var nodes: [Node]
    package var etcd: [EtcdMember]

    package init(thisNode: String, layoutVersion: Int, nodes: [Node], etcd: [EtcdMember]) {
        self.thisNode = thisNode
        self.layoutVersion = layoutVersion
        self.nodes = nodes
        self.etcd = etcd
    }
}

/// The whole node as the admin API shows it.
package struct NodeStatus: Codable, Sendable, Equatable {
    package var deploymentID: String
    package var sets: Int
    package var drivesPerSet: Int
    package var defaultParity: Int
    package var drives: [DriveStatus]
    package var shardsHealed: Int
    package var corruptionsFound: Int
    package var objectsQueuedForHeal: Int
    /// Nodes, layout version and etcd's health, in a cluster.
    package var cluster: ClusterStatus?

    package init(
        deploymentID: String, sets: Int, drivesPerSet: Int, defaultParity: Int, drives: [DriveStatus],
        shardsHealed: Int, corruptionsFound: Int, objectsQueuedForHeal: Int
    ) {
        self.deploymentID = deploymentID
        self.sets = sets
        self.drivesPerSet = drivesPerSet
        self.defaultParity = defaultParity
        self.drives = drives
        self.shardsHealed = shardsHealed
        self.corruptionsFound = corruptionsFound
        self.objectsQueuedForHeal = objectsQueuedForHeal
    }
}
