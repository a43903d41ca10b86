"""`scripts/bench-listing --quick`: the listing-at-scale benchmark runs end to end and cleans up.

Specifies: the quick mode exits 0 against the binary under test (`$STOWAGE_BIN`), prints a row for every
listing case with positive latencies and equal, full pages in both buckets, prints the server rows (start
times, memory, load rates) with positive numbers, writes the same table to `--output`, and leaves nothing
behind in its temporary folder. Numbers are not judged here.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from stowage_process import REPO_ROOT, stowage_binary

SCRIPT = REPO_ROOT / "scripts" / "bench-listing"
NUMBER = r"([\d,]+(?:\.\d+)?)"
RATIO = r"(?:\*\*)?([\d.]+)(?:\*\* ≥ 1\.5)?"
CASES = (
    "no delimiter, start", "no delimiter, middle (50%)", "no delimiter, end (last page)",
    'delimiter "/", start', 'delimiter "/", middle (50%)', 'delimiter "/", end (last page)',
    'delimiter "/", prefix "d0040/"',
    "ListObjectVersions, start", "ListObjectVersions, middle (50%)", "ListObjectVersions, end (last page)",
    'ListObjectVersions, delimiter "/", middle',
)
SERVER_ROWS = (
    "start on a new empty folder: s until it answers HTTP",
    "first ListObjectsV2 page after that start: ms",
    "RSS after start with 2,200 objects: MiB",
    "VmHWM after start with 2,200 objects: MiB",
    "RSS after the listing runs: MiB",
    "VmHWM after the listing runs: MiB",
    "VmHWM at the end of loading (before restart): MiB",
    "load 200 bucket: objects/s (64 connections, presigned PUT, 1 byte)",
    "load 2k bucket: objects/s (64 connections, presigned PUT, 1 byte)",
)


def number(text: str) -> float:
    return float(text.replace(",", ""))


def test_quick_listing_benchmark_prints_the_tables_and_cleans_up(tmp_path: Path):
    temp_root = tmp_path / "tmp"
    temp_root.mkdir()
    output = tmp_path / "listing.md"
    env = dict(os.environ, STOWAGE_BIN=str(stowage_binary()), BENCH_TMPDIR=str(temp_root))
    result = subprocess.run(
        [str(SCRIPT), "--quick", "--output", str(output)], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )
    report = f"exit {result.returncode}\nstdout:\n{result.stdout[-6000:]}\nstderr:\n{result.stderr[-4000:]}"
    assert result.returncode == 0, report
    table = result.stdout
    assert "| listing | entries 200 / 2k | 200 p50 ms | 200 p99 ms | 2k p50 ms | 2k p99 ms | p50 2k/200 | p99 2k/200 |" in table
    for case in CASES:
        row = re.search(
            rf"^\| {re.escape(case)} \| (\d+) / (\d+) \| {NUMBER} \| {NUMBER} \| {NUMBER} \| {NUMBER} \| {RATIO} \| {RATIO} \|$",
            table, re.MULTILINE,
        )
        assert row, f"no row for {case} in:\n{table}"
        assert row.group(1) == row.group(2) == "20", f"pages are not full in both buckets: {row.group(0)}"
        assert all(number(value) > 0 for value in row.groups()[2:]), row.group(0)
    for label in SERVER_ROWS:
        row = re.search(rf"^\| {re.escape(label)} \| {NUMBER} \|$", table, re.MULTILINE)
        assert row and number(row.group(1)) > 0, f"no positive {label!r} row in:\n{table}"
    row = re.search(r"^\| start with 2,200 objects: s until it answers HTTP \(median of 3; max\) \| ([\d.]+) \(([\d.]+)\) \|$",
                    table, re.MULTILINE)
    assert row and all(number(value) > 0 for value in row.groups()), f"no loaded start row in:\n{table}"
    assert re.search(r"^Command: `scripts/bench-listing --quick --output .*`.*; commit \S+;", table, re.MULTILINE), table
    assert output.read_text().strip() == table.strip()
    assert list(temp_root.iterdir()) == [], "the benchmark left files in its temporary folder"
