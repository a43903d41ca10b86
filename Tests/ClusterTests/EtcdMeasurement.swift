import AsyncHTTPClient
import Cluster
import Foundation
import StowageTesting
import Testing

/// Not a check: prints what an etcd round trip costs through the JSON gateway, for decision 0009.
/// Run with `STOWAGE_RPC_MEASURE=1 swift test --filter EtcdMeasurement`.
@Suite("etcd measurement", .enabled(if: ProcessInfo.processInfo.environment["STOWAGE_RPC_MEASURE"] == "1"))
struct EtcdMeasurement {
    @Test("get, put and compare-and-swap round trips, one at a time")
    func measure() async throws {
        try await EtcdClientTests.withEtcd { etcd, _ in
            let rounds = 500
            try await etcd.put("/m", value: [1])
            var start = ContinuousClock.now
            for _ in 0..<rounds { _ = try await etcd.get("/m") }
            let get = (ContinuousClock.now - start) / rounds
            start = ContinuousClock.now
            for index in 0..<rounds { try await etcd.put("/m", value: [UInt8(truncatingIfNeeded: index)]) }
            let put = (ContinuousClock.now - start) / rounds
            start = ContinuousClock.now
            var revision = try await etcd.get("/m")!.modRevision
            for index in 0..<rounds {
                #expect(try await etcd.compareAndSwap("/m", modRevision: revision, value: [UInt8(truncatingIfNeeded: index)]))
                revision += 1
            }
            let swap = (ContinuousClock.now - start) / rounds
            print("etcd JSON gateway: get \(get), put \(put), compare-and-swap \(swap) per call")
        }
    }
}
