#if canImport(Glibc)
internal import Glibc
#endif

/// Writes text to standard output and flushes it (startup banners, CLI results).
package enum FileOutput {
    package static func standardOutput(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(1, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
    }
}
