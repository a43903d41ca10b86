import Cluster
import Foundation
import NIOCore
import StowageCore
import StowageTesting
import Testing

/// Not a check: prints what a `RemoteDrive` call costs over loopback next to the same call on the
/// local drive, for decision 0009. Run with `STOWAGE_RPC_MEASURE=1 swift test --filter RemoteDriveMeasurement`.
@Suite("RemoteDrive measurement", .enabled(if: ProcessInfo.processInfo.environment["STOWAGE_RPC_MEASURE"] == "1"))
struct RemoteDriveMeasurement {
    @Test("metadata round trip and shard throughput, local against remote")
    func measure() async throws {
        for kind in DriveConformanceTests.Kind.allCases {
            try await DriveConformanceTests.withDrive(kind) { drive, _ in
                try await drive.createBucket(DriveConformanceTests.bucket())
                let calls = 2000
                var start = ContinuousClock.now
                for _ in 0..<calls { _ = try await drive.bucket(named: "b") }
                let perCall = (ContinuousClock.now - start) / calls
                let block = ByteBuffer(bytes: DriveConformanceTests.bytes(1 << 20))
                start = ContinuousClock.now
                let writer = try await drive.createShard(id: .random(), blockSize: 1 << 20)
                for _ in 0..<64 { try await writer.write(block) }
                try await writer.finish()
                let writeSeconds = (ContinuousClock.now - start) / .seconds(1)
                var record = DriveConformanceTests.record("m", data: nil)
                record.size = 64 << 20
                record.parts = [PartLayout(number: 1, size: 64 << 20, etag: "e", shardID: writer.id)]
                _ = try await drive.commitObject(record)
                start = ContinuousClock.now
                let reader = try await drive.openShard(writer.id)
                for index in 0..<64 { _ = try await reader.read(offset: Int64(index) << 20, length: 1 << 20) }
                await reader.close()
                let readSeconds = (ContinuousClock.now - start) / .seconds(1)
                print(
                    "\(kind): bucket(named:) \(perCall) per call; 64 MiB shard write \(Int(64 / writeSeconds)) MiB/s, "
                        + "read \(Int(64 / readSeconds)) MiB/s")
            }
        }
    }
}
