package import ArgumentParser

/// `stowage`: the one binary.
package struct StowageCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "stowage",
        abstract: "An S3-compatible object store.",
        subcommands: [ServerCommand.self, AdminCommand.self, BenchCommand.self, BenchErasureCommand.self, CheckHistoryCommand.self]
    )

    package init() {}

    /// Parses the command line and runs the chosen subcommand, exiting on errors.
    package static func runFromCommandLine() async {
        do {
            var command = try parseAsRoot()
            if let asyncCommand = command as? any AsyncSubcommand {
                try await asyncCommand.execute()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// A subcommand whose work is asynchronous.
protocol AsyncSubcommand {
    func execute() async throws
}
