internal import FoundationEssentials
internal import NIOCore
internal import NIOFoundationCompat

/// The cluster's layout as etcd records it: which drives of which nodes form the erasure sets.
///
/// The first node to start records it (`LayoutRegistry.establish`); every later start compares
/// its own command line with the record and refuses to start on a difference, so nodes can
/// never disagree about which drive holds which shard. Versioned from the start (`format`).
package struct ClusterLayout: Codable, Sendable, Equatable {
    package static let currentFormat = 1

    package var format: Int = ClusterLayout.currentFormat
    /// Random, chosen by the node that recorded the layout; drives are formatted with it.
    package var deploymentID: String
    /// Incremented by each change of the layout (pool expansion, later).
    package var layoutVersion: Int
    /// `host:port` of each node.
    package var nodes: [String]
    /// Each drive as `http://host:port/path`, in slot order.
    package var drives: [String]
    package var setCount: Int
    package var drivesPerSet: Int
    package var parity: Int

    package init(
        deploymentID: String, layoutVersion: Int = 1, topology: ClusterTopology, setCount: Int, drivesPerSet: Int,
        parity: Int
    ) {
        self.deploymentID = deploymentID
        self.layoutVersion = layoutVersion
        self.nodes = topology.nodes
        self.drives = topology.slots.map { $0.nodeURL + $0.path }
        self.setCount = setCount
        self.drivesPerSet = drivesPerSet
        self.parity = parity
    }

    /// What differs between this layout (a node's command line) and `recorded`, in words; empty
    /// when they agree (the deployment id and version are the record's to choose).
    package func differences(from recorded: ClusterLayout) -> [String] {
        var found: [String] = []
        if nodes != recorded.nodes {
            found.append("nodes: recorded \(recorded.nodes.joined(separator: " ")), given \(nodes.joined(separator: " "))")
        }
        if drives != recorded.drives {
            let missing = recorded.drives.filter { !drives.contains($0) }
            let extra = drives.filter { !recorded.drives.contains($0) }
            var detail = "drives differ"
            if !missing.isEmpty { detail += "; not given: " + missing.joined(separator: " ") }
            if !extra.isEmpty { detail += "; not recorded: " + extra.joined(separator: " ") }
            if missing.isEmpty && extra.isEmpty { detail += " in order; give them in the recorded order" }
            found.append(detail)
        }
        if setCount != recorded.setCount || drivesPerSet != recorded.drivesPerSet {
            found.append(
                "sets: recorded \(recorded.setCount) of \(recorded.drivesPerSet), given \(setCount) of \(drivesPerSet)")
        }
        if parity != recorded.parity { found.append("parity: recorded \(recorded.parity), given \(parity)") }
        return found
    }
}

/// Records the layout in etcd, or checks a node's layout against the one recorded.
package struct LayoutRegistry: Sendable {
    package static let key = "/stowage/v1/layout"
    let etcd: EtcdClient

    package init(etcd: EtcdClient) {
        self.etcd = etcd
    }

    package struct Mismatch: Error, CustomStringConvertible, Equatable {
        package var differences: [String]
        package var description: String {
            "this node's drives disagree with the cluster layout recorded in etcd:\n  "
                + differences.joined(separator: "\n  ")
                + "\nstart every node with the same drive arguments (and --parity) as the first one"
        }
    }

    /// Records `proposed` when etcd holds no layout yet and returns it; otherwise returns the
    /// recorded layout when `proposed` agrees with it, and throws `Mismatch` when it does not.
    /// Two nodes starting at once record one layout: etcd's create-if-absent lets one win.
    package func establish(_ proposed: ClusterLayout) async throws -> ClusterLayout {
        let encoded = try JSONEncoder().encodeAsByteBuffer(proposed, allocator: .init())
        guard let existing = try await etcd.createIfAbsent(Self.key, value: Array(encoded.readableBytesView)) else {
            return proposed
        }
        let recorded: ClusterLayout
        do {
            recorded = try JSONDecoder().decode(ClusterLayout.self, from: ByteBuffer(bytes: existing.value))
        } catch {
            throw EtcdError.unexpected("the layout recorded at \(Self.key) is not readable: \(error)")
        }
        guard recorded.format <= ClusterLayout.currentFormat else {
            throw EtcdError.unexpected("the recorded layout has format \(recorded.format), newer than this binary")
        }
        let differences = proposed.differences(from: recorded)
        guard differences.isEmpty else { throw Mismatch(differences: differences) }
        return recorded
    }
}
