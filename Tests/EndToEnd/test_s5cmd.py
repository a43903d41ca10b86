"""s5cmd against the server: highly parallel copies of 1,000 small files, ls and rm.

Specifies that many concurrent PUTs all land with the right bytes, that listing sees them all,
and that s5cmd's batched DeleteObjects removes them all.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from e2e_support import require_tool, run_tool


@pytest.fixture
def s5cmd(server, cli_env):
    binary = require_tool("s5cmd")

    def run(*args: str):
        return run_tool([binary, "--endpoint-url", server.endpoint, "--retry-count", "1", *args], cli_env)

    return run


def test_parallel_cp_ls_and_rm_of_1000_small_files(s5cmd, s3, bucket, tmp_path):
    source = tmp_path / "many"
    source.mkdir()
    files = {}
    for i in range(1000):
        data = os.urandom(i % 2048 + 1)
        (source / f"f{i:04d}.bin").write_bytes(data)
        files[f"f{i:04d}.bin"] = data

    s5cmd("--numworkers", "64", "cp", f"{source}/*", f"s3://{bucket}/many/")

    listing = s5cmd("ls", f"s3://{bucket}/many/*").stdout.decode().strip().splitlines()
    assert len(listing) == 1000
    assert sorted(line.split()[-1] for line in listing) == sorted(files)

    def fetch(name: str) -> tuple[str, bytes]:
        return name, s3.get_object(Bucket=bucket, Key=f"many/{name}")["Body"].read()

    with ThreadPoolExecutor(max_workers=16) as pool:
        stored = dict(pool.map(fetch, files))
    assert stored == files

    s5cmd("rm", f"s3://{bucket}/many/*")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_cat_prints_the_object_bytes(s5cmd, s3, bucket):
    data = os.urandom(10_000)
    s3.put_object(Bucket=bucket, Key="cat-me", Body=data)
    assert s5cmd("cat", f"s3://{bucket}/cat-me").stdout == data
