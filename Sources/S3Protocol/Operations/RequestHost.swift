/// A request's `Host` header, parsed once: the one place that reads it.
///
/// Routing (path or virtual-hosted style), SigV2's canonical resource (which signs the bucket a
/// virtual host names), the admin namespace check and the GET fast path all take their answer
/// from `S3Router.hostBucket(_:)`, which starts here; two parsers of one header that disagree
/// about where the port starts or what a trailing dot means let a signature made for one
/// bucket be replayed against another.
///
/// Accepted: `name[:port]` where the name is letters, digits, `-`, `_` and `.` (a DNS name or
/// an IPv4 address; at most one trailing dot, the fully qualified form; no empty label), or a
/// bracketed IPv6 literal; the port is 1 to 5 digits up to 65535. Everything else (a second
/// colon, an empty port, spaces, non-ASCII bytes — IDNs travel as punycode) is refused.
package struct RequestHost: Sendable, Equatable {
    /// Lowercased, without the trailing dot of a fully qualified name; an IPv6 literal keeps
    /// its brackets.
    package let name: String
    package let port: Int?

    /// nil when `value` is not a valid `host[:port]`.
    package init?(_ value: String) {
        var value = value
        guard
            let parsed: RequestHost = value.withUTF8({ bytes in
                guard let (nameEnd, port) = Self.parse(bytes) else { return nil }
                let name = String(unsafeUninitializedCapacity: nameEnd) { out in
                    for index in 0..<nameEnd { out[index] = ASCII.lowered(bytes[index]) }
                    return nameEnd
                }
                return RequestHost(name: name, port: port)
            })
        else { return nil }
        self = parsed
    }

    private init(name: String, port: Int?) {
        self.name = name
        self.port = port
    }

    /// Whether `value` is a valid `host[:port]`, without building the name.
    package static func isValid(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { parse($0) != nil }
    }

    /// The length of the name as kept (without a trailing dot) and the port; nil when invalid.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> (nameEnd: Int, port: Int?)? {
        guard let first = bytes.first else { return nil }
        var nameEnd: Int
        if first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")), close > 1,
                bytes[1..<close].allSatisfy({ isIPv6LiteralByte($0) })
            else { return nil }
            nameEnd = close + 1
        } else {
            nameEnd = 0
            var previous = UInt8(ascii: ".")  // a leading dot is an empty label
            while nameEnd < bytes.count, bytes[nameEnd] != UInt8(ascii: ":") {
                let byte = bytes[nameEnd]
                guard isNameByte(byte), !(byte == UInt8(ascii: ".") && previous == UInt8(ascii: ".")) else {
                    return nil
                }
                previous = byte
                nameEnd += 1
            }
            guard nameEnd > 0 else { return nil }
        }
        var port: Int?
        if nameEnd < bytes.count {
            guard bytes[nameEnd] == UInt8(ascii: ":") else { return nil }
            let digits = bytes[(nameEnd + 1)...]
            guard (1...5).contains(digits.count), digits.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }) else { return nil }
            let value = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            guard value <= 65_535 else { return nil }
            port = value
        }
        if first != UInt8(ascii: "["), bytes[nameEnd - 1] == UInt8(ascii: ".") {
            nameEnd -= 1
            guard nameEnd > 0 else { return nil }
        }
        return (nameEnd, port)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        ASCII.lowered(byte) &- UInt8(ascii: "a") < 26 || byte &- UInt8(ascii: "0") < 10 || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
    }

    private static func isIPv6LiteralByte(_ byte: UInt8) -> Bool {
        PercentEncoding.hexValue(byte) != nil || byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".")
    }

    /// The error for a Host header that is not a valid `host[:port]`, or for more than one.
    package static func invalid(_ value: String) -> S3Error {
        S3Error(
            .invalidArgument, "The Host header is not a valid host[:port].",
            details: [("ArgumentName", "Host"), ("ArgumentValue", value)])
    }
}
