"""s3cmd against the server, configured for path-style SigV4 over plain HTTP.

Specifies put/get/ls/del round trips, the content type s3cmd sends, and a multipart put.
"""

from __future__ import annotations

import hashlib
import os

import pytest

from e2e_support import require_tool, run_tool

MiB = 1024 * 1024


@pytest.fixture
def s3cmd(server, cli_env, tmp_path):
    binary = require_tool("s3cmd")
    config = tmp_path / "s3cmd.cfg"
    host = f"127.0.0.1:{server.port}"
    config.write_text(
        "[default]\n"
        f"access_key = {server.access_key}\n"
        f"secret_key = {server.secret_key}\n"
        f"host_base = {host}\n"
        f"host_bucket = {host}\n"
        f"bucket_location = {server.region}\n"
        "use_https = False\n"
        "signature_v2 = False\n"
        "check_ssl_certificate = False\n"
        "guess_mime_type = True\n"
    )

    def run(*args: str):
        return run_tool([binary, "-c", str(config), "--no-progress", *args], cli_env, timeout=300)

    return run


def test_put_get_ls_and_del_round_trip(s3cmd, s3, bucket, tmp_path):
    source = tmp_path / "notes.txt"
    source.write_bytes(b"s3cmd notes\n" * 100)

    s3cmd("put", str(source), f"s3://{bucket}/docs/notes.txt")

    got = s3.get_object(Bucket=bucket, Key="docs/notes.txt")
    assert got["Body"].read() == source.read_bytes()
    assert got["ContentType"].startswith("text/plain")

    listing = s3cmd("ls", f"s3://{bucket}/docs/").stdout.decode()
    assert f"s3://{bucket}/docs/notes.txt" in listing
    assert "1200" in listing.split()

    target = tmp_path / "back.txt"
    s3cmd("get", f"s3://{bucket}/docs/notes.txt", str(target))
    assert target.read_bytes() == source.read_bytes()

    s3cmd("del", f"s3://{bucket}/docs/notes.txt")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_multipart_put_of_16_mib_is_stored_intact(s3cmd, s3, bucket, tmp_path):
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(16 * MiB))

    s3cmd("put", "--multipart-chunk-size-mb=5", str(source), f"s3://{bucket}/big.bin")

    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == 16 * MiB
    assert head["ETag"].endswith('-4"')
    target = tmp_path / "big-back.bin"
    s3cmd("get", f"s3://{bucket}/big.bin", str(target))
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(source.read_bytes()).digest()


def test_ls_of_buckets_includes_the_bucket(s3cmd, bucket):
    assert f"s3://{bucket}" in s3cmd("ls").stdout.decode()
