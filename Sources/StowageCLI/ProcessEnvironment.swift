#if canImport(Glibc)
internal import Glibc
#endif

/// Environment variables as the commands read them: unset and empty both mean "not given".
enum ProcessEnvironment {
    static func value(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }
}
