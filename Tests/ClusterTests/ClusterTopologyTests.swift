import Cluster
import Testing

@Suite("Cluster topology")
struct ClusterTopologyTests {
    static let fourByTwo = (1...4).flatMap { node in (1...2).map { "http://127.0.0.1:900\(node)/srv/n\(node)/d\($0)" } }

    @Test("slots interleave the nodes, so consecutive slots (an erasure set) spread over every node")
    func interleaved() throws {
        let topology = try ClusterTopology(endpoints: Self.fourByTwo, address: "127.0.0.1:9002")
        #expect(topology.nodes == ["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003", "127.0.0.1:9004"])
        #expect(topology.slots.map(\.node).prefix(4) == ["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003", "127.0.0.1:9004"])
        #expect(topology.slots.map(\.path) == [
            "/srv/n1/d1", "/srv/n2/d1", "/srv/n3/d1", "/srv/n4/d1", "/srv/n1/d2", "/srv/n2/d2", "/srv/n3/d2", "/srv/n4/d2",
        ])
        #expect(topology.localSlots == [1, 5])
        #expect(topology.slots[1].nodeURL == "http://127.0.0.1:9002")
    }

    @Test("any set of consecutive slots loses at most ceil(size / nodes) drives with one node", arguments: [2, 4, 8])
    func spread(setSize: Int) throws {
        let topology = try ClusterTopology(endpoints: Self.fourByTwo, address: "127.0.0.1:9001")
        for start in stride(from: 0, to: topology.slots.count, by: setSize) {
            let set = topology.slots[start..<(start + setSize)]
            for node in topology.nodes {
                #expect(set.filter { $0.node == node }.count <= (setSize + 3) / 4)
            }
        }
    }

    @Test("wrong command lines are refused with the reason")
    func refusals() {
        func reason(_ endpoints: [String], _ address: String = "127.0.0.1:9001") -> String? {
            do {
                _ = try ClusterTopology(endpoints: endpoints, address: address)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(reason(Self.fourByTwo, "127.0.0.1:9009")?.contains("is none of the nodes") == true)
        #expect(reason(Array(Self.fourByTwo.dropLast()))?.contains("same number of drives") == true)
        #expect(reason(["http://127.0.0.1:9001/d1", "/srv/local"])?.contains("no local folders") == true)
        #expect(reason(["http://127.0.0.1/d1"], "127.0.0.1")?.contains("host:port") == true)
        #expect(reason(["http://127.0.0.1:9001"])?.contains("expected http://host:port/path") == true)
        #expect(reason([]) == "no drives given")
        #expect(ClusterTopology.isCluster(Self.fourByTwo))
        #expect(!ClusterTopology.isCluster(["/mnt/disk1"]))
    }
}
