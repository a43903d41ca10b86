/// Everything a node needs to start, resolved from the command line and the environment.
package struct NodeConfiguration: Sendable {
    package static let defaultRootUser = "stowageadmin"
    package static let defaultRootPassword = "stowageadmin"

    package var host: String
    package var port: Int
    package var region: String
    package var virtualHostDomains: [String]
    package var dataDirectory: String
    package var rootUser: String
    package var rootPassword: String
    /// True when the credentials are the documented development defaults.
    package var usesDefaultCredentials: Bool
    /// Free bytes kept back from writes; nil picks the drive's default.
    package var reserveBytes: Int64?
    /// Seconds a connection may sit idle (including mid-request) before it is closed.
    package var idleTimeoutSeconds: Int64

    package init(
        host: String, port: Int, region: String, virtualHostDomains: [String], dataDirectory: String,
        rootUser: String?, rootPassword: String?, reserveBytes: Int64?, idleTimeoutSeconds: Int64
    ) {
        self.host = host
        self.port = port
        self.region = region
        self.virtualHostDomains = virtualHostDomains
        self.dataDirectory = dataDirectory
        self.usesDefaultCredentials = rootUser == nil || rootPassword == nil
        self.rootUser = rootUser ?? Self.defaultRootUser
        self.rootPassword = rootPassword ?? Self.defaultRootPassword
        self.reserveBytes = reserveBytes
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }
}
