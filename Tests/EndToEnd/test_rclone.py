"""rclone against the server: copy, check and sync of a generated tree of a few hundred files.

Specifies that rclone's MD5 comparison (via ETags) agrees with the bytes stored, that sync
mirrors additions, changes and deletions, and that boto3 sees exactly the same objects.
"""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import pytest

from e2e_support import require_tool, run_tool


@pytest.fixture
def rclone(server, cli_env, tmp_path):
    binary = require_tool("rclone")
    config = tmp_path / "rclone.conf"
    config.write_text("")
    env = dict(
        cli_env,
        RCLONE_CONFIG=str(config),
        RCLONE_CONFIG_STOWAGE_TYPE="s3",
        RCLONE_CONFIG_STOWAGE_PROVIDER="Other",
        RCLONE_CONFIG_STOWAGE_ACCESS_KEY_ID=server.access_key,
        RCLONE_CONFIG_STOWAGE_SECRET_ACCESS_KEY=server.secret_key,
        RCLONE_CONFIG_STOWAGE_ENDPOINT=server.endpoint,
        RCLONE_CONFIG_STOWAGE_REGION=server.region,
        RCLONE_CONFIG_STOWAGE_FORCE_PATH_STYLE="true",
    )

    def run(*args: str):
        return run_tool([binary, "--transfers", "8", "--checkers", "8", "--retries", "1", *args], env, timeout=300)

    return run


def generate_tree(root: Path, count: int, seed: int) -> dict[str, bytes]:
    rng = random.Random(seed)
    files = {}
    for i in range(count):
        depth = rng.randrange(4)
        parts = [f"level{d}-{rng.randrange(3)}" for d in range(depth)] + [f"file-{i} ü.bin"]
        relative = "/".join(parts)
        data = rng.randbytes(rng.choice([0, 1, 100, 4096, 70_000]))
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)
        files[relative] = data
    return files


def remote_objects(s3, bucket: str, prefix: str) -> dict[str, bytes]:
    keys = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])
    ]
    return {key[len(prefix):]: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def test_copy_check_and_sync_mirror_a_tree_of_300_files(rclone, s3, bucket, tmp_path):
    source = tmp_path / "tree"
    files = generate_tree(source, 300, seed=1234)
    remote = f"stowage:{bucket}/tree"

    rclone("copy", str(source), remote)
    rclone("check", str(source), remote)
    assert remote_objects(s3, bucket, "tree/") == files

    # Change the tree: delete some, rewrite some, add some.
    names = sorted(files)
    for name in names[:30]:
        (source / name).unlink()
        del files[name]
    for name in names[30:60]:
        files[name] = hashlib.sha256(name.encode()).digest() * 10
        (source / name).write_bytes(files[name])
    for i in range(20):
        name = f"added/new-{i}.txt"
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        files[name] = os.urandom(500)
        (source / name).write_bytes(files[name])

    rclone("sync", str(source), remote)
    rclone("check", str(source), remote)
    assert remote_objects(s3, bucket, "tree/") == files


def test_rclone_md5sum_matches_local_md5(rclone, s3, bucket):
    data = os.urandom(123_456)
    s3.put_object(Bucket=bucket, Key="one.bin", Body=data)
    output = rclone("md5sum", f"stowage:{bucket}").stdout.decode().split()
    assert output == [hashlib.md5(data).hexdigest(), "one.bin"]
