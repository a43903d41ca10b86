internal import Cluster
package import S3Server

/// Everything a node needs to start, resolved from the command line and the environment.
package struct NodeConfiguration: Sendable {
    package static let defaultRootUser = "stowageadmin"
    package static let defaultRootPassword = "stowageadmin"

    package var host: String
    package var port: Int
    package var region: String
    package var virtualHostDomains: [String]
    /// The drive folders, expanded, in order: the first `drivesPerSet` form set 0, and so on.
    package var drivePaths: [String]
    /// Parity shards per set for STANDARD objects; nil picks the default for the set size.
    package var parity: Int?
    /// Seconds between drive health checks (offline drives are retried as often).
    package var driveCheckInterval: Double = 10
    /// Seconds a call to a local drive may take before it fails and the drive is taken offline
    /// (a disk that hangs); nil: no deadline.
    package var driveTimeout: Double? = 30
    /// Seconds between background scanner passes over every object.
    package var scannerInterval: Double = 3600
    /// Objects the scanner verifies per second at most.
    package var scannerObjectsPerSecond: Double = 50
    package var rootUser: String
    package var rootPassword: String
    /// True when the credentials are the documented development defaults.
    package var usesDefaultCredentials: Bool
    /// Free bytes kept back from writes; nil picks the drive's default.
    package var reserveBytes: Int64?
    /// Seconds a connection may sit idle (including mid-request) before it is closed.
    package var idleTimeoutSeconds: Int64
    /// Bytes of small objects kept in memory for GETs answered on the event loop; 0 turns the
    /// cache and that path off.
    package var smallObjectCacheBytes = 64 << 20
    /// Most client connections open at once (further ones wait to be accepted); nil derives it
    /// from the file-descriptor limit (`ConnectionBudget`).
    package var maxConnections: Int?
    /// Who reads `/_stowage/metrics` without a signature.
    package var metricsAccess = MetricsAccess()
    /// Set when the drives are URLs of a cluster's nodes (then `drivePaths` holds those URLs).
    package var cluster: ClusterSettings?

    package init(
        host: String, port: Int, region: String, virtualHostDomains: [String], drivePaths: [String], parity: Int? = nil,
        rootUser: String?, rootPassword: String?, reserveBytes: Int64?, idleTimeoutSeconds: Int64
    ) {
        self.host = host
        self.port = port
        self.region = region
        self.virtualHostDomains = virtualHostDomains
        self.drivePaths = drivePaths
        self.parity = parity
        self.usesDefaultCredentials = rootUser == nil || rootPassword == nil
        self.rootUser = rootUser ?? Self.defaultRootUser
        self.rootPassword = rootPassword ?? Self.defaultRootPassword
        self.reserveBytes = reserveBytes
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }
}

extension NodeConfiguration {
    /// Drives that are folders of this node (in a cluster, the drive URLs naming its address).
    var localDriveCount: Int {
        guard let cluster else { return drivePaths.count }
        return (try? ClusterTopology(endpoints: drivePaths, address: cluster.address))?.localSlots.count ?? 0
    }
}

/// How a node joins a cluster.
package struct ClusterSettings: Sendable {
    /// `http://host:port` of each etcd member.
    package var etcdEndpoints: [String]
    /// This node's `host:port` as the drive URLs name it.
    package var address: String
    /// Seconds an internode call for metadata may take before the peer's drive counts as failed
    /// (shard data gets three times as long).
    package var internodeTimeoutSeconds: Int64 = 10

    package init(etcdEndpoints: [String], address: String) {
        self.etcdEndpoints = etcdEndpoints
        self.address = address
    }

    /// Whether drive arguments name a cluster's drives (URLs) rather than local folders.
    package static func formsCluster(_ drives: [String]) -> Bool { ClusterTopology.isCluster(drives) }
}
