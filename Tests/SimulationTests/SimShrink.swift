/// Makes a failing plan smaller while it still fails with the same seed: drops faults, whole
/// clients, then single operations, and again while any step helped (greedy, like a delta
/// debugger). What is left is what the failure needs.
enum SimShrinker {
    static func shrink(_ failing: SimOutcome, flaw: SimCluster.Flaw? = nil, maxRuns: Int = 400) async -> (SimOutcome, runs: Int) {
        var best = failing
        var runs = 0
        func attempt(_ plan: SimPlan) async -> Bool {
            guard runs < maxRuns, plan != best.plan else { return false }
            runs += 1
            let outcome = await SimRunner.run(seed: failing.seed, plan: plan, flaw: flaw)
            guard outcome.failed else { return false }
            best = outcome
            return true
        }
        var progress = true
        while progress && runs < maxRuns {
            progress = false
            for index in best.plan.events.indices.reversed() where index < best.plan.events.count {
                var plan = best.plan
                plan.events.remove(at: index)
                if await attempt(plan) { progress = true }
            }
            for client in best.plan.clients.indices.reversed() where best.plan.clients.count > 1 && client < best.plan.clients.count {
                var plan = best.plan
                plan.clients.remove(at: client)
                if await attempt(plan) { progress = true }
            }
            for client in best.plan.clients.indices {
                // Halves first, then single operations, from the end.
                let count = best.plan.clients[client].count
                if count > 3 {
                    var plan = best.plan
                    plan.clients[client].removeLast(count / 2)
                    if await attempt(plan) { progress = true }
                }
                var index = best.plan.clients[client].count - 1
                while index >= 0 && runs < maxRuns {
                    if best.plan.clients[client].count > 1 {
                        var plan = best.plan
                        plan.clients[client].remove(at: index)
                        if await attempt(plan) { progress = true }
                    }
                    index = min(index, best.plan.clients[client].count) - 1
                }
            }
        }
        return (best, runs)
    }
}
