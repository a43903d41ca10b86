#if canImport(Glibc)
internal import Glibc
#endif

/// Writes text straight to standard output or standard error (startup banners, CLI reports and
/// progress), unbuffered so it is visible at once.
package enum FileOutput {
    package static func standardOutput(_ text: String) { write(text, to: 1) }

    package static func standardError(_ text: String) { write(text, to: 2) }

    private static func write(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
    }
}
