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

    /// Appends the UTF-8 bytes of `scope` to `out`.
    func appendScope(to out: inout [UInt8]) {
        out.append(contentsOf: date.utf8)
        out.append(UInt8(ascii: "/"))
        out.append(contentsOf: region.utf8)
        out.append(UInt8(ascii: "/"))
        out.append(contentsOf: service.utf8)
        out.append(UInt8(ascii: "/"))
        out.append(contentsOf: terminator.utf8)
    }

    /// Nil unless there are exactly five non-empty parts and the date is eight digits.
    init?(_ text: some StringProtocol) {
        // Outer nil: not contiguous ASCII; inner nil: not five non-empty parts.
        let ascii: [String]?? =
            text.utf8.withContiguousStorageIfAvailable { bytes -> [String]?? in
                guard bytes.allSatisfy({ $0 < 0x80 }) else { return .none }
                return .some(Self.asciiParts(bytes))
            } ?? .none
        if case .some(let parts) = ascii {
            guard let parts else { return nil }
            self.init(parts: parts)
        } else {
            // Outside ASCII a `/` can combine with the next scalar into one Character, which
            // then does not separate; splitting by Character keeps that rule.
            self.init(characters: text)
        }
    }

    /// The five parts of an ASCII credential; nil when there are not five non-empty ones.
    private static func asciiParts(_ bytes: UnsafeBufferPointer<UInt8>) -> [String]? {
        var parts: [String] = []
        parts.reserveCapacity(5)
        var start = 0
        for i in 0...bytes.count where i == bytes.count || bytes[i] == UInt8(ascii: "/") {
            guard i != start, parts.count < 5 else { return nil }
            parts.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
            start = i + 1
        }
        return parts.count == 5 ? parts : nil
    }

    private init?(characters text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        self.init(parts: parts.map { String($0) })
    }

    private init?(parts: [String]) {
        guard parts[1].utf8.count == 8,
            parts[1].utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        accessKey = parts[0]
        date = parts[1]
        region = parts[2]
        service = parts[3]
        terminator = parts[4]
    }
}
