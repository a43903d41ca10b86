/// The `Credential` of a SigV4 signature: `<access key>/<yyyyMMdd>/<region>/<service>/aws4_request`.
///
/// Parsing checks the shape only; whether the region, service and date are acceptable is the
/// verifier's decision (it answers with different S3 errors for each).
struct SigV4Credential: Sendable, Equatable {
    var accessKey: String
    var date: String
    var region: String
    var service: String
    var terminator: String

    /// `yyyyMMdd/region/service/aws4_request`, the credential scope of the string to sign.
    var scope: String { "\(date)/\(region)/\(service)/\(terminator)" }

    /// Nil unless there are exactly five non-empty parts and the date is eight digits.
    init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, parts.allSatisfy({ !$0.isEmpty }),
            parts[1].utf8.count == 8,
            parts[1].utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        accessKey = String(parts[0])
        date = String(parts[1])
        region = String(parts[2])
        service = String(parts[3])
        terminator = String(parts[4])
    }
}
