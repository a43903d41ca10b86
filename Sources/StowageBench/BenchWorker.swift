internal import NIOCore
internal import S3Protocol

/// The loop of one connection: requests back to back until the deadline passes or the workload
/// has no more, reconnecting when the server closes the connection or it fails.
enum BenchWorker {
    /// Consecutive failed connection attempts after which a worker gives up.
    static let maxConsecutiveConnectFailures = 3

    /// Runs `workload` on one connection at a time and returns what it measured. Never throws:
    /// failures are counted (`"connect"`, `"network"`, HTTP statuses) in the statistics.
    ///
    /// A request already sent when the deadline passes is completed and counted.
    static func run(
        _ workload: BenchWorkload, endpoint: BenchEndpoint, group: any EventLoopGroup, payload: ByteBuffer,
        signer: SigV4Signer, deadline: ContinuousClock.Instant?
    ) async -> BenchStatistics {
        let clock = ContinuousClock()
        var workload = workload
        var statistics = BenchStatistics()
        var finished = false
        var consecutiveConnectFailures = 0
        while !finished, !Task.isCancelled {
            if let deadline, clock.now >= deadline { break }
            var connected = false
            do {
                try await BenchConnection.withConnection(
                    to: endpoint, group: group, payload: payload, signer: signer
                ) { connection in
                    connected = true
                    consecutiveConnectFailures = 0
                    while true {
                        if let deadline, clock.now >= deadline { break }
                        guard let request = workload.nextRequest() else { break }
                        let start = clock.now
                        let response: BenchResponse
                        do {
                            response = try await connection.execute(request)
                        } catch {
                            statistics.recordError("network")
                            throw error
                        }
                        let latency = clock.now - start
                        if let cause = workload.failure(of: response, to: request) {
                            statistics.recordError(cause)
                        } else {
                            statistics.recordSuccess(
                                latencyMicroseconds: microseconds(latency),
                                bytes: request.body.count + response.bodyByteCount)
                        }
                        // The server is closing this connection: open another.
                        if !response.keepAlive { return }
                    }
                    finished = true
                }
            } catch {
                guard !connected else { continue }
                statistics.recordError("connect")
                consecutiveConnectFailures += 1
                if consecutiveConnectFailures >= maxConsecutiveConnectFailures { break }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        return statistics
    }

    static func microseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
    }
}
