"""Fixtures shared by the end-to-end suite.

One real `stowage` process serves the whole session (`server`), and every test gets a bucket of its
own (`bucket`), removed afterwards. Tests that kill, restart or starve the server start a private
process with `start_server`, so the shared one is never disturbed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e_support import (  # noqa: E402
    ACCESS_KEY,
    SECRET_KEY,
    bucket_name_for,
    empty_and_delete_bucket,
    make_client,
)
from stowage_process import StowageServer  # noqa: E402


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> StowageServer:
    """The shared server; with `STOWAGE_E2E_CLUSTER=1`, node 1 of a cluster of four (2 drives each, one etcd
    member), so the suites of real clients run against a cluster (`scripts/test-cluster-clients`)."""
    base = tmp_path_factory.mktemp("stowage-session")
    if os.environ.get("STOWAGE_E2E_CLUSTER") == "1":
        from cluster_support import EtcdCluster, StowageCluster

        etcd = EtcdCluster(base / "etcd").start()
        cluster = StowageCluster(base, etcd)
        try:
            cluster.start()
            yield cluster.nodes[0]
        finally:
            cluster.stop()
            etcd.stop()
        return
    process = StowageServer(base / "data", base / "server.log", ACCESS_KEY, SECRET_KEY)
    process.start()
    yield process
    exit_code = process.stop()
    print(f"\nshared stowage exited with {exit_code}; log: {process.log_path}")


@pytest.fixture(scope="session")
def s3(server):
    return make_client(server)


@pytest.fixture
def bucket(s3, request) -> str:
    """A fresh, empty bucket for this test alone, emptied and deleted afterwards."""
    name = bucket_name_for(request.node.name)
    s3.create_bucket(Bucket=name)
    yield name
    empty_and_delete_bucket(s3, name)


@pytest.fixture
def start_server(tmp_path):
    """Starts private servers (`start_server(**options)`) that are stopped when the test ends."""
    started: list[StowageServer] = []

    def start(data_dir: Path | None = None, **options) -> StowageServer:
        index = len(started)
        options.setdefault("access_key", ACCESS_KEY)
        options.setdefault("secret_key", SECRET_KEY)
        process = StowageServer(
            data_dir or tmp_path / f"private-{index}", tmp_path / f"private-{index}.log", **options
        )
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()


@pytest.fixture(scope="session")
def cli_env(tmp_path_factory, server) -> dict[str, str]:
    """Environment for command-line clients: only our credentials, no config files from the machine."""
    home = tmp_path_factory.mktemp("cli-home")
    (home / "aws-config").write_text("")
    (home / "aws-credentials").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RCLONE_", "S3_"))}
    env.update(
        HOME=str(home),
        AWS_ACCESS_KEY_ID=server.access_key,
        AWS_SECRET_ACCESS_KEY=server.secret_key,
        AWS_DEFAULT_REGION=server.region,
        AWS_REGION=server.region,
        AWS_CONFIG_FILE=str(home / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "aws-credentials"),
    )
    return env
