"""`stowage bench-erasure` in a quick mode (about 1 s, no server): every configuration reports a positive
encode and decode rate. Only that it works is checked here, never how fast it is.
"""

from __future__ import annotations

import json
import subprocess

from stowage_process import stowage_binary

CONFIGURATIONS = ["2+2", "4+2", "4+4", "8+4", "12+4"]
QUICK = ["--seconds", "0.1"]
TIMEOUT_SECONDS = 120


def run_bench_erasure(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(stowage_binary()), "bench-erasure", *arguments], capture_output=True, timeout=TIMEOUT_SECONDS, text=True
    )


def test_every_configuration_reports_positive_encode_and_decode_rates():
    completed = run_bench_erasure(*QUICK, "--json")
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["blockSizeBytes"] == 1 << 20
    assert report["threads"] == 1
    assert [entry["config"] for entry in report["configurations"]] == CONFIGURATIONS
    for entry in report["configurations"]:
        k, m = entry["dataShards"], entry["parityShards"]
        assert entry["shardBytes"] == -(-(1 << 20) // k), entry
        assert entry["encode"]["blocks"] > 0 and entry["encode"]["megabytesPerSecond"] > 0, entry
        assert entry["decode"]["lostShards"] == min(k, m), entry
        assert entry["decode"]["blocks"] > 0 and entry["decode"]["megabytesPerSecond"] > 0, entry


def test_one_configuration_with_an_odd_block_size_in_text():
    completed = run_bench_erasure(*QUICK, "--data", "3", "--parity", "2", "--block-size", "100001")
    assert completed.returncode == 0, completed.stderr
    assert "MB/s" in completed.stdout
    rows = [line.split() for line in completed.stdout.splitlines() if line.strip().startswith("3+2")]
    assert len(rows) == 1, completed.stdout
    encode, decode = float(rows[0][-2]), float(rows[0][-1])
    assert encode > 0 and decode > 0, completed.stdout


def test_no_parity_encodes_and_has_no_decode():
    completed = run_bench_erasure(*QUICK, "--data", "4", "--parity", "0", "--json")
    assert completed.returncode == 0, completed.stderr
    (entry,) = json.loads(completed.stdout)["configurations"]
    assert entry["encode"]["blocks"] > 0
    assert entry["decode"]["lostShards"] == 0 and entry["decode"]["blocks"] == 0


def test_bad_options_are_usage_errors():
    for arguments in (["--data", "4"], ["--data", "0", "--parity", "1"], ["--data", "200", "--parity", "57"],
                      ["--block-size", "lots"], ["--seconds", "0"]):
        completed = run_bench_erasure(*arguments)
        assert completed.returncode != 0, arguments
        assert "Error" in completed.stderr or "error" in completed.stderr, (arguments, completed.stderr)
