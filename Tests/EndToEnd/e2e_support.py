"""Helpers shared by the end-to-end tests: clients, error inspection, command-line tools."""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from stowage_process import StowageServer

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


def empty_and_delete_bucket(client, name: str) -> None:
    """Best effort: the server may already be gone when a test ends."""
    try:
        for upload in client.list_multipart_uploads(Bucket=name).get("Uploads", []):
            client.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
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
