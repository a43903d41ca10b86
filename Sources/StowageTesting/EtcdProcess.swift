internal import AsyncHTTPClient
internal import Foundation
internal import Glibc
internal import NIOHTTP1
internal import NIOCore
internal import NIOPosix

/// A real single-member etcd (Debian's `etcd-server`) on free loopback ports, in a temporary
/// folder, for tests; `stop()` ends the process it started (by its PID) and removes the folder.
package final class EtcdProcess: @unchecked Sendable {
    /// `http://127.0.0.1:PORT`.
    package let clientURL: String
    private var process: Process
    private let folder: TemporaryDirectory

    package struct StartError: Error, CustomStringConvertible {
        package var description: String
    }

    private init(clientURL: String, process: Process, folder: TemporaryDirectory) {
        self.clientURL = clientURL
        self.process = process
        self.folder = folder
    }

    /// Starts etcd and returns once it answers `/health`.
    package static func start(binary: String = "/usr/bin/etcd") async throws -> EtcdProcess {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw StartError(description: "\(binary) is missing: run scripts/install-test-deps (it installs etcd-server)")
        }
        let clientPort = try await freePort()
        let peerPort = try await freePort()
        let folder = TemporaryDirectory()
        let client = "http://127.0.0.1:\(clientPort)"
        let peer = "http://127.0.0.1:\(peerPort)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--name", "test", "--data-dir", folder.path + "/data", "--listen-client-urls", client,
            "--advertise-client-urls", client, "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "test=\(peer)", "--log-level", "error",
        ]
        let etcd = EtcdProcess(clientURL: client, process: process, folder: folder)
        do {
            try await etcd.run()
        } catch {
            etcd.stop()
            throw error
        }
        return etcd
    }

    private func run() async throws {
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            var request = HTTPClientRequest(url: clientURL + "/health")
            request.method = .GET
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(1)), response.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw StartError(description: "etcd did not answer on \(clientURL) within 20 s")
    }

    /// Ends the member at once (SIGKILL), keeping its data: requests to it fail until `restart`,
    /// and nothing sent meanwhile reaches it later (as across a partition that drops packets).
    package func kill() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Starts the member again on its data and ports after `kill`, once it answers.
    package func restart() async throws {
        let next = Process()
        next.executableURL = process.executableURL
        next.arguments = process.arguments
        process = next
        try await run()
    }

    package func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        folder.remove()
    }

    private static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }
}
