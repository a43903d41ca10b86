import StowageTesting

/// Everything a simulation run does, drawn from its seed: the cluster's shape, each client's
/// operations and the nemesis's faults. Shrinking removes operations and faults from a plan and
/// runs it again with the same seed (the scheduler's and the network's choices still come from
/// the seed).
struct SimPlan: Sendable, Equatable, CustomStringConvertible {
    struct Op: Sendable, Equatable {
        enum Kind: Sendable, Equatable {
            case put, get, delete, putIfAbsent, listVersions
            /// `If-Match` with the ETag of one of the values written to the key so far (`pick`
            /// indexes them; none written yet names a value never written).
            case putIfMatch(pick: Int)
        }

        /// Virtual nanoseconds to wait before the operation.
        var pause: Int64
        var node: Int
        var key: Int
        var kind: Kind
        /// Body size: small ones are inline, larger ones erasure-coded.
        var size: Int
    }

    struct Event: Sendable, Equatable {
        enum Fault: Sendable, Equatable {
            /// The links between these groups of nodes are cut (etcd stays with every group).
            case partition([[Int]])
            /// The node cannot reach etcd (nor etcd it): its lease runs out while it may still
            /// write to drives.
            case cutFromEtcd(Int)
            /// kill -9 of the node's process, started again when the fault ends.
            case crash(Int)
            /// SIGSTOP: the node starts no call and nothing it sent or is sent moves until the
            /// fault ends; then it goes on where it was (`SimNetwork.pause`).
            case pause(Int)
            case driveFailing(Int)
            case driveHanging(Int)
            case driveFull(Int)
            /// A committed shard of the drive has its bytes damaged (found on read).
            case corruptShard(drive: Int, pick: Int)
            /// Messages are lost with this probability (per mille), and slowed.
            case lossy(perMille: Int)
            /// The node's wall clock is off by this many seconds.
            case clockSkew(node: Int, seconds: Int)
            /// The node pauses, for the fault's duration (longer than its lease), the next time it
            /// sends a commit: a writer stalled in its critical section.
            case pauseLockHolder(Int)
        }

        var at: Int64
        var duration: Int64
        var fault: Fault
    }

    var nodes: Int
    var drivesPerNode: Int
    var keys: Int
    var versioned: Bool
    var clients: [[Op]]
    var events: [Event]

    var operationCount: Int { clients.reduce(0) { $0 + $1.count } }

    /// The plan of `seed`.
    static func generate(seed: UInt64, faults: Bool = true) -> SimPlan {
        var random = SimRandom(seed: seed ^ 0x706C_616E)
        let nodes = random.chance(0.7) ? 4 : 3
        let drivesPerNode = random.chance(0.7) ? 1 : 2
        let keys = 1 + random.below(3)
        let versioned = random.chance(0.5)
        var clients: [[Op]] = []
        for _ in 0..<(2 + random.below(4)) {
            var ops: [Op] = []
            for _ in 0..<(4 + random.below(12)) {
                let roll = random.below(100)
                let kind: Op.Kind
                switch roll {
                case 0..<30: kind = .put
                case 30..<55: kind = .get
                case 55..<65: kind = .delete
                case 65..<77: kind = .putIfAbsent
                case 77..<89: kind = .putIfMatch(pick: random.below(8))
                default: kind = versioned ? .listVersions : .get
                }
                let pause = random.chance(0.2) ? Int64(random.below(3_000)) * 1_000_000 : Int64(random.below(2_000_000))
                let size = random.chance(0.6) ? 8 + random.below(80) : 120 + random.below(300)
                ops.append(Op(pause: pause, node: random.below(nodes), key: random.below(keys), kind: kind, size: size))
            }
            clients.append(ops)
        }
        var events: [Event] = []
        if faults {
            for _ in 0..<random.below(5) {
                let at = Int64(random.below(20_000)) * 1_000_000
                let duration = Int64(200 + random.below(9_000)) * 1_000_000
                events.append(Event(at: at, duration: duration, fault: fault(&random, nodes: nodes, drives: nodes * drivesPerNode)))
            }
            events.sort { $0.at < $1.at }
            // Some stalls outlast the node lease (10 s): the stalled node's locks pass to others
            // while it still holds them, which only the drives' fencing stops. Drawn apart, so
            // the rest of the plan is the seed's as before.
            var long = SimRandom(seed: seed ^ 0x6C6F_6E67)
            for index in events.indices {
                switch events[index].fault {
                case .pause, .cutFromEtcd:
                    if long.chance(0.4) { events[index].duration = Int64(11_000 + long.below(14_000)) * 1_000_000 }
                default: break
                }
            }
            if long.chance(0.3) {
                let at = Int64(long.below(15_000)) * 1_000_000
                let duration = Int64(11_000 + long.below(9_000)) * 1_000_000
                events.append(Event(at: at, duration: duration, fault: .pauseLockHolder(long.below(nodes))))
                events.sort { $0.at < $1.at }
            }
        }
        return SimPlan(
            nodes: nodes, drivesPerNode: drivesPerNode, keys: keys, versioned: versioned, clients: clients, events: events)
    }

    private static func fault(_ random: inout SimRandom, nodes: Int, drives: Int) -> Event.Fault {
        let node = random.below(nodes)
        switch random.below(12) {
        case 0, 1:
            var shuffled = Array(0..<nodes)
            shuffled.shuffle(using: &random)
            let split = 1 + random.below(nodes - 1)
            return .partition([Array(shuffled[..<split]).sorted(), Array(shuffled[split...]).sorted()])
        case 2: return .cutFromEtcd(node)
        case 3, 4: return .crash(node)
        case 5: return .pause(node)
        case 6: return .driveFailing(random.below(drives))
        case 7: return .driveHanging(random.below(drives))
        case 8: return .driveFull(random.below(drives))
        case 9: return .corruptShard(drive: random.below(drives), pick: random.below(16))
        case 10: return .lossy(perMille: 20 + random.below(200))
        default: return .clockSkew(node: node, seconds: (random.chance(0.5) ? -1 : 1) * (1 + random.below(30)))
        }
    }

    var description: String {
        var lines = [
            "\(nodes) nodes × \(drivesPerNode) drives, \(keys) keys, versioning \(versioned ? "enabled" : "off"), "
                + "\(clients.count) clients, \(operationCount) operations, \(events.count) faults"
        ]
        for event in events {
            lines.append("  fault at \(event.at / 1_000_000) ms for \(event.duration / 1_000_000) ms: \(event.fault)")
        }
        for (client, ops) in clients.enumerated() {
            let text = ops.map { "\($0.kind)@n\($0.node)/k\($0.key)" }.joined(separator: " ")
            lines.append("  client \(client): \(text)")
        }
        return lines.joined(separator: "\n")
    }
}
