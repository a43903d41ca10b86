"""The admin API under `/_stowage/` and the `stowage admin` command that calls it.

Specifies: admin endpoints refuse anonymous callers with an S3 `AccessDenied` document; a signed
`GET /_stowage/admin/v1/status` answers JSON; `stowage admin status` prints one line per drive;
`stowage admin heal` exits 0 and prints its counters (non-zero, with the S3 error code, when the
request fails); `GET /_stowage/metrics` is Prometheus text, open to loopback clients without
credentials (other modes: test_security.py); unknown paths and wrong methods
under `/_stowage/` answer 4xx S3 error documents; and a virtual-hosted object key that starts with
`_stowage/` is still an object.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

import raw_http
from e2e_support import assert_error_document, metrics, run_admin
from stowage_process import StowageServer, free_loopback_port

STATUS_PATH = "/_stowage/admin/v1/status"
HEAL_PATH = "/_stowage/admin/v1/heal"
METRICS_PATH = "/_stowage/metrics"
DRIVE_LINE = re.compile(r"^set (\d+) drive (\d+)\s+(online|offline)\s+\S", re.MULTILINE)
HEAL_REPORT_FIELDS = {
    "objectsScanned", "objectsHealed", "shardsHealed", "recordsHealed", "corruptionsFound", "drivesRestored",
    "failures",
}
STATUS_FIELDS = {
    "deploymentID", "sets", "drivesPerSet", "defaultParity", "drives", "shardsHealed", "corruptionsFound",
    "objectsQueuedForHeal",
}


def describe(completed: subprocess.CompletedProcess, server: StowageServer) -> str:
    return f"exit {completed.returncode}\nstdout: {completed.stdout}\nstderr: {completed.stderr}\n{server.log_tail()}"


# --- Authentication -----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [("GET", STATUS_PATH), ("POST", HEAL_PATH)], ids=["status", "heal"])
def test_anonymous_admin_call_is_refused_with_access_denied(server, method, path):
    response = raw_http.request(server, method, path, sign=False)
    assert_error_document(response, 403, "AccessDenied")


def test_admin_call_signed_with_a_wrong_secret_is_refused(server):
    response = raw_http.request(server, "GET", STATUS_PATH, secret_key="not-the-secret")
    assert_error_document(response, 403, "SignatureDoesNotMatch")


# --- Status ---------------------------------------------------------------------------------------


def test_signed_status_answers_json_with_every_drive(server):
    response = raw_http.request(server, "GET", STATUS_PATH)
    assert response.status == 200, response.body[:500]
    assert response.header("content-type").startswith("application/json")
    assert response.header("x-amz-request-id")
    status = json.loads(response.body)
    assert STATUS_FIELDS <= set(status), f"missing fields: {STATUS_FIELDS - set(status)}"
    # The shared server runs on one folder: one set of one drive, online, at that path.
    assert status["sets"] == 1 and status["drivesPerSet"] == 1 and status["defaultParity"] == 0
    assert len(status["drives"]) == 1
    assert status["drives"][0]["state"] == "online" and status["drives"][0]["path"] == str(server.data_dir)


def test_cli_status_prints_the_deployment_and_one_line_per_drive(server):
    completed = run_admin(server, "status")
    assert completed.returncode == 0, describe(completed, server)
    assert "deployment id:" in completed.stdout
    drive_lines = DRIVE_LINE.findall(completed.stdout)
    assert drive_lines, completed.stdout
    status = json.loads(raw_http.request(server, "GET", STATUS_PATH).body)
    assert len(drive_lines) == len(status["drives"])
    assert all(state == "online" for _, _, state in drive_lines), completed.stdout


def test_cli_status_json_prints_the_raw_document(server):
    completed = run_admin(server, "status", "--json")
    assert completed.returncode == 0, describe(completed, server)
    printed = json.loads(completed.stdout)
    assert STATUS_FIELDS <= set(printed)
    assert printed["drives"] == json.loads(raw_http.request(server, "GET", STATUS_PATH).body)["drives"]


# --- Heal -----------------------------------------------------------------------------------------


def test_cli_heal_of_a_bucket_exits_0_and_prints_its_counters(server, s3, bucket):
    for key in ("a", "dir/b"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"healthy " + key.encode())
    completed = run_admin(server, "heal", bucket)
    assert completed.returncode == 0, describe(completed, server)
    for field in ("objects scanned:", "objects healed:", "shards healed:", "records healed:", "corruptions found:"):
        assert field in completed.stdout, completed.stdout
    def counter(name: str) -> int:
        return int(re.search(rf"^{name}: (\d+)$", completed.stdout, re.MULTILINE).group(1))

    # A fresh bucket of two healthy objects: both scanned, nothing to heal.
    assert counter("objects scanned") == 2
    assert counter("objects healed") == counter("shards healed") == counter("records healed") == 0
    assert counter("corruptions found") == 0
    assert "failed:" not in completed.stdout
    # Healing a healthy bucket leaves the objects readable and unchanged.
    assert s3.get_object(Bucket=bucket, Key="dir/b")["Body"].read() == b"healthy dir/b"


def test_cli_heal_of_everything_and_of_a_prefix_exit_0(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="logs/one", Body=b"1")
    everything = run_admin(server, "heal")
    assert everything.returncode == 0, describe(everything, server)
    assert "objects scanned:" in everything.stdout
    prefixed = run_admin(server, "heal", f"{bucket}/logs/", "--json")
    assert prefixed.returncode == 0, describe(prefixed, server)
    report = json.loads(prefixed.stdout)
    assert HEAL_REPORT_FIELDS <= set(report), f"missing fields: {HEAL_REPORT_FIELDS - set(report)}"
    assert report["failures"] == [] and report["objectsScanned"] == 1 and report["objectsHealed"] == 0


def test_signed_heal_over_http_answers_a_json_report(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="x", Body=b"x")
    response = raw_http.request(server, "POST", f"{HEAL_PATH}?bucket={bucket}&prefix=x", timeout=600)
    assert response.status == 200, response.body[:500]
    assert response.header("content-type").startswith("application/json")
    report = json.loads(response.body)
    assert HEAL_REPORT_FIELDS <= set(report)
    assert report["objectsScanned"] == 1 and report["failures"] == [] and report["shardsHealed"] == 0


def test_heal_prefix_without_a_bucket_is_an_invalid_argument(server):
    response = raw_http.request(server, "POST", f"{HEAL_PATH}?prefix=logs%2F")
    assert_error_document(response, 400, "InvalidArgument")


def test_cli_with_wrong_credentials_exits_non_zero_with_the_s3_error_code(server):
    completed = run_admin(server, "heal", secret_key="not-the-secret")
    assert completed.returncode != 0, describe(completed, server)
    assert "SignatureDoesNotMatch" in completed.stderr
    assert "objects scanned:" not in completed.stdout


def test_cli_against_an_unreachable_endpoint_exits_non_zero(server):
    completed = run_admin(server, "status", endpoint=f"http://127.0.0.1:{free_loopback_port()}")
    assert completed.returncode != 0
    assert "cannot reach" in completed.stderr


def test_cli_rejects_an_invalid_bucket_name_before_sending_anything(server):
    completed = run_admin(server, "heal", "Not_A_Bucket/prefix")
    assert completed.returncode != 0
    assert "bucket" in completed.stderr.lower()


# --- Metrics --------------------------------------------------------------------------------------


def test_metrics_are_prometheus_text_for_a_loopback_client_without_credentials(server):
    response = raw_http.request(server, "GET", METRICS_PATH, sign=False)
    assert response.status == 200, response.body[:500]
    assert response.header("content-type").startswith("text/plain")
    assert "version=0.0.4" in response.header("content-type")
    assert "# TYPE stowage_drives_online gauge" in response.body.decode()
    values = metrics(server)
    assert values["stowage_drives_online"] == 1 and values["stowage_drives_offline"] == 0


# --- Namespace ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sign", [False, True], ids=["anonymous", "signed"])
@pytest.mark.parametrize("path", ["/_stowage/nothing-here", "/_stowage/admin/v2/status", "/_stowage/admin/v1/"])
def test_unknown_stowage_path_answers_a_4xx_error_document(server, path, sign):
    # The admin namespace answers every unknown path alike, signed or not, before authentication.
    assert_error_document(raw_http.request(server, "GET", path, sign=sign), 400, "InvalidRequest")


def test_wrong_method_on_an_admin_path_is_method_not_allowed(server):
    response = raw_http.request(server, "GET", HEAL_PATH)
    assert_error_document(response, 405, "MethodNotAllowed")


def test_virtual_hosted_key_under_stowage_prefix_is_an_object(start_server):
    server = start_server(domain="example.test")
    assert raw_http.request(server, "PUT", "/vhost-admin").status == 200  # path-style CreateBucket
    host = f"vhost-admin.example.test:{server.port}"
    put = raw_http.request(server, "PUT", METRICS_PATH, body=b"just an object", host=host)
    assert put.status == 200, put.body
    got = raw_http.request(server, "GET", METRICS_PATH, host=host)
    assert (got.status, got.body) == (200, b"just an object")
