package import NIOCore
internal import Crypto

/// Who may read `/_stowage/metrics`. Metrics show the deployment's shape and activity, so by
/// default only clients on the loopback interface read them without credentials; anyone else
/// presents the bearer token (`Authorization: Bearer <token>`, as Prometheus sends it) or a
/// SigV4 signature by a configured credential.
package struct MetricsAccess: Sendable, Equatable {
    package enum Mode: String, Sendable, CaseIterable {
        /// Loopback clients freely; others with the token or a signature.
        case loopback
        /// Every client with the token or a signature, loopback included.
        case token
        /// Every client, no credentials (as a scrape target behind a private network).
        case `public`
    }

    package var mode: Mode
    /// nil: no token opens the endpoint (a signature still does).
    package var bearerToken: String?

    package init(mode: Mode = .loopback, bearerToken: String? = nil) {
        self.mode = mode
        self.bearerToken = bearerToken.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether a request may read the metrics without a signature: by mode and address, or
    /// by presenting the token (compared in constant time).
    func admitsWithoutSignature(remoteAddress: SocketAddress?, authorization: String?) -> Bool {
        switch mode {
        case .public: return true
        case .loopback where Self.isLoopback(remoteAddress): return true
        case .loopback, .token: break
        }
        guard let bearerToken, let authorization, authorization.hasPrefix("Bearer ") else { return false }
        let presented = SHA256.hash(data: Array(authorization.utf8.dropFirst(7)))
        return presented == SHA256.hash(data: Array(bearerToken.utf8))
    }

    private static func isLoopback(_ address: SocketAddress?) -> Bool {
        // 127.0.0.0/8, ::1, and ::ffff:127.x.x.x (an IPv4 loopback client of a dual-stack socket).
        guard let ip = address?.ipAddress else { return false }
        return ip.hasPrefix("127.") || ip == "::1" || ip.lowercased().hasPrefix("::ffff:127.")
    }
}
