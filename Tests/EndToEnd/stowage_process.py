"""A real `stowage server` process on a loopback port, started and stopped by the tests.

The process is the system under test: nothing here knows how the server works inside.
Readiness is decided by polling the port with an HTTP request, never by parsing output.
"""

from __future__ import annotations

import http.client
import os
import random
import signal
import socket
import subprocess
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 15.0


def stowage_binary() -> Path:
    """The binary under test: `$STOWAGE_BIN`, else `<repo>/.build/debug/stowage`."""
    return Path(os.environ.get("STOWAGE_BIN", REPO_ROOT / ".build" / "debug" / "stowage"))


_given_ports: set[int] = set()


def free_loopback_port() -> int:
    """A loopback port nothing listens on, outside the kernel's ephemeral range: a port the kernel hands
    out (bind to 0) can be taken as the local end of an outgoing connection (a node dialling another)
    before the server meant for it binds it; then the server fails with EADDRINUSE."""
    low, high = (int(n) for n in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    # Below the range if it leaves room there, else above it.
    start, end = (10000, low) if low > 12000 else (high + 1, 65536)
    rng = random.SystemRandom()
    for _ in range(1000):
        port = rng.randrange(start, end)
        if port in _given_ports:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given_ports.add(port)
        return port
    raise RuntimeError("no free loopback port outside the ephemeral range")


class StowageServer:
    """One `stowage server` process serving one folder on one loopback port.

    `restart()` keeps the folder and the port, so clients built for the old process keep working.
    """

    def __init__(
        self,
        data_dir: Path,
        log_path: Path,
        access_key: str | None,
        secret_key: str | None,
        region: str = "us-east-1",
        domain: str | None = None,
        port: int | None = None,
        drives: list[Path] | None = None,
        extra_args: list[str] | None = None,
        command_prefix: list[str] | None = None,
        extra_env: dict[str, str] | None = None,
        drive_arguments: list[str] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        # The address it listens on (a network namespace's, in partition tests).
        self.host = host
        # Drive arguments given as they are (a cluster's drive URLs), instead of folders.
        self.drive_arguments = list(drive_arguments) if drive_arguments else None
        self.data_dir = Path(data_dir)
        # Several drive folders (an erasure-coded node) instead of the one data folder.
        self.drives = [Path(d) for d in drives] if drives else None
        self.extra_args = list(extra_args or [])
        # A command that execs the server (e.g. `prlimit --nofile=…`), so the PID stays the server's.
        self.command_prefix = list(command_prefix or [])
        self.extra_env = dict(extra_env or {})
        self.log_path = Path(log_path)
        self.access_key = access_key if access_key is not None else "stowageadmin"
        self.secret_key = secret_key if secret_key is not None else "stowageadmin"
        self._env_access_key = access_key
        self._env_secret_key = secret_key
        self.region = region
        self.domain = domain
        self.port = port or free_loopback_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None, "server is not running"
        return self.process.pid

    def command(self) -> list[str]:
        command = self.command_prefix + [str(stowage_binary()), "server", "--address", f"{self.host}:{self.port}"]
        if self.region != "us-east-1":
            command += ["--region", self.region]
        if self.domain:
            command += ["--domain", self.domain]
        command += self.extra_args
        if self.drive_arguments:
            return command + self.drive_arguments
        if self.drives:
            return command + [str(d) for d in self.drives]
        return command + [str(self.data_dir)]

    def start(self) -> "StowageServer":
        binary = stowage_binary()
        if not binary.exists():
            raise RuntimeError(f"stowage binary not found at {binary}; build it or set STOWAGE_BIN")
        env = {k: v for k, v in os.environ.items() if not k.startswith("STOWAGE_ROOT_")}
        if self._env_access_key is not None:
            env["STOWAGE_ROOT_USER"] = self._env_access_key
        if self._env_secret_key is not None:
            env["STOWAGE_ROOT_PASSWORD"] = self._env_secret_key
        env.update(self.extra_env)
        self._log_file = open(self.log_path, "ab")
        self._log_file.write(f"\n=== start {' '.join(self.command())} ===\n".encode())
        self._log_file.flush()
        self.process = subprocess.Popen(
            self.command(), stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
        self.wait_until_ready()
        return self

    def wait_until_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"stowage exited with {self.process.returncode} before becoming ready:\n{self.log_tail()}"
                )
            try:
                connection = http.client.HTTPConnection(self.host, self.port, timeout=2)
                connection.request("GET", "/")
                connection.getresponse().read()
                connection.close()
                return
            except OSError as error:  # includes ConnectionRefused and http.client errors built on it
                last_error = error
            except http.client.HTTPException as error:
                last_error = error
            time.sleep(0.1)
        raise RuntimeError(f"stowage did not answer on {self.endpoint} within {timeout}s ({last_error}):\n{self.log_tail()}")

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT_SECONDS) -> int | None:
        """Sends `sig`, waits up to `timeout`, then SIGKILLs. Returns the exit code (negative: killed by signal)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        code = self.process.returncode
        self.process = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return code

    def kill(self) -> None:
        """Simulates a crash: SIGKILL, no chance to flush anything."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.stop()

    def restart(self, crash: bool = False) -> "StowageServer":
        """Stops the process (cleanly, or by SIGKILL when `crash`) and starts a new one on the same folder and port."""
        if crash:
            self.kill()
        else:
            self.stop()
        return self.start()

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def status_kib(self, field: str) -> int:
        """A `/proc/PID/status` memory field (VmRSS, VmHWM, ...) in KiB."""
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise KeyError(field)
