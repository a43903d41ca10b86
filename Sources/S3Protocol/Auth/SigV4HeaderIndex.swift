/// Request headers looked up by lowercased name, keeping every value of a repeated name in
/// the order received.
struct SigV4HeaderIndex: Sendable {
    private var storage: [String: [String]] = [:]

    init(_ headers: [(name: String, value: String)]) {
        for header in headers {
            storage[header.name.lowercased(), default: []].append(header.value)
        }
    }

    /// Every value of `lowercasedName`; empty when absent.
    func values(_ lowercasedName: String) -> [String] {
        storage[lowercasedName] ?? []
    }

    /// The single value of `lowercasedName`, nil when absent; repeated values are joined with
    /// `,` as HTTP field combination does.
    func value(_ lowercasedName: String) -> String? {
        guard let values = storage[lowercasedName] else { return nil }
        return values.joined(separator: ",")
    }
}
