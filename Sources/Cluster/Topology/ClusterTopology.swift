/// The drives of a cluster, from the command line every node is given alike, in slot order.
///
/// Arguments are drive URLs `http://host:port/path` (expansion notation already applied), one
/// node being one `host:port`. Every node must have the same number of drives. Slots interleave
/// the nodes — the first drive of every node, then the second of every node, … — so that the
/// consecutive slots forming an erasure set spread over the nodes: one node down costs a set at
/// most ⌈set size / nodes⌉ drives. A node knows its own drives by its `--address`.
package struct ClusterTopology: Sendable, Equatable {
    /// One drive of the cluster.
    package struct Endpoint: Sendable, Equatable {
        /// `host:port` of the node that holds the drive.
        package var node: String
        /// The drive's folder on that node.
        package var path: String
        /// Whether this node holds it.
        package var isLocal: Bool
        /// `http://host:port`.
        package var nodeURL: String { "http://" + node }
    }

    /// `host:port` of every node, in order of first appearance.
    package let nodes: [String]
    /// Every drive, in slot order (see the type's comment).
    package let slots: [Endpoint]

    package struct TopologyError: Error, CustomStringConvertible, Equatable {
        package var description: String
    }

    /// Whether arguments name drives of a cluster (URLs) rather than local folders.
    package static func isCluster(_ arguments: [String]) -> Bool {
        arguments.contains { $0.hasPrefix("http://") || $0.hasPrefix("https://") }
    }

    /// - Parameters:
    ///   - endpoints: expanded drive URLs, in the order given.
    ///   - address: this node's `host:port`; it must be one of the nodes.
    package init(endpoints: [String], address: String) throws(TopologyError) {
        var drivesByNode: [String: [String]] = [:]
        var nodes: [String] = []
        for endpoint in endpoints {
            guard endpoint.hasPrefix("http://") else {
                throw TopologyError(
                    description: "\(endpoint): every drive of a cluster is http://host:port/path (no local folders beside URLs; https is not supported yet)")
            }
            let rest = endpoint.dropFirst("http://".count)
            guard let slash = rest.firstIndex(of: "/"), rest[rest.index(after: slash)...].contains(where: { $0 != "/" })
            else { throw TopologyError(description: "\(endpoint): expected http://host:port/path") }
            let node = String(rest[..<slash])
            guard let colon = node.lastIndex(of: ":"), let port = Int(node[node.index(after: colon)...]),
                (1...65535).contains(port), colon > node.startIndex
            else { throw TopologyError(description: "\(endpoint): the node must be host:port") }
            if drivesByNode[node] == nil { nodes.append(node) }
            drivesByNode[node, default: []].append(String(rest[slash...]))
        }
        guard !nodes.isEmpty else { throw TopologyError(description: "no drives given") }
        guard nodes.contains(address) else {
            throw TopologyError(
                description: "--address \(address) is none of the nodes (\(nodes.joined(separator: ", "))); give this node's own host:port as it appears in the drive URLs")
        }
        let perNode = drivesByNode[nodes[0]]!.count
        if let uneven = nodes.first(where: { drivesByNode[$0]!.count != perNode }) {
            throw TopologyError(
                description: "every node needs the same number of drives: \(nodes[0]) has \(perNode), \(uneven) has \(drivesByNode[uneven]!.count)")
        }
        var slots: [Endpoint] = []
        for drive in 0..<perNode {
            for node in nodes {
                slots.append(Endpoint(node: node, path: drivesByNode[node]![drive], isLocal: node == address))
            }
        }
        self.nodes = nodes
        self.slots = slots
    }

    /// The slots this node holds.
    package var localSlots: [Int] { slots.indices.filter { slots[$0].isLocal } }
}
