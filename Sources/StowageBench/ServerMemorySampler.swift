#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Reads the memory of the server process from Linux `/proc/PID/status`: `VmRSS` (resident now)
/// and `VmHWM` (the highest resident size since the process started).
///
/// `VmHWM` covers the whole life of the process, set-up writes and earlier runs included; the
/// sampled peak covers only the measured run, at a 100 ms grain (a spike between samples is
/// missed). Elsewhere than Linux, or once the process is gone, readings are nil.
struct ServerMemorySampler: Sendable {
    let pid: Int32

    /// `VmRSS` and `VmHWM` in bytes, or nil when the status file cannot be read.
    func reading() -> (residentBytes: Int, highWaterMarkBytes: Int)? {
        let descriptor = open("/proc/\(pid)/status", O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: 8192)
        var length = 0
        while length < bytes.count {
            let n = bytes.withUnsafeMutableBytes { raw in
                read(descriptor, raw.baseAddress! + length, raw.count - length)
            }
            if n <= 0 { break }
            length += n
        }
        let text = String(decoding: bytes[..<length], as: UTF8.self)
        var resident: Int?
        var highWaterMark: Int?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("VmRSS:") { resident = Self.kibibytes(line) }
            if line.hasPrefix("VmHWM:") { highWaterMark = Self.kibibytes(line) }
        }
        guard let resident, let highWaterMark else { return nil }
        return (resident * 1024, highWaterMark * 1024)
    }

    /// Reads `VmRSS` every `interval` until the task is cancelled; returns the highest value seen,
    /// nil if no reading succeeded.
    func samplePeakResidentBytes(every interval: Duration = .milliseconds(100)) async -> Int? {
        var peak: Int?
        while !Task.isCancelled {
            if let reading = reading() { peak = max(peak ?? 0, reading.residentBytes) }
            try? await Task.sleep(for: interval)
        }
        return peak
    }

    /// `VmRSS:	  123456 kB` → 123456.
    private static func kibibytes(_ line: Substring) -> Int? {
        line.split(separator: " ", omittingEmptySubsequences: true)
            .lazy.flatMap { $0.split(separator: "\t") }
            .compactMap { Int($0) }.first
    }
}
