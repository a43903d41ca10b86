"""`scripts/bench-erasure --quick`: large PUT/GET on one drive and on four (erasure-coded) runs end to end.

Specifies: the quick mode exits 0 against the binary under test (`$STOWAGE_BIN`), prints both tables
(large objects per mode, Reed-Solomon per configuration) with positive numbers, writes them to
`--output`, and leaves nothing behind in its temporary folder. Numbers are not judged here.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from stowage_process import REPO_ROOT, stowage_binary

SCRIPT = REPO_ROOT / "scripts" / "bench-erasure"


def test_quick_erasure_benchmark_prints_both_tables_and_cleans_up(tmp_path: Path):
    temp_root = tmp_path / "tmp"
    temp_root.mkdir()
    output = tmp_path / "erasure.md"
    env = dict(os.environ, STOWAGE_BIN=str(stowage_binary()), BENCH_TMPDIR=str(temp_root))
    result = subprocess.run(
        [str(SCRIPT), "--quick", "--output", str(output)], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    table = result.stdout
    assert "| workload | 1 drive | 4 drives | ratio |" in table
    for label in ("PUT MB/s", "GET MB/s"):
        row = re.search(rf"^\| {label} \| ([\d,]+) \| ([\d,]+) \| (\d+)% \|$", table, re.MULTILINE)
        assert row, f"no {label} row in:\n{table}"
        assert all(float(value.replace(",", "")) > 0 for value in row.groups()), row.group(0)
    for label in ("PUT p99 ms", "GET p99 ms", "server peak RSS MiB"):
        row = re.search(rf"^\| {label} \| ([\d,.]+) \| ([\d,.]+) \| \|$", table, re.MULTILINE)
        assert row, f"no {label} row in:\n{table}"
        assert all(float(value.replace(",", "")) > 0 for value in row.groups()), row.group(0)
    for config in ("2+2", "4+2", "4+4", "8+4", "12+4"):
        row = re.search(rf"^\| {re.escape(config)} \| ([\d,]+) \| ([\d,]+) \|$", table, re.MULTILINE)
        assert row and all(float(v.replace(",", "")) > 0 for v in row.groups()), f"{config} row in:\n{table}"
    assert output.read_text().strip() == table.strip()
    assert list(temp_root.iterdir()) == []
