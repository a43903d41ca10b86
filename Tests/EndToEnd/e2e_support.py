"""Helpers shared by the end-to-end tests: clients, error inspection, command-line tools."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from stowage_process import StowageServer, stowage_binary

ACCESS_KEY = "e2e-access-key"
SECRET_KEY = "e2e-secret-" + secrets.token_hex(8)


def make_client(
    server: StowageServer,
    access_key: str | None = None,
    secret_key: str | None = None,
    region: str | None = None,
    **config_options,
):
    """A boto3 S3 client for `server`: SigV4, path-style, one attempt per call (no retries hide errors)."""
    options = dict(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        retries={"mode": "standard", "total_max_attempts": 1},
        max_pool_connections=32,
        connect_timeout=10,
        read_timeout=120,
    )
    options.update(config_options)
    return boto3.session.Session().client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id=access_key or server.access_key,
        aws_secret_access_key=secret_key or server.secret_key,
        region_name=region or server.region,
        config=Config(**options),
    )


def error_code(error: ClientError) -> str:
    return error.response["Error"]["Code"]


def http_status(error: ClientError) -> int:
    return error.response["ResponseMetadata"]["HTTPStatusCode"]


def delete_every_version(client, name: str) -> None:
    """Deletes every entry ListObjectVersions reports (object versions and delete markers) by VersionId.
    Collects the whole listing first, so deleting never disturbs the pages still to be read."""
    entries = []
    for page in client.get_paginator("list_object_versions").paginate(Bucket=name):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            entries.append({"Key": item["Key"], "VersionId": item["VersionId"]})
    for start in range(0, len(entries), 1000):
        client.delete_objects(Bucket=name, Delete={"Objects": entries[start : start + 1000], "Quiet": True})


def empty_and_delete_bucket(client, name: str) -> None:
    """Best effort: the server may already be gone when a test ends."""
    try:
        for upload in client.list_multipart_uploads(Bucket=name).get("Uploads", []):
            client.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
        # A versioned bucket also holds noncurrent versions and delete markers.
        delete_every_version(client, name)
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=name):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                client.delete_objects(Bucket=name, Delete={"Objects": keys, "Quiet": True})
        client.delete_bucket(Bucket=name)
    except (ClientError, BotoCoreError):
        pass


def bucket_name_for(test_name: str) -> str:
    """A valid, unique bucket name derived from the test's name (3-63 chars, lowercase, digits, hyphens)."""
    stem = re.sub(r"[^a-z0-9]+", "-", test_name.lower()).strip("-")[:48].strip("-")
    return f"{stem or 'bucket'}-{secrets.token_hex(4)}"


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; run scripts/install-test-deps")
    return path


def run_tool(args: list[str], env: dict[str, str], timeout: float = 300, cwd: Path | None = None):
    """Runs a command-line client and fails the test with its output if it exits non-zero."""
    result = subprocess.run(args, env=env, capture_output=True, timeout=timeout, cwd=cwd)
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, args))} exited {result.returncode}\n"
            f"stdout: {result.stdout.decode(errors='replace')[-3000:]}\n"
            f"stderr: {result.stderr.decode(errors='replace')[-3000:]}"
        )
    return result


# --- Erasure-coded nodes: objects, `stowage admin`, metrics, shard files -----------------------------

MiB = 1024 * 1024
INLINE_LIMIT = 64 * 1024  # objects up to this size live inside the metadata record, not in shard files


@dataclass
class StoredObject:
    key: str
    data: bytes
    sha256: str
    multipart_parts: int = 0  # 0: one PUT
    part_size: int = 0


def put_objects(
    s3, bucket: str, sizes: dict[str, int], multipart: dict[str, int] | None = None, part_size: int = 16 * MiB
):
    """PUTs random objects of `sizes` ({key: bytes}), and `multipart` ones ({key: bytes}) with
    boto3's managed upload in `part_size` parts; returns {key: StoredObject}."""
    stored: dict[str, StoredObject] = {}
    for key, size in sizes.items():
        data = os.urandom(size)
        s3.put_object(Bucket=bucket, Key=key, Body=data)
        stored[key] = StoredObject(key, data, hashlib.sha256(data).hexdigest())
    transfer = TransferConfig(multipart_threshold=part_size, multipart_chunksize=part_size, max_concurrency=4)
    for key, size in (multipart or {}).items():
        data = os.urandom(size)
        s3.upload_fileobj(io.BytesIO(data), bucket, key, Config=transfer)
        parts = -(-size // part_size)
        etag = s3.head_object(Bucket=bucket, Key=key)["ETag"]
        assert etag.endswith(f'-{parts}"'), f"{key} was not stored as a {parts}-part upload: ETag {etag}"
        stored[key] = StoredObject(key, data, hashlib.sha256(data).hexdigest(), parts, part_size)
    return stored


def assert_objects_exact(s3, bucket: str, stored: dict[str, StoredObject], context: str = "") -> None:
    """GETs every object: 200, the right Content-Length, and exactly the bytes that were PUT."""
    for key, item in stored.items():
        response = s3.get_object(Bucket=bucket, Key=key)
        body = response["Body"].read()
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert response["ContentLength"] == len(item.data), f"{context}{key}: Content-Length"
        assert len(body) == len(item.data), f"{context}{key}: {len(body)} bytes, expected {len(item.data)}"
        assert hashlib.sha256(body).hexdigest() == item.sha256, f"{context}{key}: wrong bytes"


def assert_range_exact(s3, bucket: str, item: StoredObject, first: int, last: int) -> None:
    """A ranged GET of bytes first..last (inclusive) returns 206, the right Content-Range and those bytes."""
    response = s3.get_object(Bucket=bucket, Key=item.key, Range=f"bytes={first}-{last}")
    body = response["Body"].read()
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert response["ContentRange"] == f"bytes {first}-{last}/{len(item.data)}"
    assert body == item.data[first : last + 1], f"{item.key} bytes {first}-{last}: wrong bytes"


def root_env(server: StowageServer, secret_key: str | None = None) -> dict[str, str]:
    """This process's environment with the server's root credentials (and no other STOWAGE_ROOT_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOWAGE_ROOT_")}
    env.update(STOWAGE_ROOT_USER=server.access_key, STOWAGE_ROOT_PASSWORD=secret_key or server.secret_key)
    return env


def run_admin(
    server: StowageServer, *args: str, timeout: float = 600, secret_key: str | None = None, endpoint: str | None = None
) -> subprocess.CompletedProcess:
    """Runs `stowage admin ARGS --endpoint <server>` with the server's credentials, as an operator would."""
    command = [str(stowage_binary()), "admin", *args, "--endpoint", endpoint or server.endpoint, "--region", server.region]
    return subprocess.run(command, env=root_env(server, secret_key), capture_output=True, text=True, timeout=timeout)


def assert_error_document(response, status: int, code: str) -> dict[str, str]:
    """A raw_http.RawResponse that is an S3 error document: status, XML, code, a message, and the
    request id in the body equal to x-amz-request-id (as AWS sends both). Returns its fields."""
    assert response.status == status, (response.status, response.body[:500])
    assert response.header("content-type").startswith("application/xml")
    error = response.error()
    assert error["Code"] == code
    assert error.get("Message")
    assert error.get("RequestId") == response.header("x-amz-request-id")
    return error


def headers_of(response) -> dict[str, str]:
    """The HTTP headers of a boto3 response (or of a ClientError's `response`)."""
    return response["ResponseMetadata"]["HTTPHeaders"]


def client_error(call, *args, **kwargs) -> ClientError:
    """The ClientError that `call(*args, **kwargs)` must raise."""
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value


def admin_heal(server: StowageServer, target: str | None = None) -> tuple[int, dict]:
    """`stowage admin heal [target] --json`: its exit status and the HealReport it printed."""
    result = run_admin(server, "heal", "--json", *([target] if target else []))
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"admin heal printed no JSON (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    print(f"admin heal (exit {result.returncode}): {json.dumps(report, sort_keys=True)}")
    return result.returncode, report


def drive_states(server: StowageServer) -> list[dict]:
    """`stowage admin status --json` drives: [{set, position, path, state, reason}] in slot order."""
    result = run_admin(server, "status", "--json", timeout=60)
    assert result.returncode == 0, f"admin status exited {result.returncode}: {result.stderr}"
    return json.loads(result.stdout)["drives"]


def metrics(server: StowageServer) -> dict[str, float]:
    """`/_stowage/metrics` as {series: value}; labelled series keep their labels in the name."""
    with urllib.request.urlopen(f"{server.endpoint}/_stowage/metrics", timeout=10) as response:
        assert response.status == 200
        text = response.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def wait_until(condition, timeout: float, what: str, interval: float = 0.1):
    """Polls `condition()` until it returns something truthy (and returns it); fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def shard_digests(drives: list[Path]) -> dict[str, dict[str, str]]:
    """{drive folder: {shard file path relative to DRIVE/shards: sha256 of its bytes}}: unlike the
    inventory of sizes, it tells a flipped byte from a healed shard."""
    digests = {}
    for drive in drives:
        root = Path(drive) / "shards"
        files = root.rglob("*") if root.is_dir() else []
        digests[str(drive)] = {str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest() for f in files if f.is_file()}
    return digests


def shard_inventory(drives: list[Path]) -> dict[str, dict[str, int]]:
    """{drive folder: {shard file path relative to DRIVE/shards: size}} for every drive."""
    inventory = {}
    for drive in drives:
        root = Path(drive) / "shards"
        files = root.rglob("*") if root.is_dir() else []
        inventory[str(drive)] = {str(f.relative_to(root)): f.stat().st_size for f in files if f.is_file()}
    return inventory


def wipe_folder(folder: Path) -> None:
    """Deletes everything inside `folder`, keeping the (now empty) folder itself."""
    for entry in Path(folder).iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
