"""The AWS CLI (v1) against the server: `aws s3` high-level commands and a few `aws s3api` calls.

Specifies: cp in both directions (a 100 MiB file, which the CLI sends as a multipart upload),
ls, sync up and down, rm --recursive, and s3api put-object/head-object/list-objects-v2 JSON.
Runs with only our credentials and empty config files, so nothing on the machine leaks in.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from e2e_support import require_tool, run_tool

MiB = 1024 * 1024


@pytest.fixture
def aws(server, cli_env):
    binary = require_tool("aws")

    def run(*args: str, timeout: float = 300):
        return run_tool([binary, "--endpoint-url", server.endpoint, *args], cli_env, timeout=timeout)

    return run


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(MiB), b""):
            digest.update(chunk)
    return digest.hexdigest()


def test_cp_of_100_mib_file_round_trips_byte_for_byte(aws, s3, bucket, tmp_path):
    source = tmp_path / "hundred.bin"
    with open(source, "wb") as handle:
        for _ in range(100):
            handle.write(os.urandom(MiB))

    aws("s3", "cp", str(source), f"s3://{bucket}/large/hundred.bin")

    head = s3.head_object(Bucket=bucket, Key="large/hundred.bin")
    assert head["ContentLength"] == 100 * MiB
    # The CLI splits files above 8 MiB into 8 MiB parts by default: 13 parts here.
    assert head["ETag"].endswith('-13"'), head["ETag"]

    target = tmp_path / "back.bin"
    aws("s3", "cp", f"s3://{bucket}/large/hundred.bin", str(target))
    assert target.stat().st_size == 100 * MiB
    assert sha256_of(target) == sha256_of(source)


def test_cp_small_file_sets_guessed_content_type_and_ls_lists_it(aws, s3, bucket, tmp_path):
    source = tmp_path / "page.html"
    source.write_bytes(b"<html>hi</html>")
    aws("s3", "cp", str(source), f"s3://{bucket}/site/page.html")

    got = s3.get_object(Bucket=bucket, Key="site/page.html")
    assert got["Body"].read() == b"<html>hi</html>"
    assert got["ContentType"] == "text/html"

    listing = aws("s3", "ls", f"s3://{bucket}/site/").stdout.decode()
    [line] = listing.strip().splitlines()
    assert line.split()[-2:] == ["15", "page.html"]
    root = aws("s3", "ls", f"s3://{bucket}/").stdout.decode()
    assert "PRE site/" in root
    buckets = aws("s3", "ls").stdout.decode()
    assert bucket in buckets


def test_sync_uploads_a_tree_and_downloads_it_back_identically(aws, s3, bucket, tmp_path):
    source = tmp_path / "tree"
    files = {}
    for i in range(40):
        path = source / f"dir{i % 4}" / f"file {i}.dat"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = os.urandom(100 * i)
        path.write_bytes(data)
        # Older than the upload, so a second sync has no newer file to send (LastModified has 1 s resolution).
        an_hour_ago = time.time() - 3600
        os.utime(path, (an_hour_ago, an_hour_ago))
        files[path.relative_to(source).as_posix()] = data

    aws("s3", "sync", str(source), f"s3://{bucket}/tree")

    listed = {
        item["Key"][len("tree/"):]: item["Size"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="tree/")
        for item in page.get("Contents", [])
    }
    assert listed == {name: len(data) for name, data in files.items()}

    target = tmp_path / "down"
    aws("s3", "sync", f"s3://{bucket}/tree", str(target))
    for name, data in files.items():
        assert (target / name).read_bytes() == data

    # A second sync finds nothing to do.
    again = aws("s3", "sync", str(source), f"s3://{bucket}/tree").stdout.decode()
    assert "upload:" not in again


def test_sync_with_delete_removes_remote_files_missing_locally(aws, s3, bucket, tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in ("keep.txt", "drop.txt"):
        (source / name).write_text(name)
    aws("s3", "sync", str(source), f"s3://{bucket}/")
    (source / "drop.txt").unlink()
    aws("s3", "sync", "--delete", str(source), f"s3://{bucket}/")
    assert [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["keep.txt"]


def test_rm_recursive_deletes_every_object_under_prefix(aws, s3, bucket):
    for i in range(25):
        s3.put_object(Bucket=bucket, Key=f"trash/{i}", Body=b"x")
    s3.put_object(Bucket=bucket, Key="kept", Body=b"y")
    aws("s3", "rm", "--recursive", f"s3://{bucket}/trash/")
    assert [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["kept"]


def test_s3api_put_head_and_list_return_the_expected_json(aws, bucket, tmp_path):
    body = tmp_path / "body.txt"
    body.write_bytes(b"s3api body")
    put = json.loads(
        aws(
            "s3api", "put-object", "--bucket", bucket, "--key", "api/obj.txt", "--body", str(body),
            "--content-type", "text/plain", "--metadata", "owner=e2e",
        ).stdout
    )
    assert put["ETag"] == f'"{hashlib.md5(b"s3api body").hexdigest()}"'

    head = json.loads(aws("s3api", "head-object", "--bucket", bucket, "--key", "api/obj.txt").stdout)
    assert head["ContentLength"] == 10
    assert head["ContentType"] == "text/plain"
    assert head["ETag"] == put["ETag"]
    assert head["Metadata"] == {"owner": "e2e"}

    listing = json.loads(aws("s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "api/").stdout)
    assert [(item["Key"], item["Size"], item["ETag"]) for item in listing["Contents"]] == [
        ("api/obj.txt", 10, put["ETag"])
    ]


def test_cp_from_stdin_and_to_stdout_streams_bytes(aws, server, cli_env, bucket):
    import subprocess

    binary = require_tool("aws")
    data = os.urandom(3 * MiB)
    upload = subprocess.run(
        [binary, "--endpoint-url", server.endpoint, "s3", "cp", "-", f"s3://{bucket}/streamed"],
        input=data, env=cli_env, capture_output=True, timeout=120,
    )
    assert upload.returncode == 0, upload.stderr
    download = aws("s3", "cp", f"s3://{bucket}/streamed", "-")
    assert download.stdout == data
