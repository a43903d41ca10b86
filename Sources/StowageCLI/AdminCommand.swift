internal import ArgumentParser
internal import FoundationEssentials
internal import ObjectLayer
internal import S3Protocol
internal import StowageBench
internal import StowageNode

/// `stowage admin …`: a client of a running node's admin API over HTTP, signed with the root
/// credentials like any S3 request. It has no back door: what it can do, `curl` with a SigV4
/// signature can do too.
struct AdminCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Administer a running Stowage node over its admin API.",
        discussion: """
            Requests are signed with STOWAGE_ROOT_USER and STOWAGE_ROOT_PASSWORD (when unset, the \
            development defaults stowageadmin / stowageadmin), exactly as the server reads them.
            """,
        subcommands: [Heal.self, Status.self]
    )

    /// What every admin command takes.
    struct Options: ParsableArguments {
        @Option(help: "The node's S3 endpoint, http://host:port.")
        var endpoint: String = "http://127.0.0.1:9000"

        @Option(help: "The region the node answers as (its --region).")
        var region: String = "us-east-1"

        @Flag(help: "Print the node's JSON answer as it is.")
        var json = false

        /// A client for the endpoint, signing with the root credentials from the environment.
        func client() throws -> AdminClient {
            guard let parsed = BenchEndpoint(parsing: endpoint) else {
                throw ValidationError("--endpoint must be http://host:port (TLS is not supported)")
            }
            let accessKey = ProcessEnvironment.value("STOWAGE_ROOT_USER") ?? NodeConfiguration.defaultRootUser
            let secretKey = ProcessEnvironment.value("STOWAGE_ROOT_PASSWORD") ?? NodeConfiguration.defaultRootPassword
            return AdminClient(
                endpoint: parsed, signer: SigV4Signer(accessKey: accessKey, secretKey: secretKey, region: region))
        }
    }

    /// `stowage admin heal [bucket[/prefix]]`.
    struct Heal: ParsableCommand, AsyncSubcommand {
        static let configuration = CommandConfiguration(
            commandName: "heal",
            abstract: "Check the drives, then heal every object (or those under bucket/prefix).",
            discussion: """
                Waits for the heal to finish, however long it takes. Exits non-zero when the \
                request failed or any object could not be healed.
                """
        )

        @OptionGroup var options: Options

        @Argument(
            help: ArgumentHelp("Heal only this bucket, or only keys under this prefix.", valueName: "bucket[/prefix]"))
        var target: String?

        func execute() async throws {
            let target: HealTarget
            do {
                target = try HealTarget(parsing: self.target ?? "")
            } catch let error as HealTarget.ParseError {
                throw ValidationError(error.description)
            }
            var query: [(name: String, value: String)] = []
            if let bucket = target.bucket { query.append(("bucket", bucket)) }
            if !target.prefix.isEmpty { query.append(("prefix", target.prefix)) }
            let client = try options.client()
            let response = try await AdminCommand.send(
                "heal", with: client, method: "POST", path: "/_stowage/admin/v1/heal", query: query)
            let report: HealReport = try AdminCommand.decode(response, command: "heal")
            FileOutput.standardOutput(
                options.json ? String(decoding: response.body, as: UTF8.self) : AdminText.heal(report))
            if !report.failures.isEmpty {
                FileOutput.standardError("stowage admin heal: \(report.failures.count) object(s) could not be healed\n")
                throw ExitCode.failure
            }
        }
    }

    /// `stowage admin status`.
    struct Status: ParsableCommand, AsyncSubcommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show the drives (with free space), erasure sets and healing counters; in a cluster also every node (up or down, version, uptime), the layout version and etcd's health.",
            aliases: ["info"]
        )

        @OptionGroup var options: Options

        func execute() async throws {
            let client = try options.client()
            let response = try await AdminCommand.send(
                "status", with: client, method: "GET", path: "/_stowage/admin/v1/status")
            let status: NodeStatus = try AdminCommand.decode(response, command: "status")
            FileOutput.standardOutput(
                options.json ? String(decoding: response.body, as: UTF8.self) : AdminText.status(status))
        }
    }

    /// What `stowage admin heal` was asked to heal: everything, one bucket, or one prefix of it.
    struct HealTarget: Equatable {
        struct ParseError: Error, CustomStringConvertible {
            var description: String
        }

        /// Nil for every bucket.
        var bucket: String?
        /// Empty for the whole bucket.
        var prefix: String

        /// Parses `""` (everything), `bucket`, `bucket/` (the whole bucket) or `bucket/prefix`;
        /// the prefix is everything after the first `/`, slashes included.
        init(parsing text: String) throws {
            guard !text.isEmpty else {
                self.bucket = nil
                self.prefix = ""
                return
            }
            let slash = text.firstIndex(of: "/") ?? text.endIndex
            let bucket = String(text[..<slash])
            guard BucketNameRules.validate(bucket) else {
                throw ParseError(description: "'\(bucket)' is not a valid bucket name; expected bucket[/prefix]")
            }
            self.bucket = bucket
            self.prefix = slash == text.endIndex ? "" : String(text[text.index(after: slash)...])
        }
    }

    // MARK: Shared steps

    /// Sends one request; on a network failure or an error status, explains it on standard
    /// error and exits non-zero.
    static func send(
        _ command: String, with client: AdminClient, method: String, path: String,
        query: [(name: String, value: String)] = []
    ) async throws -> AdminResponse {
        let response: AdminResponse
        do {
            response = try await client.send(method: method, path: path, query: query)
        } catch let error as AdminClientError {
            FileOutput.standardError("stowage admin \(command): \(error.description)\n")
            throw ExitCode.failure
        }
        guard response.isSuccess else {
            FileOutput.standardError("stowage admin \(command): \(response.errorDescription)\n")
            throw ExitCode.failure
        }
        return response
    }

    /// The JSON answer as `T`; an answer that is not one explains itself and exits non-zero.
    static func decode<T: Decodable>(_ response: AdminResponse, command: String) throws -> T {
        // JSONDecoder reads only Foundation's Data. This is a cold path (one small document per
        // command), the kind of JSON coding the repository's Data rule allows.
        let json = Data(response.body)
        do {
            return try JSONDecoder().decode(T.self, from: json)
        } catch {
            FileOutput.standardError("stowage admin \(command): the node's answer is not the expected JSON: \(error)\n")
            throw ExitCode.failure
        }
    }
}
