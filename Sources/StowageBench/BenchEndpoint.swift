/// The S3 endpoint under test: a plain-HTTP host and port (the bench speaks no TLS).
package struct BenchEndpoint: Sendable, Equatable {
    /// A name or address to connect to (IPv6 without brackets).
    package var host: String
    package var port: Int
    /// The `Host` header value: `host:port`, IPv6 in brackets.
    package var hostHeader: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
    /// `http://host:port`, for reports.
    package var url: String { "http://" + hostHeader }

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `http://host[:port][/]` or `host[:port]`; the port defaults to 80. Nil for
    /// `https://`, a path, or a malformed port.
    package init?(parsing text: String) {
        var rest = Substring(text)
        if rest.hasPrefix("http://") {
            rest = rest.dropFirst("http://".count)
        } else if rest.contains("://") {
            return nil
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/") else { return nil }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        let port = portText.map { Int($0) } ?? 80
        guard !host.isEmpty, let port, (1...65535).contains(port) else { return nil }
        self.init(host: String(host), port: port)
    }
}
