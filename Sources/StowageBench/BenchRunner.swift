internal import NIOCore
internal import NIOPosix
internal import S3Protocol

/// Runs one bench profile against an S3 endpoint: creates the bucket when missing, writes the
/// objects the profile needs, runs `concurrency` keep-alive connections back to back for the
/// duration (or request count), and reports.
///
/// Everything runs in structured tasks of the caller (one per connection, plus the memory
/// sampler); nothing outlives `run`. Connections share only an atomic ticket counter.
package enum BenchRunner {
    /// The largest buffer request bodies are cut from; larger bodies repeat it.
    static let payloadBufferBytes = 1 << 20

    /// - Parameter progress: told what is happening before each phase (for a terminal, not for parsing).
    /// - Throws: `BenchError` for invalid options, an unreachable endpoint or a refused set-up
    ///   request. Failures during the measured run are counted in the report instead.
    package static func run(
        _ options: BenchOptions, progress: @Sendable (String) -> Void = { _ in }
    ) async throws -> BenchReport {
        try options.validate()
        let group = MultiThreadedEventLoopGroup.singleton
        let payload = randomPayload(size: max(1, min(options.objectSize, payloadBufferBytes)))
        let signer = SigV4Signer(accessKey: options.accessKey, secretKey: options.secretKey, region: options.region)
        let clock = ContinuousClock()

        try await createBucket(options, group: group, signer: signer)

        var preparationSeconds = 0.0
        if options.profile.writesObjectsFirst {
            progress(
                "writing \(options.objectCount) objects of \(BenchReport.bytes(options.objectSize)) "
                    + "under \(options.bucket)/\(options.profile.keyPrefix) …")
            let start = clock.now
            let statistics = await runPhase(
                BenchWorkload(preparing: options), connections: min(options.concurrency, options.objectCount),
                options: options, group: group, payload: payload, signer: signer, deadline: nil)
            preparationSeconds = seconds(clock.now - start)
            guard statistics.errorCount == 0, statistics.operations == options.objectCount else {
                throw BenchError(
                    "writing the \(options.objectCount) objects of \(options.profile.rawValue) failed: "
                        + statistics.errors.map { "\($0.key) ×\($0.value)" }.sorted().joined(separator: ", "))
            }
        }

        let workload = BenchWorkload(measuring: options)
        progress("running \(options.profile.rawValue) on \(options.concurrency) connections …")
        let sampler = options.serverPID.map { ServerMemorySampler(pid: $0) }
        let start = clock.now
        let deadline = options.durationSeconds.map { start + .microseconds(Int64(($0 * 1_000_000).rounded())) }
        let (statistics, sampledPeak) = await withTaskGroup(of: Int?.self) { tasks in
            if let sampler {
                tasks.addTask { await sampler.samplePeakResidentBytes() }
            }
            let statistics = await runPhase(
                workload, connections: options.concurrency, options: options, group: group, payload: payload,
                signer: signer, deadline: deadline)
            tasks.cancelAll()
            var peak: Int?
            for await value in tasks { peak = value }
            return (statistics, peak)
        }
        let elapsed = seconds(clock.now - start)
        let final = sampler?.reading()

        return BenchReport(
            options: options, preparationSeconds: preparationSeconds, elapsedSeconds: elapsed,
            statistics: statistics,
            serverPeakResidentBytes: [sampledPeak, final?.residentBytes].compactMap { $0 }.max(),
            serverHighWaterMarkBytes: final?.highWaterMarkBytes, serverResidentBytes: final?.residentBytes)
    }

    /// `connections` workers over copies of `workload`; their statistics merged.
    private static func runPhase(
        _ workload: BenchWorkload, connections: Int, options: BenchOptions, group: any EventLoopGroup,
        payload: ByteBuffer, signer: SigV4Signer, deadline: ContinuousClock.Instant?
    ) async -> BenchStatistics {
        await withTaskGroup(of: BenchStatistics.self) { tasks in
            let endpoints = [options.endpoint] + options.moreEndpoints
            for index in 0..<max(1, connections) {
                tasks.addTask {
                    await BenchWorker.run(
                        workload, endpoint: endpoints[index % endpoints.count], group: group, payload: payload, signer: signer,
                        deadline: deadline)
                }
            }
            var merged = BenchStatistics()
            for await statistics in tasks { merged.merge(statistics) }
            return merged
        }
    }

    /// CreateBucket; an existing bucket of ours (409 BucketAlreadyOwnedByYou) is fine.
    private static func createBucket(_ options: BenchOptions, group: any EventLoopGroup, signer: SigV4Signer)
        async throws
    {
        let request = BenchRequest(
            method: "PUT", rawPath: "/\(options.bucket)", payloadHash: SigV4Crypto.emptySHA256Hex,
            collectsResponseBody: true)
        let response: BenchResponse
        do {
            response = try await BenchConnection.withConnection(
                to: options.endpoint, group: group, payload: ByteBuffer(), signer: signer
            ) { connection in
                try await connection.execute(request)
            }
        } catch let error as BenchError {
            throw error
        } catch {
            throw BenchError("cannot reach \(options.endpoint.url): \(error)")
        }
        let body = response.body.map { String(buffer: $0) } ?? ""
        guard response.isSuccess || body.contains("<Code>BucketAlreadyOwnedByYou</Code>") else {
            let code = BenchWorkload.elementText("Code", in: response.body ?? ByteBuffer()) ?? "no error code"
            throw BenchError("CreateBucket \(options.bucket) answered \(response.status) (\(code))")
        }
    }

    /// Random bytes, so that nothing on the way can compress the bodies.
    private static func randomPayload(size: Int) -> ByteBuffer {
        var generator = SystemRandomNumberGenerator()
        var buffer = ByteBuffer()
        buffer.reserveCapacity(size)
        while buffer.readableBytes + 8 <= size { buffer.writeInteger(generator.next() as UInt64) }
        while buffer.readableBytes < size { buffer.writeInteger(UInt8.random(in: 0...255, using: &generator)) }
        return buffer
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
