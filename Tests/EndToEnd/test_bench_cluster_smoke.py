"""`scripts/bench-cluster --quick`: the cluster (4 nodes x 2 drives, etcd) against one node with 8 drives runs
end to end.

Specifies: the quick mode exits 0 against the binary under test (`$STOWAGE_BIN`), prints one row per workload
with positive rates, ratios, latencies and CPU per request for every mode (one node and the cluster, each
with and without its small-object cache; etcd's CPU apart), writes the table to `--output`, and
leaves nothing behind in its temporary folder. Numbers are not judged here.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from stowage_process import REPO_ROOT, stowage_binary

SCRIPT = REPO_ROOT / "scripts" / "bench-cluster"


def test_quick_cluster_benchmark_prints_every_workload_and_cleans_up(tmp_path: Path):
    temp_root = tmp_path / "tmp"
    temp_root.mkdir()
    output = tmp_path / "cluster.md"
    env = dict(os.environ, STOWAGE_BIN=str(stowage_binary()), BENCH_TMPDIR=str(temp_root))
    result = subprocess.run(
        [str(SCRIPT), "--quick", "--output", str(output)], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    table = result.stdout
    assert ("| workload | 1 node x 8 drives | 4 nodes x 2 drives | ratio | 1 node, no cache | 4 nodes, no cache"
            " | ratio without caches |" in table)
    for label in ("4 KiB PUT", "4 KiB GET", "64 MiB PUT", "256 MiB GET"):
        row = re.search(
            rf"^\| {label} \| ([\d,]+)[^|]* \| ([\d,]+)[^|]* \| (\d+)% \| ([\d,]+)[^|]* \| ([\d,]+)[^|]* \| (\d+)%"
            rf" \| ([\d.,]+) / ([\d.,]+) \| ([\d.,]+) / ([\d.,]+) \| ([\d.,]+) \|$",
            table, re.MULTILINE)
        assert row, f"no {label} row in:\n{table}"
        # etcd's share may round to 0.00 for large objects; everything else is positive.
        assert all(float(value.replace(",", "")) > 0 for value in row.groups()[:-1]), row.group(0)
    assert output.read_text().strip() == table.strip()
    assert list(temp_root.iterdir()) == []
