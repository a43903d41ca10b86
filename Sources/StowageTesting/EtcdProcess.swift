internal import AsyncHTTPClient
internal import Foundation
internal import Glibc
internal import NIOHTTP1
internal import NIOCore
internal import NIOPosix
internal import NIOFoundationCompat

/// A real etcd member (Debian's `etcd-server`) on free loopback ports, in a temporary folder,
/// for tests, alone or in a cluster; `stop()` ends the process it started (by its PID) and removes the folder.
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
        try await startCluster(members: 1, binary: binary)[0]
    }

    /// Starts a cluster of `members` etcd processes (each on its own free loopback ports, with
    /// etcd's default heartbeat and election timeout) and returns once every one answers `/health`.
    package static func startCluster(members: Int, binary: String = "/usr/bin/etcd") async throws -> [EtcdProcess] {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw StartError(description: "\(binary) is missing: run scripts/install-test-deps (it installs etcd-server)")
        }
        var places: [(client: String, peer: String)] = []
        for _ in 0..<members {
            places.append(("http://127.0.0.1:\(try await freePort())", "http://127.0.0.1:\(try await freePort())"))
        }
        let initial = places.enumerated().map { "m\($0.offset)=\($0.element.peer)" }.joined(separator: ",")
        let started = places.enumerated().map { index, place in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            let folder = TemporaryDirectory()
            process.arguments = [
                "--name", "m\(index)", "--data-dir", folder.path + "/data", "--listen-client-urls", place.client,
                "--advertise-client-urls", place.client, "--listen-peer-urls", place.peer,
                "--initial-advertise-peer-urls", place.peer, "--initial-cluster", initial, "--log-level", "error",
            ]
            return EtcdProcess(clientURL: place.client, process: process, folder: folder)
        }
        do {
            for member in started { try member.launch() }
            for member in started { try await member.waitUntilHealthy() }
        } catch {
            stop(started)
            throw error
        }
        return started
    }

    private func run() async throws {
        try launch()
        try await waitUntilHealthy()
    }

    private func launch() throws {
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
    }

    private func waitUntilHealthy() async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            var request = HTTPClientRequest(url: clientURL + "/health")
            request.method = .GET
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(1)), response.status == .ok,
                let body = try? await response.body.collect(upTo: 1 << 16), String(buffer: body).contains("\"true\"")
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw StartError(description: "etcd did not answer on \(clientURL) within 20 s")
    }

    /// The index of the member of `members` that leads, once they all name the same one.
    package static func leader(of members: [EtcdProcess]) async throws -> Int {
        struct Status: Decodable {
            struct Header: Decodable { var member_id: String }
            var header: Header
            var leader: String?
        }
        for _ in 0..<100 {
            var statuses: [Status] = []
            for member in members {
                var request = HTTPClientRequest(url: member.clientURL + "/v3/maintenance/status")
                request.method = .POST
                request.body = .bytes(ByteBuffer(string: "{}"))
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(2))
                statuses.append(try JSONDecoder().decode(Status.self, from: try await response.body.collect(upTo: 1 << 16)))
            }
            if let leader = statuses.firstIndex(where: { $0.header.member_id == $0.leader }),
                statuses.allSatisfy({ $0.leader == statuses[leader].leader })
            {
                return leader
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw StartError(description: "the etcd members agreed on no leader within 10 s")
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

    /// Ends every member of a cluster and removes their folders. (Members are
    /// never paused with SIGSTOP: Foundation's `Process` can then miss the exit of another child,
    /// and `waitUntilExit` hangs.)
    package static func stop(_ members: [EtcdProcess]) {
        for member in members { member.stop() }
    }

    /// Ends the member (SIGKILL: its data goes with its folder, so a graceful stop buys nothing,
    /// and the wait for its exit, which blocks a thread of the test's, stays short).
    package func stop() {
        kill()
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
