internal import ArgumentParser
internal import StowageBench
internal import StowageNode

/// `stowage bench PROFILE`: an S3 load generator (SigV4, keep-alive connections) that reports
/// ops/s, MB/s, errors by cause, latency percentiles and, given `--server-pid`, the server's memory.
///
/// The report goes to standard output (text, or one JSON object with `--json`); progress notes
/// go to standard error. Exits 0 when the run completed, whatever its error count; non-zero when
/// it could not run (bad options, endpoint unreachable, set-up refused).
struct BenchCommand: ParsableCommand, AsyncSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure an S3 endpoint: ops/s, MB/s, latency percentiles, server memory.",
        discussion: """
            Profiles:
            \(BenchProfile.summary)

            Each profile creates its bucket if needed and keeps its objects under <profile>/. \
            Defaults depend on the profile; --smoke picks tiny ones (about 2 seconds per profile) \
            for CI, and any option given still wins. Sizes accept KiB/MiB/GiB suffixes (K, M, G too).
            """
    )

    @Argument(help: ArgumentHelp("The workload to run.", valueName: BenchProfile.allCases.map(\.rawValue).joined(separator: "|")))
    var profile: String

    @Option(help: "The S3 endpoint, http://host:port (default http://127.0.0.1:9000); repeat it to spread the connections over several nodes of a cluster.")
    var endpoint: [String] = []

    @Option(help: "Access key (default: $STOWAGE_ROOT_USER, else stowageadmin).")
    var accessKey: String?

    @Option(help: "Secret key (default: $STOWAGE_ROOT_PASSWORD, else stowageadmin).")
    var secretKey: String?

    @Option(help: "Region to sign for.")
    var region: String = "us-east-1"

    @Option(help: "Bucket to use (created if missing).")
    var bucket: String = "stowage-bench"

    @Option(help: "Connections, each with one request in flight (default: 32 small, 4 large, 8 list/delete).")
    var concurrency: Int?

    @Option(help: "Seconds to run (default 10, smoke 2; none when only --requests is given).")
    var duration: Double?

    @Option(help: "Stop after this many requests in all.")
    var requests: Int?

    @Option(help: "Object size (default 4KiB; 256MiB large; 1KiB list/delete; smoke: 1MiB large, 16B list/delete).")
    var objectSize: String?

    @Option(help: "Distinct keys written or read (default 1000 small, 4 large, 5000 list, 20000 delete).")
    var objectCount: Int?

    @Option(help: "Keys per ListObjectsV2 page or DeleteObjects batch (default 1000, smoke 100).")
    var keysPerRequest: Int?

    @Option(name: .customLong("server-pid"), help: "Report this server process's peak and current RSS (Linux /proc).")
    var serverPID: Int32?

    @Flag(help: "Tiny sizes and about 2 seconds, to check that the profile works (CI).")
    var smoke = false

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    func execute() async throws {
        guard let profile = BenchProfile(rawValue: profile) else {
            throw ValidationError(
                "unknown profile '\(profile)'; choose one of: "
                    + BenchProfile.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let endpoints = try (endpoint.isEmpty ? ["http://127.0.0.1:9000"] : endpoint).map { text in
            guard let parsed = BenchEndpoint(parsing: text) else {
                throw ValidationError("--endpoint must be http://host:port (TLS is not supported)")
            }
            return parsed
        }
        var options = BenchOptions(profile: profile, smoke: smoke)
        options.endpoint = endpoints[0]
        options.moreEndpoints = Array(endpoints.dropFirst())
        options.accessKey = accessKey ?? ProcessEnvironment.value("STOWAGE_ROOT_USER") ?? NodeConfiguration.defaultRootUser
        options.secretKey = secretKey ?? ProcessEnvironment.value("STOWAGE_ROOT_PASSWORD") ?? NodeConfiguration.defaultRootPassword
        options.region = region
        options.bucket = bucket
        if let concurrency { options.concurrency = concurrency }
        if let requests {
            options.requestCount = requests
            options.durationSeconds = duration
        } else if let duration {
            options.durationSeconds = duration
        }
        if let objectSize {
            guard let bytes = Self.byteCount(objectSize) else {
                throw ValidationError("--object-size must be a number of bytes, optionally with KiB, MiB or GiB")
            }
            options.objectSize = bytes
        }
        if let objectCount { options.objectCount = objectCount }
        if let keysPerRequest { options.keysPerRequest = keysPerRequest }
        options.serverPID = serverPID
        do {
            try options.validate()
        } catch let error as BenchError {
            throw ValidationError(error.description)
        }

        let report: BenchReport
        do {
            report = try await BenchRunner.run(options) { note in FileOutput.standardError("stowage bench: \(note)\n") }
        } catch let error as BenchError {
            FileOutput.standardError("stowage bench: \(error.description)\n")
            throw ExitCode.failure
        }
        FileOutput.standardOutput(json ? report.json : report.text)
    }

    /// `4096`, `4K`, `4KiB`, `64MiB`, `1G` → bytes (binary multiples); nil when malformed.
    static func byteCount(_ text: String) -> Int? {
        let digits = text.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty, let value = Int(digits) else { return nil }
        let multiplier: Int
        switch text.dropFirst(digits.count).lowercased() {
        case "", "b": multiplier = 1
        case "k", "kb", "kib": multiplier = 1 << 10
        case "m", "mb", "mib": multiplier = 1 << 20
        case "g", "gb", "gib": multiplier = 1 << 30
        default: return nil
        }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : bytes
    }
}
