internal import Histogram

/// The outcome of one bench run: what was run, throughput, errors by cause, latency
/// percentiles, and the server's memory when its pid was given.
///
/// Rates are over the measured run only (setting up the bucket and writing the objects a
/// profile reads are not counted). MB/s counts request and response body bytes of successful
/// requests, in units of 1,000,000 bytes.
package struct BenchReport: Sendable {
    package var options: BenchOptions
    /// Seconds spent writing the objects the profile reads (0 when it writes none first).
    package var preparationSeconds: Double
    /// Wall-clock seconds of the measured run, from its start to the last response.
    package var elapsedSeconds: Double
    package var statistics: BenchStatistics
    /// The highest `VmRSS` sampled during the measured run, in bytes.
    package var serverPeakResidentBytes: Int?
    /// `VmHWM` at the end: the highest resident size in the server's whole life, in bytes.
    package var serverHighWaterMarkBytes: Int?
    /// `VmRSS` at the end, in bytes.
    package var serverResidentBytes: Int?

    package var operationsPerSecond: Double {
        elapsedSeconds > 0 ? Double(statistics.operations) / elapsedSeconds : 0
    }

    package var megabytesPerSecond: Double {
        elapsedSeconds > 0 ? Double(statistics.bytes) / elapsedSeconds / 1_000_000 : 0
    }

    /// The latency at `percentile` (0–100) in milliseconds; 0 when nothing succeeded.
    package func latencyMilliseconds(atPercentile percentile: Double) -> Double {
        guard statistics.latencies.totalCount > 0 else { return 0 }
        return Double(statistics.latencies.valueAtPercentile(percentile)) / 1000
    }

    package var maxLatencyMilliseconds: Double {
        statistics.latencies.totalCount > 0 ? Double(statistics.latencies.max) / 1000 : 0
    }

    package var meanLatencyMilliseconds: Double {
        statistics.latencies.totalCount > 0 ? statistics.latencies.mean / 1000 : 0
    }

    /// A few lines for people.
    package var text: String {
        var lines: [String] = []
        let size = options.profile == .list || options.profile == .delete
            ? "\(options.keysPerRequest) keys/request" : "\(Self.bytes(options.objectSize)) objects"
        lines.append(
            "\(options.profile.rawValue)  \(options.endpoint.url)  bucket \(options.bucket)  "
                + "\(options.concurrency) connections  \(size)  \(options.objectCount) keys"
                + (options.smoke ? "  (smoke)" : ""))
        if preparationSeconds > 0 {
            lines.append("  prepared   \(options.objectCount) objects in \(Self.fixed(preparationSeconds, 2)) s")
        }
        lines.append(
            "  ops        \(statistics.operations) in \(Self.fixed(elapsedSeconds, 2)) s  "
                + "\(Self.fixed(operationsPerSecond, 1)) ops/s  \(Self.fixed(megabytesPerSecond, 2)) MB/s")
        let errors = statistics.errors.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        lines.append("  errors     \(statistics.errorCount)" + (errors.isEmpty ? "" : "  (\(errors.joined(separator: ", ")))"))
        lines.append(
            "  latency    p50 \(Self.fixed(latencyMilliseconds(atPercentile: 50), 3)) ms  "
                + "p90 \(Self.fixed(latencyMilliseconds(atPercentile: 90), 3)) ms  "
                + "p99 \(Self.fixed(latencyMilliseconds(atPercentile: 99), 3)) ms  "
                + "max \(Self.fixed(maxLatencyMilliseconds, 3)) ms")
        if let pid = options.serverPID {
            let peak = serverPeakResidentBytes.map(Self.bytes) ?? "n/a"
            let hwm = serverHighWaterMarkBytes.map(Self.bytes) ?? "n/a"
            let rss = serverResidentBytes.map(Self.bytes) ?? "n/a"
            lines.append("  server     pid \(pid)  peak RSS \(peak) (sampled during run)  VmHWM \(hwm)  RSS now \(rss)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One JSON object (keys in a fixed order), followed by a newline.
    package var json: String {
        var fields: [(String, String)] = [
            ("profile", Self.quoted(options.profile.rawValue)),
            ("endpoint", Self.quoted(options.endpoint.url)),
            ("bucket", Self.quoted(options.bucket)),
            ("smoke", options.smoke ? "true" : "false"),
            ("concurrency", String(options.concurrency)),
            ("objectSizeBytes", String(options.objectSize)),
            ("objectCount", String(options.objectCount)),
            ("keysPerRequest", String(options.keysPerRequest)),
            ("preparationSeconds", Self.fixed(preparationSeconds, 3)),
            ("durationSeconds", Self.fixed(elapsedSeconds, 3)),
            ("operations", String(statistics.operations)),
            ("operationsPerSecond", Self.fixed(operationsPerSecond, 2)),
            ("bytes", String(statistics.bytes)),
            ("megabytesPerSecond", Self.fixed(megabytesPerSecond, 3)),
            ("errorCount", String(statistics.errorCount)),
            (
                "errors",
                "{" + statistics.errors.sorted { $0.key < $1.key }.map { "\(Self.quoted($0.key)): \($0.value)" }
                    .joined(separator: ", ") + "}"
            ),
            (
                "latencyMilliseconds",
                "{\"p50\": \(Self.fixed(latencyMilliseconds(atPercentile: 50), 3)), "
                    + "\"p90\": \(Self.fixed(latencyMilliseconds(atPercentile: 90), 3)), "
                    + "\"p99\": \(Self.fixed(latencyMilliseconds(atPercentile: 99), 3)), "
                    + "\"max\": \(Self.fixed(maxLatencyMilliseconds, 3)), "
                    + "\"mean\": \(Self.fixed(meanLatencyMilliseconds, 3))}"
            ),
        ]
        if let pid = options.serverPID {
            let number = { (value: Int?) in value.map(String.init) ?? "null" }
            fields.append(
                (
                    "server",
                    "{\"pid\": \(pid), \"peakRSSBytes\": \(number(serverPeakResidentBytes)), "
                        + "\"vmHWMBytes\": \(number(serverHighWaterMarkBytes)), "
                        + "\"vmRSSBytes\": \(number(serverResidentBytes))}"
                ))
        } else {
            fields.append(("server", "null"))
        }
        return "{" + fields.map { "\(Self.quoted($0.0)): \($0.1)" }.joined(separator: ", ") + "}\n"
    }

    /// `value` with `digits` decimals (no Foundation formatting); non-finite values as 0.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e15 else { return String(value) }
        let whole = Int64(scaled)
        let integerPart = whole / Int64(scale)
        var text = (value < 0 && whole != 0 ? "-" : "") + String(integerPart)
        if digits > 0 {
            let fraction = String(whole % Int64(scale))
            text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return text
    }

    /// 4096 → `4 KiB`, 268435456 → `256 MiB`, otherwise one decimal.
    static func bytes(_ count: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return (value == value.rounded() ? String(Int(value)) : fixed(value, 1)) + " " + units[unit]
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
