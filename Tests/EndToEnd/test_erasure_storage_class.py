"""Parity per object: `x-amz-storage-class: REDUCED_REDUNDANCY` objects get one parity shard, STANDARD ones the
set's default, and `--parity` changes the default (as MinIO does). Checked from the shard files each drive holds."""

from __future__ import annotations

import os
from pathlib import Path

from e2e_support import make_client

MiB = 1024 * 1024
HEADER = 16
CRC = 4


def shard_sizes(drive: Path) -> list[int]:
    return sorted(p.stat().st_size for p in (drive / "shards").rglob("*") if p.is_file())


def shard_file_size(object_size: int, data_shards: int) -> int:
    """The size of one shard file of a single-part object: 1 MiB blocks cut into K chunks, each with its CRC."""
    total = HEADER
    remaining = object_size
    while remaining > 0:
        block = min(MiB, remaining)
        total += -(-block // data_shards) + CRC
        remaining -= block
    return total


def test_reduced_redundancy_uses_one_parity_shard_and_standard_the_default(start_server, tmp_path):
    drives = [tmp_path / f"d{i}" for i in range(1, 5)]
    server = start_server(drives=drives)
    s3 = make_client(server)
    s3.create_bucket(Bucket="classes")
    body = os.urandom(3 * MiB + 5)
    s3.put_object(Bucket="classes", Key="standard", Body=body)
    s3.put_object(Bucket="classes", Key="reduced", Body=body, StorageClass="REDUCED_REDUNDANCY")
    head = s3.head_object(Bucket="classes", Key="reduced")
    assert head["StorageClass"] == "REDUCED_REDUNDANCY"
    assert s3.get_object(Bucket="classes", Key="reduced")["Body"].read() == body
    assert s3.get_object(Bucket="classes", Key="standard")["Body"].read() == body
    # Every drive holds one shard of each: 2 + 2 for STANDARD, 3 + 1 for REDUCED_REDUNDANCY.
    expected = sorted([shard_file_size(len(body), 2), shard_file_size(len(body), 3)])
    for drive in drives:
        assert shard_sizes(drive) == expected, drive


def test_parity_option_sets_the_default(start_server, tmp_path):
    drives = [tmp_path / f"p{i}" for i in range(1, 7)]
    server = start_server(drives=drives, extra_args=["--parity", "1"])
    s3 = make_client(server)
    s3.create_bucket(Bucket="parity")
    body = os.urandom(MiB + 1)
    s3.put_object(Bucket="parity", Key="k", Body=body)
    assert s3.get_object(Bucket="parity", Key="k")["Body"].read() == body
    for drive in drives:
        assert shard_sizes(drive) == [shard_file_size(len(body), 5)], drive


def test_impossible_parity_is_refused_at_start(tmp_path):
    import subprocess

    from stowage_process import stowage_binary

    drives = [str(tmp_path / f"x{i}") for i in range(1, 5)]
    result = subprocess.run(
        [str(stowage_binary()), "server", "--address", "127.0.0.1:1", "--parity", "3", *drives],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "parity 3 is not possible with 4 drives per set" in result.stderr
