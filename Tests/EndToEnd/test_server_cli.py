"""The `stowage server` command itself: credentials, signals, folders, region and addressing.

Specifies: default credentials with a warning, credentials from the environment, a clean exit
(code 0) on SIGTERM and SIGINT, data kept across restarts, the data folder created if missing,
`--region` reported by GetBucketLocation, and virtual-hosted addressing with `--domain`.
"""

from __future__ import annotations

import os
import signal

import pytest
from botocore.exceptions import ClientError

import raw_http
from e2e_support import error_code, make_client


def test_without_credentials_in_env_defaults_apply_and_a_warning_is_printed(start_server):
    server = start_server(access_key=None, secret_key=None)
    s3 = make_client(server)
    assert (server.access_key, server.secret_key) == ("stowageadmin", "stowageadmin")
    s3.create_bucket(Bucket="default-credentials")
    assert "default-credentials" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert "warn" in server.log_tail(200).lower()


def test_credentials_from_env_are_required_and_defaults_are_refused(start_server):
    server = start_server(access_key="env-user", secret_key="env-password-123")
    make_client(server).create_bucket(Bucket="env-credentials")
    with pytest.raises(ClientError) as caught:
        make_client(server, access_key="stowageadmin", secret_key="stowageadmin").list_buckets()
    assert error_code(caught.value) in ("InvalidAccessKeyId", "SignatureDoesNotMatch")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_the_server_cleanly_with_exit_code_0(start_server, sig):
    server = start_server()
    make_client(server).create_bucket(Bucket="before-signal")
    assert server.stop(sig=sig) == 0
    server.start()
    assert "before-signal" in [b["Name"] for b in make_client(server).list_buckets()["Buckets"]]


def test_missing_data_folder_is_created(start_server, tmp_path):
    folder = tmp_path / "does" / "not" / "exist"
    server = start_server(data_dir=folder)
    make_client(server).create_bucket(Bucket="created-folder")
    assert folder.is_dir()
    assert any(folder.iterdir()), "nothing was written to the data folder"


def test_objects_survive_a_clean_restart(start_server):
    server = start_server()
    s3 = make_client(server)
    s3.create_bucket(Bucket="restartable")
    data = os.urandom(300_000)
    s3.put_object(Bucket="restartable", Key="k", Body=data, Metadata={"kept": "yes"}, ContentType="text/x-kept")
    server.restart()
    got = make_client(server).get_object(Bucket="restartable", Key="k")
    assert got["Body"].read() == data
    assert got["Metadata"] == {"kept": "yes"}
    assert got["ContentType"] == "text/x-kept"


def test_region_flag_sets_the_signing_region_and_bucket_location(start_server):
    server = start_server(region="eu-central-1")
    s3 = make_client(server)
    s3.create_bucket(Bucket="regional", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    assert s3.get_bucket_location(Bucket="regional")["LocationConstraint"] == "eu-central-1"
    # Raw HTTP: boto3 would follow the error's <Region> hint and silently re-sign for eu-central-1.
    wrong_region = raw_http.request(server, "GET", "/regional?list-type=2", region="us-east-1")
    assert wrong_region.status == 400
    assert wrong_region.error()["Code"] == "AuthorizationHeaderMalformed"


def test_virtual_hosted_requests_address_the_bucket_by_host(start_server):
    server = start_server(domain="example.test")
    s3 = make_client(server)
    s3.create_bucket(Bucket="vhost")
    host = f"vhost.example.test:{server.port}"

    put = raw_http.request(server, "PUT", "/folder/by-host.txt", body=b"virtual", host=host)
    assert put.status == 200, put.body
    assert s3.get_object(Bucket="vhost", Key="folder/by-host.txt")["Body"].read() == b"virtual"

    got = raw_http.request(server, "GET", "/folder/by-host.txt", host=host)
    assert (got.status, got.body) == (200, b"virtual")
    listing = raw_http.request(server, "GET", "/?list-type=2", host=host)
    assert listing.status == 200
    assert b"<Key>folder/by-host.txt</Key>" in listing.body
    # Path-style requests keep working alongside.
    assert s3.list_objects_v2(Bucket="vhost")["KeyCount"] == 1
