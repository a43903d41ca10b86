"""`stowage bench` in its smoke mode, against a real server: every profile runs, sees no errors and
reports every field. Only that it works is checked here, never how fast it is.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from e2e_support import ACCESS_KEY, SECRET_KEY
from stowage_process import StowageServer, stowage_binary

PROFILES = ["put-small", "get-small", "put-large", "get-large", "mixed", "list", "delete"]
REPORT_FIELDS = {
    "profile", "endpoint", "bucket", "smoke", "concurrency", "objectSizeBytes", "objectCount", "keysPerRequest",
    "preparationSeconds", "durationSeconds", "operations", "operationsPerSecond", "bytes", "megabytesPerSecond",
    "errorCount", "errors", "latencyMilliseconds", "server",
}
BENCH_TIMEOUT_SECONDS = 60


@pytest.fixture(scope="module")
def bench_server(tmp_path_factory) -> StowageServer:
    """One private server for the whole file; each profile works in a bucket of its own."""
    base = tmp_path_factory.mktemp("bench")
    server = StowageServer(base / "data", base / "server.log", ACCESS_KEY, SECRET_KEY)
    server.start()
    yield server
    server.stop()


def run_bench(server: StowageServer, *arguments: str, secret_key: str | None = None) -> subprocess.CompletedProcess:
    """Runs `stowage bench` with the server's credentials in the environment, as an operator would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOWAGE_ROOT_")}
    env["STOWAGE_ROOT_USER"] = server.access_key
    env["STOWAGE_ROOT_PASSWORD"] = secret_key or server.secret_key
    command = [str(stowage_binary()), "bench", *arguments, "--endpoint", server.endpoint]
    return subprocess.run(command, capture_output=True, env=env, timeout=BENCH_TIMEOUT_SECONDS, text=True)


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_runs_in_smoke_mode_without_errors_and_reports_every_field(bench_server, profile):
    completed = run_bench(
        bench_server, profile, "--smoke", "--json", "--server-pid", str(bench_server.pid), "--bucket", f"bench-{profile}"
    )
    assert completed.returncode == 0, f"exit {completed.returncode}\n{completed.stderr}\n{bench_server.log_tail()}"
    report = json.loads(completed.stdout)
    assert REPORT_FIELDS <= set(report), f"missing fields: {REPORT_FIELDS - set(report)}"
    assert report["profile"] == profile
    assert report["smoke"] is True
    assert report["errorCount"] == 0 and report["errors"] == {}, report["errors"]
    assert report["operations"] > 0
    assert set(report["latencyMilliseconds"]) >= {"p50", "p90", "p99", "max"}
    latency = report["latencyMilliseconds"]
    assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]
    server = report["server"]
    assert server["pid"] == bench_server.pid
    assert server["peakRSSBytes"] > 0 and server["vmHWMBytes"] >= server["vmRSSBytes"] > 0
    if profile in ("get-small", "get-large", "mixed", "list", "delete"):
        assert report["preparationSeconds"] > 0, "the objects this profile reads were not written first"


def test_text_report_names_throughput_and_latency_percentiles(bench_server):
    completed = run_bench(bench_server, "put-small", "--smoke", "--requests", "20", "--bucket", "bench-text")
    assert completed.returncode == 0, completed.stderr
    for word in ("ops/s", "MB/s", "errors", "p50", "p90", "p99", "max"):
        assert word in completed.stdout, completed.stdout


def test_wrong_secret_fails_set_up_with_a_nonzero_exit_and_says_why(bench_server):
    completed = run_bench(bench_server, "put-small", "--smoke", "--bucket", "bench-denied", secret_key="not-the-secret")
    assert completed.returncode != 0
    assert "SignatureDoesNotMatch" in completed.stderr, completed.stderr


def test_unknown_profile_is_a_usage_error(bench_server):
    completed = run_bench(bench_server, "no-such-profile")
    assert completed.returncode != 0
    assert "put-small" in completed.stderr
