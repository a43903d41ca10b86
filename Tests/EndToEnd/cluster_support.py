"""Real etcd members and real `stowage` cluster nodes on loopback, started and stopped by tests.

`EtcdCluster` runs Debian's `etcd` (one or three members); `StowageCluster` runs N `stowage server`
processes that share one drive list (`http://127.0.0.1:PORT/folder` per drive) and that etcd. Every
process is started here, and only processes started here are signalled, by PID.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from botocore.exceptions import ClientError, EndpointConnectionError

from e2e_support import ACCESS_KEY, SECRET_KEY, make_client
from stowage_process import StowageServer, free_loopback_port


def etcd_binary() -> str:
    path = shutil.which("etcd") or "/usr/bin/etcd"
    if not Path(path).exists():
        raise RuntimeError("etcd is not installed: run scripts/install-test-deps (Debian's etcd-server)")
    return path


class EtcdMember:
    def __init__(
        self, name: str, folder: Path, client_port: int, peer_port: int, initial_cluster: str,
        host: str = "127.0.0.1", command_prefix: list[str] | None = None,
    ) -> None:
        self.name = name
        self.host = host
        self.command_prefix = list(command_prefix or [])
        self.folder = folder
        self.client_port = client_port
        self.peer_port = peer_port
        self.initial_cluster = initial_cluster
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = folder.parent / f"{name}.log"

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.client_port}"

    def start(self) -> None:
        state = "existing" if (self.folder / "member").exists() else "new"
        command = [
            *self.command_prefix, etcd_binary(), "--name", self.name, "--data-dir", str(self.folder),
            "--listen-client-urls", self.endpoint, "--advertise-client-urls", self.endpoint,
            "--listen-peer-urls", f"http://{self.host}:{self.peer_port}",
            "--initial-advertise-peer-urls", f"http://{self.host}:{self.peer_port}",
            "--initial-cluster", self.initial_cluster, "--initial-cluster-state", state,
            "--initial-cluster-token", "stowage-e2e",
            # A test machine is slow and shared: etcd's defaults (100 ms / 1 s) elect too eagerly.
            "--heartbeat-interval", "200", "--election-timeout", "2000",
        ]
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.endpoint + "/health", timeout=2) as response:
                return b'"true"' in response.read()
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class EtcdCluster:
    """`size` etcd members on free loopback ports, data under `folder`; with a `network` (netns.Network),
    member i runs in namespace `e<i>` on ports 2379/2380."""

    def __init__(self, folder: Path, size: int = 1, network=None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if network is None:
            places = [("127.0.0.1", free_loopback_port(), free_loopback_port(), []) for _ in range(size)]
        else:
            places = [(network.address(f"e{i}"), 2379, 2380, network.exec_prefix(f"e{i}")) for i in range(size)]
        initial = ",".join(f"etcd{i}=http://{host}:{peer}" for i, (host, _, peer, _) in enumerate(places))
        self.members = [
            EtcdMember(f"etcd{i}", folder / f"etcd{i}", client, peer, initial, host=host, command_prefix=prefix)
            for i, (host, client, peer, prefix) in enumerate(places)
        ]

    @property
    def endpoints(self) -> str:
        return ",".join(member.endpoint for member in self.members)

    def start(self) -> "EtcdCluster":
        for member in self.members:
            member.start()
        deadline = time.monotonic() + 30
        while not all(member.healthy() for member in self.members):
            if time.monotonic() > deadline:
                raise RuntimeError("etcd did not become healthy within 30 s")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        for member in self.members:
            member.stop()

    def leader(self, timeout: float = 30) -> int:
        """The index of the member that leads, as the members report it (their `maintenance/status`)."""
        deadline = time.monotonic() + timeout
        while True:
            statuses = {}
            for index, member in enumerate(self.members):
                request = urllib.request.Request(member.endpoint + "/v3/maintenance/status", data=b"{}", method="POST")
                try:
                    with urllib.request.urlopen(request, timeout=2) as response:
                        statuses[index] = json.loads(response.read())
                except OSError:
                    continue
            ids = {status.get("header", {}).get("member_id"): index for index, status in statuses.items()}
            leaders = {status.get("leader") for status in statuses.values()}
            if len(leaders) == 1 and (leader := leaders.pop()) in ids:
                return ids[leader]
            if time.monotonic() > deadline:
                raise RuntimeError(f"etcd members did not agree on a leader within {timeout} s: {statuses}")
            time.sleep(0.2)


class StowageCluster:
    """`nodes` stowage processes with `drives_per_node` drives each, sharing one layout and etcd; with a
    `network` (netns.Network), node i runs in namespace `n<i>` on port 9000."""

    def __init__(
        self, folder: Path, etcd: EtcdCluster, nodes: int = 4, drives_per_node: int = 2, extra_args: list[str] | None = None,
        network=None, relays=None,
    ) -> None:
        """With `relays` (relay.Relays), every connection a node opens to a peer or to etcd runs through a relay."""
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.etcd = etcd
        if network is None:
            places = [("127.0.0.1", free_loopback_port(), []) for _ in range(nodes)]
        else:
            places = [(network.address(f"n{n + 1}"), 9000, network.exec_prefix(f"n{n + 1}")) for n in range(nodes)]
        self.drive_urls = [
            f"http://{host}:{port}{folder}/node{n + 1}/drive{d + 1}"
            for n, (host, port, _) in enumerate(places)
            for d in range(drives_per_node)
        ]
        etcd_endpoints = etcd.endpoints
        extra_env: dict[str, str] = {}
        if relays is not None:
            etcd_endpoints = ",".join(
                f"http://{relays.host}:{relays.add(f'e{i}', member.host, member.client_port)}"
                for i, member in enumerate(etcd.members))
            extra_env["STOWAGE_TEST_INTERNODE_ROUTES"] = ",".join(
                f"{host}:{port}={relays.host}:{relays.add(f'n{n + 1}', host, port)}"
                for n, (host, port, _) in enumerate(places))
        arguments = [
            "--etcd", etcd_endpoints, "--drive-check-interval", "1", "--internode-timeout", "3",
            *(extra_args or []),
        ]
        self.nodes = [
            StowageServer(
                folder / f"node{n + 1}", folder / f"node{n + 1}.log", ACCESS_KEY, SECRET_KEY, port=port,
                extra_args=arguments, drive_arguments=self.drive_urls, host=host, command_prefix=prefix,
                extra_env=extra_env,
            )
            for n, (host, port, prefix) in enumerate(places)
        ]

    def start(self) -> "StowageCluster":
        for node in self.nodes:
            node.start()
        self.wait_until_writable()
        return self

    def client(self, index: int, **options):
        return make_client(self.nodes[index], **options)

    def wait_until_writable(self, timeout: float = 60) -> None:
        """Until every running node can write (it reaches every other node's drives it needs)."""
        probe = "cluster-probe"
        deadline = time.monotonic() + timeout
        running = [node for node in self.nodes if node.is_running()]
        last: Exception | None = None
        for node in running:
            s3 = make_client(node)
            while True:
                try:
                    try:
                        s3.create_bucket(Bucket=probe)
                    except ClientError as error:
                        if error.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
                            raise
                    s3.put_object(Bucket=probe, Key=f"probe-{node.port}", Body=b"probe")
                    break
                except (ClientError, EndpointConnectionError) as error:
                    last = error
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"node {node.endpoint} could not write within {timeout}s: {last}")
                    time.sleep(0.2)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {node.endpoint}\n{node.log_tail(30)}" for node in self.nodes)


def skewed_clock_env(seconds: float) -> dict[str, str]:
    """Environment that starts a node with its wall clock `seconds` off (the server's test-only
    `STOWAGE_TEST_CLOCK_OFFSET_SECONDS`: every wall-clock read of the node goes through `WallClock`;
    monotonic clocks, which time leases and deadlines, stay true). libfaketime is no option: preloaded into a
    Swift binary it hides the command line from it."""
    return {"STOWAGE_TEST_CLOCK_OFFSET_SECONDS": f"{seconds:g}"}


def pause(process: StowageServer) -> None:
    os.kill(process.pid, signal.SIGSTOP)


def resume(process: StowageServer) -> None:
    os.kill(process.pid, signal.SIGCONT)
