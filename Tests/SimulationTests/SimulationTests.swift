import Foundation
import HistoryCheck
import StowageTesting
import Testing

// The deterministic simulation (issue 13): the object layer of a whole cluster — every node's
// `ObjectStore` with the `EtcdCoordination` and `NodeLease` a node runs — in one process, on
// drives in memory, a simulated network and a simulated etcd, all scheduled by one seeded
// executor with a virtual clock. A seed fixes the cluster's shape, the clients' operations, the
// faults and every scheduling choice, so a failing seed replays exactly:
//
//     STOWAGE_SIM_SEED=1234 swift test --filter SimulationTests
//
// prints its plan, history and problems. `STOWAGE_SIM_SEEDS=N` sets how many seeds the main
// test runs (CI: the default).

@Suite("Deterministic simulation of the cluster's object layer")
struct SimulationTests {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// Seeds that found bugs (each fixed, see decision 0016); each must pass. Code changes move
    /// their schedules, so they guard less over time than the tests each fix added.
    static let regressions: [UInt64] = [
        157, 316, 1875, 3624, 5797, 7248, 7264, 7392, 8676, 10755, 12218, 13270, 14555, 604_375_963_404,
        637_573_266_059,
    ]

    /// Runs `seeds`, two at a time (one scheduler thread each); returns the failures and the
    /// number of operations checked.
    static func run(_ seeds: [UInt64], flaw: SimCluster.Flaw? = nil) async -> (failures: [SimOutcome], operations: Int) {
        await withTaskGroup(of: (SimOutcome?, Int).self) { group in
            var iterator = seeds.makeIterator()
            var failures: [SimOutcome] = []
            var operations = 0
            func next() -> Bool {
                guard let seed = iterator.next() else { return false }
                group.addTask {
                    let outcome = await SimRunner.run(seed: seed, plan: SimPlan.generate(seed: seed), flaw: flaw)
                    return (outcome.failed ? outcome : nil, outcome.history.count)
                }
                return true
            }
            _ = next()
            _ = next()
            while let (failure, count) = await group.next() {
                operations += count
                if let failure { failures.append(failure) }
                _ = next()
            }
            return (failures.sorted { $0.seed < $1.seed }, operations)
        }
    }

    /// The report of a failure: shrunk, with what replays it.
    static func report(_ failure: SimOutcome, flaw: SimCluster.Flaw? = nil) async -> String {
        let (shrunk, runs) = await SimShrinker.shrink(failure, flaw: flaw)
        return """
            seed \(failure.seed) failed (replay: STOWAGE_SIM_SEED=\(failure.seed) swift test --filter SimulationTests):
            \(failure.problems.joined(separator: "\n"))
            shrunk in \(runs) runs to:
            \(shrunk.plan)
            \(shrunk.history.sorted { $0.start < $1.start }.map(SimRunner.describe).joined(separator: "\n"))
            \(shrunk.problems.joined(separator: "\n"))
            """
    }

    @Test("thousands of seeded runs of clients, faults and healing are linearizable and converge")
    func manySeeds() async {
        // CI runs the fixed seeds; `scripts/simulate` explores others (STOWAGE_SIM_FIRST).
        let first = UInt64(Self.environment["STOWAGE_SIM_FIRST"] ?? "") ?? 1
        let count = UInt64(Self.environment["STOWAGE_SIM_SEEDS"] ?? "") ?? 2000
        let seeds = Array(first..<(first + count)) + (first == 1 ? Self.regressions : [])
        let started = ContinuousClock.now
        let (failures, operations) = await Self.run(seeds.filter { !Self.open.keys.contains($0) })
        print(
            "simulation: \(seeds.count) seeds (\(first)…\(first + count - 1)), \(operations) operations, "
                + "\(failures.count) failed, in \(ContinuousClock.now - started)")
        if let first = failures.first {
            Issue.record("\(failures.count) seeds failed: \(failures.map(\.seed))\n\(await Self.report(first))")
        }
    }

    /// Seeds that fail today, and why (open in issue 13; see decision 0016). Each is checked:
    /// the test fails once one passes, so the list stays true.
    static let open: [UInt64: String] = [:]

    @Test("the seeds of open bugs still fail as described")
    func openBugs() async {
        for (seed, bug) in Self.open.sorted(by: { $0.key < $1.key }) {
            let outcome = await SimRunner.run(seed: seed, plan: SimPlan.generate(seed: seed))
            withKnownIssue("seed \(seed): \(bug)") {
                if outcome.failed { Issue.record("\(outcome.problems.joined(separator: "\n"))") }
            }
        }
    }

    @Test("a seed replays exactly: the same history, times and problems")
    func replaysExactly() async {
        // Seed 41: 4 nodes, faults of several kinds.
        for seed: UInt64 in [41, 2020] {
            let plan = SimPlan.generate(seed: seed)
            let one = await SimRunner.run(seed: seed, plan: plan)
            let two = await SimRunner.run(seed: seed, plan: plan)
            #expect(one.history.count > 20)
            #expect(one.history == two.history)
            #expect(one.problems == two.problems)
            #expect(one.virtualTime == two.virtualTime)
        }
    }

    @Test("it finds what fencing and the cluster-wide lock prevent, and shrinks it", arguments: [
        SimCluster.Flaw.nodeLocalLocks, .unfencedDrives,
    ])
    func findsPlantedFlaws(_ flaw: SimCluster.Flaw) async {
        let (failures, _) = await Self.run(Array(1...400), flaw: flaw)
        #expect(!failures.isEmpty, "no seed of 400 found \(flaw)")
        guard let first = failures.first else { return }
        // The flaw, not the seed, fails them: without it they pass.
        for failure in failures.prefix(3) {
            let fixed = await SimRunner.run(seed: failure.seed, plan: failure.plan)
            #expect(!fixed.failed, "seed \(failure.seed) fails without \(flaw): \(fixed.problems)")
        }
        let (shrunk, _) = await SimShrinker.shrink(first, flaw: flaw)
        #expect(shrunk.failed)
        #expect(shrunk.plan.operationCount < first.plan.operationCount)
        print("\(flaw): \(failures.count) of 400 seeds failed; seed \(first.seed) shrunk from \(first.plan.operationCount) to \(shrunk.plan.operationCount) operations:\n\(shrunk.plan)\n\(shrunk.problems.joined(separator: "\n"))")
    }

    @Test("replay one seed (STOWAGE_SIM_SEED)")
    func replayOne() async {
        guard let text = Self.environment["STOWAGE_SIM_SEED"], let seed = UInt64(text) else { return }
        SimTrace.on = Self.environment["STOWAGE_SIM_TRACE"] != nil
        let outcome = await SimRunner.run(seed: seed, plan: SimPlan.generate(seed: seed))
        SimTrace.on = false
        print(outcome.plan)
        for op in outcome.history.sorted(by: { $0.start < $1.start }) { print(SimRunner.describe(op)) }
        print(outcome.problems.joined(separator: "\n"))
        if outcome.failed {
            print(await Self.report(outcome))
            if Self.environment["STOWAGE_SIM_TRACE"] != nil {
                let (shrunk, _) = await SimShrinker.shrink(outcome)
                print("trace of the shrunk run:")
                SimTrace.on = true
                _ = await SimRunner.run(seed: seed, plan: shrunk.plan)
                SimTrace.on = false
            }
            Issue.record("seed \(seed) failed")
        }
    }
}
