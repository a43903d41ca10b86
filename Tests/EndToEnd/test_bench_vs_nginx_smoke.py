"""`scripts/bench-vs-nginx --quick`: the benchmark against nginx runs end to end and cleans up.

Specifies: the quick mode exits 0 against the binary under test (`$STOWAGE_BIN`, as for every
end-to-end test), prints the comparison table with a row for every workload, writes it to
`--output`, and leaves nothing behind in its temporary folder. Numbers are not judged here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from stowage_process import REPO_ROOT, stowage_binary

SCRIPT = REPO_ROOT / "scripts" / "bench-vs-nginx"
TABLE_HEADER = "| workload | nginx | Stowage | ratio | target | met? |"


def nginx_path() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


@pytest.mark.skipif(nginx_path() is None, reason="nginx is not installed (scripts/install-test-deps installs nginx-light)")
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (scripts/install-test-deps installs it)")
def test_quick_benchmark_runs_prints_the_table_and_cleans_up(tmp_path: Path):
    temp_root = tmp_path / "tmp"
    temp_root.mkdir()
    output = tmp_path / "quick.md"
    env = dict(os.environ, STOWAGE_BIN=str(stowage_binary()), BENCH_TMPDIR=str(temp_root))

    result = subprocess.run(
        [str(SCRIPT), "--quick", "--output", str(output)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    report = f"exit {result.returncode}\nstdout:\n{result.stdout[-6000:]}\nstderr:\n{result.stderr[-4000:]}"
    assert result.returncode == 0, report
    assert TABLE_HEADER in result.stdout, report
    for row in ("4 KiB GET, 64 conn: req/s", "4 KiB PUT, 64 conn: objects/s", "16 MiB GET, 4 conn: MB/s",
                "16 MiB PUT, 4 conn: MB/s", "peak RSS, 8 concurrent 32 MiB PUTs"):
        assert f"| {row} |" in result.stdout, report
    assert TABLE_HEADER in output.read_text()
    assert list(temp_root.iterdir()) == [], "the benchmark left files in its temporary folder"
