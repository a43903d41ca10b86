internal import ArgumentParser
internal import ErasureCode
internal import NIOCore
internal import StowageNode

/// `stowage bench-erasure`: Reed-Solomon encode and decode throughput on one core, in process
/// (no server, no disks), per K+M configuration.
///
/// Each block of `--block-size` object bytes is split into K data shards of ⌈block/K⌉ bytes (the
/// last one zero-padded). Encode makes the M parity shards in new buffers, as a PUT does; decode
/// rebuilds the first min(M, K) data shards from the others, as a degraded GET does (decode
/// tables cached after the first block, as in the server). Rates are object bytes (the block, not
/// the parity) per second of one thread, in MB of 1,000,000 bytes. Every configuration's decode is
/// checked byte for byte once, so a fast wrong answer cannot be reported.
struct BenchErasureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-erasure",
        abstract: "Measure Reed-Solomon encode and decode throughput on one core (no server).",
        discussion: """
            Without --data/--parity, runs \(Self.defaultConfigurations.map { "\($0.k)+\($0.m)" }.joined(separator: ", ")). \
            Each configuration runs encode, then decode, for --seconds each; --seconds 0.1 is a quick check (CI).
            """
    )

    static let defaultConfigurations: [(k: Int, m: Int)] = [(2, 2), (4, 2), (4, 4), (8, 4), (12, 4)]

    @Option(help: "Data shards K (give --parity too).")
    var data: Int?

    @Option(help: "Parity shards M (give --data too).")
    var parity: Int?

    @Option(help: "Object bytes per block, split into the K data shards (KiB/MiB suffixes).")
    var blockSize: String = "1MiB"

    @Option(help: "Seconds per measurement (encode, then decode, for each configuration).")
    var seconds: Double = 1

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    func validate() throws {
        guard (data == nil) == (parity == nil) else { throw ValidationError("give --data and --parity together") }
        if let data, let parity {
            guard data >= 1, parity >= 0, data + parity <= ReedSolomon.maxTotalShards else {
                throw ValidationError("need --data >= 1, --parity >= 0 and at most 256 shards in all")
            }
        }
        guard let bytes = BenchCommand.byteCount(blockSize), bytes >= 1, bytes <= 1 << 30 else {
            throw ValidationError("--block-size must be 1 byte to 1 GiB, optionally with KiB, MiB or GiB")
        }
        guard seconds > 0, seconds <= 3600 else { throw ValidationError("--seconds must be in (0, 3600]") }
    }

    func run() throws {
        let blockBytes = BenchCommand.byteCount(blockSize)!
        // Shard buffers come from the heap, as in the server: otherwise glibc trims the heap after
        // each block and the rates measure page faults (8+4 encode: 3.1 GB/s instead of 7.3).
        MemoryTuning.keepLargeBuffersInHeap()
        let configurations = data.map { [($0, parity!)] } ?? Self.defaultConfigurations
        var results: [ErasureBenchResult] = []
        for (k, m) in configurations {
            let code: ReedSolomon
            do {
                code = try ReedSolomon(dataShards: k, parityShards: m)
            } catch {
                throw ValidationError("\(k)+\(m): \(error)")
            }
            if !json { FileOutput.standardError("stowage bench-erasure: \(k)+\(m)…\n") }
            results.append(try Self.measure(code, blockBytes: blockBytes, seconds: seconds))
        }
        FileOutput.standardOutput(
            json
                ? ErasureBenchResult.json(results, blockBytes: blockBytes, seconds: seconds)
                : ErasureBenchResult.text(results, blockBytes: blockBytes, seconds: seconds))
    }

    /// Encodes, then decodes, the same block for `seconds` each.
    static func measure(_ code: ReedSolomon, blockBytes: Int, seconds: Double) throws -> ErasureBenchResult {
        let k = code.dataShards, m = code.parityShards
        let shardBytes = (blockBytes + k - 1) / k
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var bytes = [UInt8](repeating: 0, count: shardBytes * k)
        for i in 0..<blockBytes {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            bytes[i] = UInt8(truncatingIfNeeded: state)
        }
        let block = ByteBuffer(bytes: bytes)
        let dataShards = (0..<k).map { block.getSlice(at: $0 * shardBytes, length: shardBytes)! }

        var sink = 0
        let encode = timed(seconds: seconds) { sink &+= code.encode(dataShards).count }
        let parityShards = code.encode(dataShards)

        let lost = Array(0..<min(m, k))
        var damaged: [ByteBuffer?] = dataShards + parityShards
        for index in lost { damaged[index] = nil }
        var decode: (count: Int, seconds: Double)?
        if !lost.isEmpty {
            let rebuilt = try code.reconstruct(damaged, wanted: lost)
            for index in lost where rebuilt[index] != dataShards[index] {
                FileOutput.standardError("stowage bench-erasure: \(k)+\(m) rebuilt shard \(index) wrong\n")
                throw ExitCode.failure
            }
            decode = try timed(seconds: seconds) { sink &+= try code.reconstruct(damaged, wanted: lost).count }
        }
        precondition(sink >= 0, "keeps the measured calls alive")
        return ErasureBenchResult(
            dataShards: k, parityShards: m, shardBytes: shardBytes, lostShards: lost.count,
            encodeBlocks: encode.count, encodeSeconds: encode.seconds,
            decodeBlocks: decode?.count ?? 0, decodeSeconds: decode?.seconds ?? 0)
    }

    /// Runs `operation` at least once and until `seconds` have passed: (runs, seconds taken).
    static func timed(seconds: Double, _ operation: () throws -> Void) rethrows -> (count: Int, seconds: Double) {
        let clock = ContinuousClock()
        let limit = Duration.seconds(seconds)
        let start = clock.now
        var count = 0
        var elapsed = Duration.zero
        repeat {
            try operation()
            count += 1
            elapsed = start.duration(to: clock.now)
        } while elapsed < limit
        let (whole, fraction) = elapsed.components
        return (count, Double(whole) + Double(fraction) * 1e-18)
    }
}

/// One configuration's encode and decode rates.
struct ErasureBenchResult {
    var dataShards: Int
    var parityShards: Int
    var shardBytes: Int
    /// Data shards rebuilt per decoded block: min(M, K); 0 when there is no parity (no decode).
    var lostShards: Int
    var encodeBlocks: Int
    var encodeSeconds: Double
    var decodeBlocks: Int
    var decodeSeconds: Double

    func megabytesPerSecond(blocks: Int, seconds: Double, blockBytes: Int) -> Double {
        seconds > 0 ? Double(blocks) * Double(blockBytes) / seconds / 1_000_000 : 0
    }

    static func text(_ results: [ErasureBenchResult], blockBytes: Int, seconds: Double) -> String {
        var lines = [
            "Reed-Solomon (ISA-L), \(blockBytes)-byte blocks, one thread, "
                + "\(fixed(seconds, 2)) s per measurement; MB/s of object data per core",
            "  config  shard           encode MB/s   decode MB/s  (decode rebuilds M data shards)",
        ]
        for r in results {
            let encode = r.megabytesPerSecond(blocks: r.encodeBlocks, seconds: r.encodeSeconds, blockBytes: blockBytes)
            let decode = r.megabytesPerSecond(blocks: r.decodeBlocks, seconds: r.decodeSeconds, blockBytes: blockBytes)
            lines.append(
                "  " + pad("\(r.dataShards)+\(r.parityShards)", 8) + pad("\(r.shardBytes) B", 14)
                    + pad(fixed(encode, 1), 14, right: true)
                    + pad(r.lostShards > 0 ? fixed(decode, 1) : "n/a", 14, right: true))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ results: [ErasureBenchResult], blockBytes: Int, seconds: Double) -> String {
        let entries = results.map { r in
            let encode = r.megabytesPerSecond(blocks: r.encodeBlocks, seconds: r.encodeSeconds, blockBytes: blockBytes)
            let decode = r.megabytesPerSecond(blocks: r.decodeBlocks, seconds: r.decodeSeconds, blockBytes: blockBytes)
            return "{\"config\": \"\(r.dataShards)+\(r.parityShards)\", \"dataShards\": \(r.dataShards), "
                + "\"parityShards\": \(r.parityShards), \"shardBytes\": \(r.shardBytes), "
                + "\"encode\": {\"blocks\": \(r.encodeBlocks), \"seconds\": \(fixed(r.encodeSeconds, 4)), "
                + "\"megabytesPerSecond\": \(fixed(encode, 2))}, "
                + "\"decode\": {\"lostShards\": \(r.lostShards), \"blocks\": \(r.decodeBlocks), "
                + "\"seconds\": \(fixed(r.decodeSeconds, 4)), \"megabytesPerSecond\": \(fixed(decode, 2))}}"
        }
        return "{\"blockSizeBytes\": \(blockBytes), \"secondsPerMeasurement\": \(fixed(seconds, 3)), "
            + "\"threads\": 1, \"configurations\": [" + entries.joined(separator: ", ") + "]}\n"
    }

    /// `value` with `digits` decimals, without Foundation.
    private static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite, value >= 0, value < 1e15 else { return "0" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int64((value * scale).rounded())
        let whole = scaled / Int64(scale), part = scaled % Int64(scale)
        guard digits > 0 else { return String(whole) }
        let decimals = String(part)
        return "\(whole)." + String(repeating: "0", count: digits - decimals.count) + decimals
    }

    private static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }
}
