"""Unauthenticated clients cannot take a node down (issue 11, item 3).

Specifies:
- the soft file-descriptor limit is raised to the hard one at start, and the connection limit is derived
  from it (announced at start); connections past `--max-connections` wait to be accepted;
- running out of file descriptors takes no drive offline (a drive check that fails with EMFILE is skipped);
- a response to a request whose body was not read says `Connection: close` and the connection closes
  soon after, however slowly the client keeps sending;
- a body must keep an average pace: a signed upload trickled a byte at a time is cut off;
- `Expect: 100-continue` is answered only after authentication: a refused client gets its final status
  at once, an authenticated one `100 Continue` and then its answer.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import socket
import time
from pathlib import Path

import pytest

import raw_http
from e2e_support import drive_states, make_client, wait_until


def open_idle_connections(server, count: int) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sockets.append(socket.create_connection(("127.0.0.1", server.port), timeout=10))
    return sockets


def server_sockets(server) -> int:
    """Sockets the server process holds (its listener included)."""
    fd_dir = Path(f"/proc/{server.pid}/fd")
    count = 0
    for entry in fd_dir.iterdir():
        try:
            if os.readlink(entry).startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


def read_response_head(sock: socket.socket) -> tuple[int, dict[str, str]]:
    response = http.client.HTTPResponse(sock, method="PUT")
    response.begin()
    response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}


def seconds_until_closed(sock: socket.socket, limit: float, byte_interval: float) -> float:
    """Keeps sending one byte every `byte_interval` s until the server closes the connection;
    returns how long that took (fails the test after `limit` s)."""
    start = time.monotonic()
    sock.settimeout(byte_interval)
    while time.monotonic() - start < limit:
        try:
            sock.sendall(b"x")
            if sock.recv(1) == b"":
                return time.monotonic() - start
        except socket.timeout:
            continue
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - start
    pytest.fail(f"the server still held the connection after {limit} s of trickled bytes")


def test_soft_descriptor_limit_is_raised_and_the_connection_limit_derived_from_it(start_server):
    server = start_server(command_prefix=["prlimit", "--nofile=256:4096", "--"])

    limits = Path(f"/proc/{server.pid}/limits").read_text()
    assert re.search(r"^Max open files\s+4096\s+4096\s+files", limits, re.MULTILINE), limits
    # (4096 - 256 reserved - 32 for the one drive) / 2
    assert "connections: at most 1904; metrics: loopback" in server.log_path.read_text()


def test_connections_past_the_limit_wait_until_one_closes(start_server):
    server = start_server(extra_args=["--max-connections", "8"])
    assert raw_http.request(server, "PUT", "/held").status == 200  # its connection closes
    wait_until(lambda: server_sockets(server) == 1, 5, "only the listener")
    idle = open_idle_connections(server, 8)
    try:
        wait_until(lambda: server_sockets(server) == 9, 5, "8 connections and the listener")
        waiting = raw_http.open_socket(server, timeout=1.5)
        waiting.sendall(raw_http.request_head_bytes(server, "GET", "/", {}))
        with pytest.raises(socket.timeout):
            waiting.recv(1)  # not accepted: no answer
        assert server_sockets(server) == 9

        idle.pop().close()
        waiting.settimeout(10)
        status, _ = read_response_head(waiting)
        assert status == 403  # anonymous, but answered
        waiting.close()
        assert make_client(server).list_buckets()["Buckets"][0]["Name"] == "held"
    finally:
        for sock in idle:
            sock.close()


def test_a_connection_flood_is_capped_in_sockets_and_memory(start_server):
    server = start_server(extra_args=["--max-connections", "500"])
    rss_before = server.status_kib("VmRSS")
    flood = []
    try:
        # 600 in batches: the server accepts 500, the others wait in the listen queue. (An accept
        # batch of up to 4 may overshoot the limit by 3: the check runs before each batch.)
        for _ in range(2):
            flood += open_idle_connections(server, 200)
            wait_until(lambda: server_sockets(server) == len(flood) + 1, 10, f"{len(flood)} connections")
        flood += open_idle_connections(server, 200)
        time.sleep(1)
        assert 501 <= server_sockets(server) <= 504
        # ~15 KB per connection; 500 of them stay well under 40 MB.
        assert server.status_kib("VmRSS") - rss_before < 40_000
    finally:
        for sock in flood:
            sock.close()
    assert make_client(server).list_buckets()["Buckets"] == []


def test_a_connection_flood_past_the_descriptor_limit_takes_no_drive_offline(start_server, tmp_path):
    drives = [tmp_path / f"disk{index}" for index in range(4)]
    server = start_server(
        drives=drives,
        command_prefix=["prlimit", "--nofile=300:300", "--"],
        # More connections than descriptors, on purpose: the drives must survive EMFILE.
        extra_args=["--max-connections", "5000", "--drive-check-interval", "0.3"],
    )
    s3 = make_client(server)
    s3.create_bucket(Bucket="flood")
    s3.put_object(Bucket="flood", Key="before", Body=b"written before the flood")

    flood = open_idle_connections(server, 400)
    try:
        wait_until(lambda: "drive check skipped" in server.log_path.read_text(), 10, "a drive check under EMFILE")
        time.sleep(1)  # a few more checks while exhausted
    finally:
        for sock in flood:
            sock.close()

    log = server.log_path.read_text()
    assert "drive taken offline" not in log and "OFFLINE" not in log, server.log_tail()
    states = wait_until(lambda: drive_states(server), 30, "the admin API after the flood")
    assert [drive["state"] for drive in states] == ["online"] * 4
    assert s3.get_object(Bucket="flood", Key="before")["Body"].read() == b"written before the flood"
    s3.put_object(Bucket="flood", Key="after", Body=b"and after it")
    assert s3.get_object(Bucket="flood", Key="after")["Body"].read() == b"and after it"


def test_refused_body_is_not_read_to_its_end(server, bucket):
    sock = raw_http.open_socket(server)
    head = raw_http.request_head_bytes(
        server, "PUT", raw_http.object_path(bucket, "never"), {"Content-Length": "10000000"}
    )
    sock.sendall(head + b"x" * 100)

    status, headers = read_response_head(sock)
    assert status == 403
    assert headers["connection"] == "close"
    assert seconds_until_closed(sock, limit=10, byte_interval=0.2) < 5
    sock.close()


def test_a_signed_body_trickled_below_the_minimum_pace_is_cut_off(start_server):
    server = start_server(extra_args=["--idle-timeout", "2"])
    s3 = make_client(server)
    s3.create_bucket(Bucket="slow")
    path = raw_http.object_path("slow", "trickled")
    headers = raw_http.signed_headers(
        server, "PUT", path, headers={"Content-Length": "100000"}, payload_hash=raw_http.UNSIGNED_PAYLOAD
    )
    sock = raw_http.open_socket(server)
    sock.sendall(raw_http.request_head_bytes(server, "PUT", path, headers))

    # Each byte comes well inside the 2 s idle timeout; only the total pace is too slow.
    elapsed = seconds_until_closed(sock, limit=15, byte_interval=0.5)
    sock.close()

    assert 1.5 < elapsed < 6
    assert s3.list_objects_v2(Bucket="slow").get("KeyCount") == 0


def read_status_line(sock: socket.socket) -> bytes:
    """The first response line and its headers, up to the blank line."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def test_expect_continue_is_answered_only_after_authentication(server, s3, bucket):
    body = os.urandom(200_000)
    path = raw_http.object_path(bucket, "expected")

    refused = raw_http.open_socket(server)
    refused.sendall(
        raw_http.request_head_bytes(
            server, "PUT", path, {"Content-Length": str(len(body)), "Expect": "100-continue"}
        )
    )
    head = read_status_line(refused)
    assert head.startswith(b"HTTP/1.1 403 "), head
    assert b"connection: close" in head.lower()
    refused.close()

    headers = raw_http.signed_headers(
        server, "PUT", path, headers={"Content-Length": str(len(body)), "Expect": "100-continue"},
        payload_hash=raw_http.UNSIGNED_PAYLOAD,
    )
    accepted = raw_http.open_socket(server)
    accepted.sendall(raw_http.request_head_bytes(server, "PUT", path, headers))
    interim = read_status_line(accepted)
    assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
    accepted.sendall(body)
    status, response_headers = read_response_head(accepted)
    accepted.close()
    assert status == 200
    assert response_headers["etag"] == '"' + hashlib.md5(body).hexdigest() + '"'
    assert s3.get_object(Bucket=bucket, Key="expected")["Body"].read() == body


def test_expect_continue_into_a_missing_bucket_is_refused_before_the_body(server):
    # A signed PUT with `Expect: 100-continue` naming a bucket that does not exist gets its final 404 NoSuchBucket
    # at once, never `100 Continue` followed by a refusal after the body was sent.
    body = os.urandom(200_000)
    path = raw_http.object_path("no-such-bucket-expect", "key")
    headers = raw_http.signed_headers(
        server, "PUT", path, headers={"Content-Length": str(len(body)), "Expect": "100-continue"},
        payload_hash=raw_http.UNSIGNED_PAYLOAD,
    )
    refused = raw_http.open_socket(server)
    refused.sendall(raw_http.request_head_bytes(server, "PUT", path, headers))
    head = read_status_line(refused)
    refused.close()
    assert head.startswith(b"HTTP/1.1 404 "), head
    assert b"connection: close" in head.lower()


def test_expect_continue_with_a_bad_signature_is_refused_before_the_body(server, bucket):
    body = os.urandom(200_000)
    path = raw_http.object_path(bucket, "badly-signed")
    headers = raw_http.signed_headers(
        server, "PUT", path, headers={"Content-Length": str(len(body)), "Expect": "100-continue"},
        payload_hash=raw_http.UNSIGNED_PAYLOAD, secret_key="not-the-secret",
    )
    refused = raw_http.open_socket(server)
    refused.sendall(raw_http.request_head_bytes(server, "PUT", path, headers))
    head = read_status_line(refused)
    refused.close()
    assert head.startswith(b"HTTP/1.1 403 "), head


def test_empty_body_with_expect_continue_keeps_the_next_request_on_the_connection_fast(s3, bucket, server):
    """botocore sends `Expect: 100-continue` with every PutObject, empty ones too. An empty PUT answered
    without the interim 100 left botocore reading the next response on that connection as a
    continuation of the last one, until the server's idle timeout closed it (60 s per empty object)."""
    objects = (("empty", b""), ("one", b"x"), ("empty-again", b""), ("larger", os.urandom(100_000)))
    for key, body in objects:  # back to back, as a sync of many files sends them
        started = time.monotonic()
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        assert time.monotonic() - started < 5, f"PUT of {key} waited for the idle timeout"
    for key, body in objects:
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body

    # Accepted: the interim 100 comes even for an empty body, then the answer; the connection stays open.
    path = raw_http.object_path(bucket, "raw-empty")
    headers = raw_http.signed_headers(
        server, "PUT", path, headers={"Content-Length": "0", "Expect": "100-continue"},
        payload_hash=raw_http.UNSIGNED_PAYLOAD,
    )
    accepted = raw_http.open_socket(server)
    accepted.sendall(raw_http.request_head_bytes(server, "PUT", path, headers))
    assert read_status_line(accepted).startswith(b"HTTP/1.1 100 Continue")
    status, response_headers = read_response_head(accepted)
    accepted.close()
    assert status == 200 and response_headers["etag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    assert "close" not in response_headers.get("connection", "")

    # Refused before any 100: the final status says the connection closes.
    refused = raw_http.open_socket(server)
    refused.sendall(raw_http.request_head_bytes(server, "PUT", path, {"Content-Length": "0", "Expect": "100-continue"}))
    head = read_status_line(refused)
    refused.close()
    assert head.startswith(b"HTTP/1.1 403 "), head
    assert b"connection: close" in head.lower()
