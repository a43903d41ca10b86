"""GETs of small objects answered on the event loop (the inline-object cache and `FastGetHandler`).

Specifies: a GET answered from the cache carries exactly the status, body and headers the full request
path gives for the same object (everything but the per-response Date and request id), for SigV4 header
auth and presigned URLs, in never-versioned and versioned buckets; the cache never serves a version
that a PUT, DELETE, CopyObject, multipart completion or versioning change has replaced, read right
after that write; failed authentication is still refused; pipelined requests are answered in order; and
the idle timeout still closes connections (also ones that only ever sent cached GETs) while a connection
in steady use stays open.
"""

from __future__ import annotations

import socket
import time

import pytest
import requests
from botocore.exceptions import ClientError

import raw_http
from e2e_support import assert_error_document, error_code, make_client, metrics

PER_RESPONSE = {"date", "x-amz-request-id", "x-amz-id-2"}


def presigned_get(s3, bucket: str, key: str, **params) -> str:
    return s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key, **params}, ExpiresIn=600)


def served_from_cache(server) -> float:
    return metrics(server)["stowage_fast_get_responses_total"]


def raw(response: requests.Response) -> raw_http.RawResponse:
    return raw_http.RawResponse(response.status_code, {k.lower(): v for k, v in response.headers.items()},
                                response.content)


def comparable(headers) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items() if k.lower() not in PER_RESPONSE}


def test_cached_get_matches_the_full_path(s3, bucket, server):
    s3.put_object(
        Bucket=bucket, Key="meta.txt", Body=b"hello cache", ContentType="text/plain", CacheControl="max-age=60",
        Metadata={"color": "blue"}, StorageClass="REDUCED_REDUNDANCY")
    url = presigned_get(s3, bucket, "meta.txt")
    first = requests.get(url)  # full path: reads the index and fills the cache
    before = served_from_cache(server)
    cached = [requests.get(url) for _ in range(3)]
    assert served_from_cache(server) - before == 3, "the repeated GETs were not answered from the cache"
    etag = first.headers["ETag"]
    # If-Match makes the request take the full path; the answer is the same 200.
    before = served_from_cache(server)
    full = requests.get(url, headers={"If-Match": etag})
    assert served_from_cache(server) == before
    for response in [first, full, *cached]:
        assert response.status_code == 200 and response.content == b"hello cache"
        assert comparable(response.headers) == comparable(first.headers)
        assert response.headers["x-amz-request-id"] and response.headers["Date"]
    assert first.headers["Content-Type"] == "text/plain" and first.headers["x-amz-meta-color"] == "blue"
    assert first.headers["Cache-Control"] == "max-age=60" and first.headers["Content-Length"] == "11"
    assert first.headers["x-amz-storage-class"] == "REDUCED_REDUNDANCY" and "x-amz-version-id" not in first.headers
    ids = {r.headers["x-amz-request-id"] for r in cached}
    assert len(ids) == 3, "every response has its own request id"
    # SigV4 header auth (boto3) sees the same object.
    got = s3.get_object(Bucket=bucket, Key="meta.txt")
    assert got["Body"].read() == b"hello cache" and got["ETag"] == etag and got["Metadata"] == {"color": "blue"}


def test_reads_after_writes_never_see_a_replaced_version(s3, bucket, server):
    before = served_from_cache(server)
    for round_number in range(30):
        body = f"round {round_number}".encode()
        s3.put_object(Bucket=bucket, Key="hot", Body=body)
        assert s3.get_object(Bucket=bucket, Key="hot")["Body"].read() == body
        assert requests.get(presigned_get(s3, bucket, "hot")).content == body
    # Small PUTs write through to the cache, so each presigned GET after a PUT was answered from it
    # (boto3's own GETs ask for checksums, `x-amz-checksum-mode`, which the full path answers).
    assert served_from_cache(server) - before == 30
    s3.copy_object(Bucket=bucket, Key="hot", CopySource={"Bucket": bucket, "Key": "hot"}, MetadataDirective="REPLACE",
                   Metadata={"copied": "yes"})
    copied = requests.get(presigned_get(s3, bucket, "hot"))
    assert copied.content == b"round 29" and copied.headers["x-amz-meta-copied"] == "yes"
    upload = s3.create_multipart_upload(Bucket=bucket, Key="hot")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="hot", UploadId=upload, PartNumber=1, Body=b"multipart")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="hot", UploadId=upload,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert requests.get(presigned_get(s3, bucket, "hot")).content == b"multipart"
    s3.delete_object(Bucket=bucket, Key="hot")
    gone = requests.get(presigned_get(s3, bucket, "hot"))
    assert gone.status_code == 404 and b"<Code>NoSuchKey</Code>" in gone.content


def test_versioning_changes_reach_cached_objects(s3, bucket, server):
    before = served_from_cache(server)
    s3.put_object(Bucket=bucket, Key="k", Body=b"null version")
    url = presigned_get(s3, bucket, "k")
    for _ in range(2):
        assert "x-amz-version-id" not in requests.get(url).headers
    # AWS: GET of the null version in a bucket with versioning configured sends x-amz-version-id: null.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for _ in range(2):
        assert requests.get(url).headers["x-amz-version-id"] == "null"
    version = s3.put_object(Bucket=bucket, Key="k", Body=b"v2")["VersionId"]
    for _ in range(2):
        response = requests.get(url)
        assert response.content == b"v2" and response.headers["x-amz-version-id"] == version
    # All but the first GET after the versioning change (the change empties the cache; that GET
    # refills it from the drives).
    assert served_from_cache(server) - before == 5, "the GETs above were not answered from the cache"
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    response = requests.get(url)
    assert_error_document(raw(response), 404, "NoSuchKey")
    assert response.headers["x-amz-delete-marker"] == "true" and response.headers["x-amz-version-id"] == marker


def test_authentication_is_still_checked(s3, bucket, server):
    s3.put_object(Bucket=bucket, Key="secret", Body=b"do not leak")
    url = presigned_get(s3, bucket, "secret")
    assert requests.get(url).content == b"do not leak"  # now cached
    tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0") [:len(url)]
    assert_error_document(raw(requests.get(tampered)), 403, "SignatureDoesNotMatch")
    wrong = make_client(server, secret_key="not-the-secret")
    with pytest.raises(ClientError) as caught:
        wrong.get_object(Bucket=bucket, Key="secret")
    assert error_code(caught.value) == "SignatureDoesNotMatch"
    unsigned = requests.get(f"{server.endpoint}/{bucket}/secret")
    assert_error_document(raw(unsigned), 403, "AccessDenied")
    assert b"do not leak" not in unsigned.content


def test_pipelined_requests_are_answered_in_order(s3, bucket, server):
    s3.put_object(Bucket=bucket, Key="a", Body=b"AAAA")
    s3.put_object(Bucket=bucket, Key="b", Body=b"BBBBBB")
    etag_a = s3.head_object(Bucket=bucket, Key="a")["ETag"]
    before = served_from_cache(server)
    host = f"127.0.0.1:{server.port}"

    def line(url: str, extra: str = "") -> bytes:
        target = url.split(host, 1)[1]
        return f"GET {target} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()

    # In one write: a cached GET (answered at once), a full-path one (If-Match), and a cached GET
    # that must wait for the full-path answer before its own.
    burst = line(presigned_get(s3, bucket, "b")) + line(presigned_get(s3, bucket, "a"), f"If-Match: {etag_a}\r\n") \
        + line(presigned_get(s3, bucket, "a"))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(burst)
        received = b""
        deadline = time.monotonic() + 10
        while received.count(b"HTTP/1.1 200") < 3 or not received.endswith(b"AAAA"):
            assert time.monotonic() < deadline, f"incomplete: {received!r}"
            chunk = sock.recv(65536)
            assert chunk, f"connection closed early: {received!r}"
            received += chunk
    bodies = []
    for response in received.split(b"HTTP/1.1 200 OK\r\n")[1:]:
        head, rest = response.split(b"\r\n\r\n", 1)
        length = int(next(l.split(b":", 1)[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")))
        bodies.append(rest[:length])
        assert len(rest) == length, "bytes between responses"
    assert bodies == [b"BBBBBB", b"AAAA", b"AAAA"]
    # Only the first was answered from the cache: the last arrived while the full path was busy.
    assert served_from_cache(server) - before == 1


def test_idle_timeout_applies_to_cached_gets(start_server):
    server = start_server(extra_args=["--idle-timeout", "2"])
    s3 = make_client(server)
    s3.create_bucket(Bucket="idle")
    s3.put_object(Bucket="idle", Key="k", Body=b"kept alive")
    url = presigned_get(s3, "idle", "k")
    with requests.Session() as session:
        assert session.get(url).content == b"kept alive"
        sock = None
        # Steady use for longer than the timeout keeps the one connection open.
        started = time.monotonic()
        while time.monotonic() - started < 4:
            response = session.get(url, stream=True)
            if sock is None:
                sock = response.raw._connection.sock
            assert response.raw._connection.sock is sock, "the connection was replaced while in use"
            assert response.content == b"kept alive"
            time.sleep(0.5)
    # An idle connection is closed by the server after the timeout.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as idle:
        target = url.split(f"127.0.0.1:{server.port}", 1)[1]
        idle.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
        first = idle.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        idle.settimeout(10)
        while True:
            data = idle.recv(65536)
            if data == b"":
                break
        assert 1.5 <= time.monotonic() - started <= 6


def test_half_closed_client_gets_every_pipelined_answer(s3, bucket, server):
    """A client that sends its requests and then ends its side of the connection (as `printf … | nc`
    does) still receives every response before the server closes."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
    url = presigned_get(s3, bucket, "k")
    requests.get(url)
    host = f"127.0.0.1:{server.port}"
    target = url.split(host, 1)[1]
    count = 50
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode() * count)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    assert received.count(b"HTTP/1.1 200 OK") == count
    assert received.count(b"0123456789") == count


def test_cache_can_be_turned_off(start_server):
    server = start_server(extra_args=["--small-object-cache", "0"])
    s3 = make_client(server)
    s3.create_bucket(Bucket="nocache")
    s3.put_object(Bucket="nocache", Key="k", Body=b"from the index")
    url = presigned_get(s3, "nocache", "k")
    for _ in range(3):
        assert requests.get(url).content == b"from the index"
    assert served_from_cache(server) == 0
    assert metrics(server)["stowage_inline_cache_bytes"] == 0


def raw_exchange(server, request: bytes) -> bytes:
    """Sends one request on a fresh connection and reads until the server closes or the
    response's Content-Length is complete."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while True:
            if b"\r\n\r\n" in received:
                head, rest = received.split(b"\r\n\r\n", 1)
                lengths = [l.split(b":", 1)[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if lengths and len(rest) >= int(lengths[0]):
                    return received
            chunk = sock.recv(65536)
            if not chunk:
                return received
            received += chunk


def parse_response(data: bytes) -> raw_http.RawResponse:
    """One HTTP/1.1 response read by `raw_exchange`."""
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, value in (l.split(":", 1) for l in lines[1:])}
    return raw_http.RawResponse(int(lines[0].split(" ")[1]), headers, body)


def test_presigned_urls_in_every_form_are_answered_alike(s3, bucket, server):
    """The canonical presigned lane (as SDK presigners write URLs, with or without the AWS SDK's
    `x-id`), presigned URLs in other encodings (the general lane) and header-signed GETs all give the
    full path's answer from the cache; a URL whose parameters were reordered is still valid (SigV4
    sorts them)."""
    key = "dir/caf\u00e9 menu+(1).txt"
    s3.put_object(Bucket=bucket, Key=key, Body=b"every lane", ContentType="text/plain")
    plain = presigned_get(s3, bucket, key)
    reference = requests.get(plain)  # may fill the cache
    assert reference.status_code == 200 and reference.content == b"every lane"
    host = f"127.0.0.1:{server.port}"
    path, query = plain.split(host, 1)[1].split("?", 1)
    reordered = "&".join(reversed(query.split("&")))
    # `%2F` → `%2f` in the credential: the same URL to SigV4 (escapes are decoded), not canonical bytes.
    lowercase_escape = query.replace("%2F", "%2f")
    # SigV4 header auth, no checksum mode: the signed request botocore would send, via requests.
    signed = raw_http.signed_headers(server, "GET", path)
    before = served_from_cache(server)
    answers = [
        requests.get(plain),
        requests.get(s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=600) + "&x-id=GetObject"),
        requests.get(f"{server.endpoint}{path}?{reordered}"),
        requests.get(f"{server.endpoint}{path}?{lowercase_escape}"),
        requests.get(f"{server.endpoint}{path}", headers=signed),
    ]
    for answer in answers[:1] + answers[2:]:
        assert answer.status_code == 200, answer.content
        assert answer.content == b"every lane"
        assert comparable(answer.headers) == comparable(reference.headers)
    # `x-id` added after signing is not covered by the signature.
    assert_error_document(raw(answers[1]), 403, "SignatureDoesNotMatch")
    assert served_from_cache(server) - before == 4


def test_requests_the_fast_path_leaves_get_the_full_paths_answer(s3, bucket, server):
    """HTTP/1.0, two Host headers (400 InvalidRequest: RFC 9112 §3.2), a presigned URL that also
    carries an Authorization header (two mechanisms: InvalidArgument, as AWS), and a presigned URL
    sent to another Host are not answered from the cache: the full path answers (including its
    errors) and the cache counter does not move."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"full path")
    url = presigned_get(s3, bucket, "k")
    assert requests.get(url).content == b"full path"
    host = f"127.0.0.1:{server.port}"
    target = url.split(host, 1)[1]
    before = served_from_cache(server)
    http10 = raw_exchange(server, f"GET {target} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
    assert http10.startswith(b"HTTP/1.") and b" 200 " in http10.split(b"\r\n", 1)[0] and http10.endswith(b"full path")
    both = requests.get(url, headers={"Authorization": "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/s3/aws4_request, "
                                                         "SignedHeaders=host, Signature=" + "0" * 64})
    assert_error_document(raw(both), 400, "InvalidArgument")
    other_host = raw_exchange(server, f"GET {target} HTTP/1.1\r\nHost: localhost:{server.port}\r\n\r\n".encode())
    assert_error_document(parse_response(other_host), 403, "SignatureDoesNotMatch")
    two_hosts = raw_exchange(server, f"GET {target} HTTP/1.1\r\nHost: {host}\r\nHost: {host}\r\n\r\n".encode())
    # RFC 9112 §3.2: a request with more than one Host is refused with 400.
    assert_error_document(parse_response(two_hosts), 400, "InvalidRequest")
    assert served_from_cache(server) == before
    # And the same URL on its own is still answered from the cache.
    assert requests.get(url).content == b"full path"
    assert served_from_cache(server) == before + 1
