"""Regression tests for the defects an outside probe found (issue 11), each sending the probe's bytes.

Specifies:
- every `x-amz-*` header present must be signed, header-signed and presigned alike (403 AccessDenied,
  `HeadersNotSigned`), on the full path and the GET fast path; an unsigned `x-amz-copy-source` copies
  nothing;
- the Host header is parsed once: SigV2 signatures made for one bucket do not verify against another
  named by `Host: <bucket>.<domain>.`, and a Host that is not `host[:port]` is 400 InvalidArgument;
- repeated authentication parameters are 400; an absolute-form target whose authority differs from
  Host is 400 InvalidRequest;
- the admin API takes SigV4 only; metrics need loopback, the bearer token or a signature, and name no paths.
Connection limits and slow clients are in `test_connection_limits.py`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import os
import socket
import urllib.parse
from email.utils import formatdate

import boto3
import pytest
import requests
from botocore.auth import HmacV1Auth, S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

import raw_http
from e2e_support import assert_error_document, make_client


def exchange(server, data: bytes, method: str, timeout: float = 10) -> raw_http.RawResponse:
    """Writes `data` to a new connection as it is and reads one response."""
    with raw_http.open_socket(server, timeout) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        body = response.read()
        return raw_http.RawResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, body)


def target_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def raw_request(method: str, target: str, host: str, headers: list[tuple[str, str]], body: bytes = b"") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def assert_absent(s3, bucket: str, key: str) -> None:
    with pytest.raises(ClientError) as caught:
        s3.head_object(Bucket=bucket, Key=key)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


@pytest.fixture
def secret_object(s3, bucket):
    """A second bucket holding `s.txt`, which no URL in these tests was signed for."""
    name = "secret-" + os.urandom(6).hex()
    s3.create_bucket(Bucket=name)
    data = b"the secret " + os.urandom(16).hex().encode()
    s3.put_object(Bucket=name, Key="s.txt", Body=data)
    yield name, data
    s3.delete_object(Bucket=name, Key="s.txt")
    s3.delete_bucket(Bucket=name)


# MARK: headers outside SignedHeaders


def test_presigned_put_with_unsigned_copy_source_is_refused_and_copies_nothing(server, s3, bucket, secret_object):
    secret_bucket, secret = secret_object
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "upload.txt"}, ExpiresIn=300)

    response = exchange(
        server,
        raw_request(
            "PUT", target_of(url), f"127.0.0.1:{server.port}", [("x-amz-copy-source", f"{secret_bucket}/s.txt")]
        ),
        "PUT",
    )

    fields = assert_error_document(response, 403, "AccessDenied")
    assert fields["Message"] == "There were headers present in the request which were not signed"
    assert fields["HeadersNotSigned"] == "x-amz-copy-source"
    assert b"CopyObjectResult" not in response.body and response.header("etag") is None
    assert_absent(s3, bucket, "upload.txt")
    # The URL itself still works for what it was made for.
    assert requests.put(url, data=b"mine", timeout=10).status_code == 200
    assert s3.get_object(Bucket=bucket, Key="upload.txt")["Body"].read() == b"mine"
    assert s3.get_object(Bucket=secret_bucket, Key="s.txt")["Body"].read() == secret


def test_header_signed_put_whose_signed_headers_omit_copy_source_is_refused(server, s3, bucket, secret_object):
    secret_bucket, _ = secret_object
    path = raw_http.object_path(bucket, "upload.txt")
    headers = raw_http.signed_headers(server, "PUT", path)
    assert "x-amz-copy-source" not in headers["Authorization"]
    headers["x-amz-copy-source"] = f"/{secret_bucket}/s.txt"

    response = raw_http.request(server, "PUT", path, headers=headers, sign=False)

    fields = assert_error_document(response, 403, "AccessDenied")
    assert fields["HeadersNotSigned"] == "x-amz-copy-source"
    assert_absent(s3, bucket, "upload.txt")


def test_presigned_put_with_unsigned_metadata_and_storage_class_is_refused(server, s3, bucket):
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "doc"}, ExpiresIn=300)

    response = requests.put(
        url, data=b"body", headers={"x-amz-meta-owner": "mallory", "X-Amz-Storage-Class": "REDUCED_REDUNDANCY"}, timeout=10
    )

    fields = refused(response, 403, "AccessDenied")
    assert fields["HeadersNotSigned"] == "x-amz-meta-owner, x-amz-storage-class"
    assert_absent(s3, bucket, "doc")


def test_presigned_put_may_carry_an_unsigned_content_sha256(server, s3, bucket):
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "doc"}, ExpiresIn=300)

    response = requests.put(url, data=b"body", headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}, timeout=10)

    assert response.status_code == 200, response.text
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"body"


def test_presigned_get_with_an_unsigned_amz_header_is_refused_on_the_fast_path_too(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="small", Body=b"cached bytes")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "small"}, ExpiresIn=300)
    assert requests.get(url, timeout=10).content == b"cached bytes"  # cached; canonical URLs take the fast path

    denied = requests.get(url, headers={"x-amz-expected-bucket-owner": "123456789012"}, timeout=10)

    fields = refused(denied, 403, "AccessDenied")
    assert fields["HeadersNotSigned"] == "x-amz-expected-bucket-owner"


def test_header_signed_get_with_an_unsigned_amz_header_is_refused(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="small", Body=b"cached bytes")
    path = raw_http.object_path(bucket, "small")
    headers = raw_http.signed_headers(server, "GET", path)
    assert raw_http.request(server, "GET", path, headers=headers, sign=False).body == b"cached bytes"
    headers["X-Amz-Request-Payer"] = "requester"

    response = raw_http.request(server, "GET", path, headers=headers, sign=False)

    fields = assert_error_document(response, 403, "AccessDenied")
    assert fields["HeadersNotSigned"] == "x-amz-request-payer"


def test_signed_amz_headers_are_accepted(server, s3, bucket):
    path = raw_http.object_path(bucket, "meta")
    response = raw_http.request(server, "PUT", path, body=b"x", headers={"x-amz-meta-owner": "alice"})
    assert response.status == 200, response.body
    assert s3.head_object(Bucket=bucket, Key="meta")["Metadata"] == {"owner": "alice"}


# MARK: Host parsing (SigV2 with --domain)


@pytest.fixture
def domain_server(start_server):
    return start_server(domain="s3.local")


def sigv2_client(server, addressing_style: str = "path", endpoint: str | None = None):
    return boto3.client(
        "s3",
        endpoint_url=endpoint or server.endpoint,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name=server.region,
        config=Config(signature_version="s3", s3={"addressing_style": addressing_style}, retries={"max_attempts": 1}),
    )


def test_sigv2_presigned_urls_do_not_replay_against_the_bucket_a_host_names(domain_server):
    s3 = make_client(domain_server)
    for name in ("pub", "secret"):
        s3.create_bucket(Bucket=name)
    s3.put_object(Bucket="pub", Key="a.txt", Body=b"public")
    s3.put_object(Bucket="secret", Key="pub/a.txt", Body=b"secret bytes")
    # Read once, so the GET fast path holds it too: neither path may serve it to the URLs below.
    assert s3.get_object(Bucket="secret", Key="pub/a.txt")["Body"].read() == b"secret bytes"
    signer = sigv2_client(domain_server)
    get_url = signer.generate_presigned_url("get_object", Params={"Bucket": "pub", "Key": "a.txt"}, ExpiresIn=300)
    put_url = signer.generate_presigned_url("put_object", Params={"Bucket": "pub", "Key": "a.txt"}, ExpiresIn=300)
    list_url = signer.generate_presigned_url("list_objects", Params={"Bucket": "pub"}, ExpiresIn=300)
    port = domain_server.port

    # As made, the URLs work.
    assert exchange(domain_server, raw_request("GET", target_of(get_url), f"127.0.0.1:{port}", []), "GET").body == b"public"

    for method, url in (("GET", get_url), ("PUT", put_url), ("GET", list_url)):
        for host in ("secret.s3.local.", f"secret.s3.local.:{port}", f"SECRET.s3.local:{port}"):
            response = exchange(domain_server, raw_request(method, target_of(url), host, [], b"evil" if method == "PUT" else b""), method)
            assert_error_document(response, 403, "SignatureDoesNotMatch")
            assert b"secret bytes" not in response.body and b"<Contents>" not in response.body
    assert s3.get_object(Bucket="secret", Key="pub/a.txt")["Body"].read() == b"secret bytes"
    assert s3.get_object(Bucket="pub", Key="a.txt")["Body"].read() == b"public"


@pytest.mark.parametrize(
    "host",
    ["pub.s3.local:x:{port}", "127.0.0.1:{port}:1", "127.0.0.1:", "pub.s3.local :{port}", "a..s3.local", ".s3.local", "[::1"],
)
def test_a_host_that_is_not_host_and_port_is_refused(domain_server, host):
    s3 = make_client(domain_server)
    s3.create_bucket(Bucket="pub")
    s3.put_object(Bucket="pub", Key="a.txt", Body=b"public")
    url = sigv2_client(domain_server).generate_presigned_url(
        "get_object", Params={"Bucket": "pub", "Key": "a.txt"}, ExpiresIn=300
    )

    response = exchange(domain_server, raw_request("GET", target_of(url), host.format(port=domain_server.port), []), "GET")

    fields = assert_error_document(response, 400, "InvalidArgument")
    assert fields["ArgumentName"] == "Host"


def test_virtual_hosted_sigv2_accepts_the_fully_qualified_host_of_the_same_bucket(domain_server):
    s3 = make_client(domain_server)
    s3.create_bucket(Bucket="pub")
    s3.put_object(Bucket="pub", Key="a.txt", Body=b"public")
    signer = sigv2_client(domain_server, "virtual", endpoint=f"http://s3.local:{domain_server.port}")
    url = signer.generate_presigned_url("get_object", Params={"Bucket": "pub", "Key": "a.txt"}, ExpiresIn=300)
    assert urllib.parse.urlsplit(url).hostname == "pub.s3.local"

    for host in (f"pub.s3.local:{domain_server.port}", f"pub.s3.local.:{domain_server.port}"):
        response = exchange(domain_server, raw_request("GET", target_of(url), host, []), "GET")
        assert response.status == 200, response.body
        assert response.body == b"public"


# MARK: repeated parameters, absolute-form targets


def test_repeated_sigv4_authentication_parameters_are_refused(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    for name in ("X-Amz-Signature", "X-Amz-Credential"):
        doubled = url + f"&{name}=" + urllib.parse.quote(query[name][0], safe="")
        response = requests.get(doubled, timeout=10)
        fields = refused(response, 400, "AuthorizationQueryParametersError")
        assert name in fields["Message"]


def test_repeated_sigv2_authentication_parameters_are_refused(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    url = sigv2_client(server).generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300)
    assert requests.get(url, timeout=10).content == b"v"
    signature = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["Signature"][0]

    response = requests.get(url + "&Signature=" + urllib.parse.quote(signature, safe=""), timeout=10)

    fields = refused(response, 400, "InvalidArgument")
    assert fields["ArgumentName"] == "Signature"


def test_absolute_form_target_with_another_authority_is_refused(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"value")
    path = raw_http.object_path(bucket, "k")
    headers = raw_http.signed_headers(server, "GET", path)
    headers.pop("Host")
    fields = list(headers.items())

    other = exchange(server, raw_request("GET", f"http://elsewhere.example:80{path}", f"127.0.0.1:{server.port}", fields), "GET")
    same = exchange(server, raw_request("GET", f"http://127.0.0.1:{server.port}{path}", f"127.0.0.1:{server.port}", fields), "GET")

    assert_error_document(other, 400, "InvalidRequest")
    assert other.header("connection") == "close"
    assert same.status == 200 and same.body == b"value"


# MARK: admin API and metrics


def sigv2_put(server, path: str, date: str | None) -> raw_http.RawResponse:
    """A PUT signed with Signature Version 2 over `date` (the Date header; none when None), sent as is."""
    string_to_sign = f"PUT\n\n\n{date or ''}\n{path}"
    signature = base64.b64encode(hmac.new(server.secret_key.encode(), string_to_sign.encode(), hashlib.sha1).digest()).decode()
    headers = {"Authorization": f"AWS {server.access_key}:{signature}", "Content-Length": "1"}
    if date is not None:
        headers["Date"] = date
    return raw_http.request(server, "PUT", path, body=b"x", headers=headers, sign=False)


@pytest.mark.parametrize("date,status,code", [
    # S3 (and the s3-tests suite): a date before 1970 or none at all is AccessDenied, a date far off is a skew.
    ("Tue, 07 Jul 1950 21:53:04 GMT", 403, "AccessDenied"),
    (None, 403, "AccessDenied"),
    ("not a date", 403, "AccessDenied"),
    ("Fri, 31 Dec 9999 21:53:04 GMT", 403, "RequestTimeTooSkewed"),
])
def test_sigv2_dates_that_are_no_request_time_are_refused_as_s3_refuses_them(server, s3, bucket, date, status, code):
    assert_error_document(sigv2_put(server, f"/{bucket}/dated", date), status, code)
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="dated")
    # The same request with a current date is accepted (the signature itself is right).
    assert sigv2_put(server, f"/{bucket}/dated", formatdate(usegmt=True)).status == 200


def admin_request(server, signer_class, path: str = "/_stowage/admin/v1/status", method: str = "GET") -> requests.Response:
    request = AWSRequest(method=method, url=f"{server.endpoint}{path}")
    credentials = Credentials(server.access_key, server.secret_key)
    if signer_class is HmacV1Auth:
        HmacV1Auth(credentials).add_auth(request)
    else:
        request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
        S3SigV4Auth(credentials, "s3", server.region).add_auth(request)
    return requests.request(method, request.url, headers=dict(request.headers), timeout=10)


def refused(response: requests.Response, status: int, code: str) -> dict[str, str]:
    """`assert_error_document` of a `requests` response."""
    raw = raw_http.RawResponse(response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.content)
    return assert_error_document(raw, status, code)


def test_admin_api_refuses_signature_version_2(server):
    assert admin_request(server, S3SigV4Auth).status_code == 200

    fields = refused(admin_request(server, HmacV1Auth), 403, "AccessDenied")
    assert "Signature Version 4 only" in fields["Message"]
    healed = admin_request(server, HmacV1Auth, "/_stowage/admin/v1/heal?bucket=x", "POST")
    refused(healed, 403, "AccessDenied")


def test_metrics_from_loopback_name_drives_without_paths(server):
    response = requests.get(f"{server.endpoint}/_stowage/metrics", timeout=10)

    assert response.status_code == 200
    assert 'stowage_drive_online{set="0",drive="0"} 1' in response.text.splitlines()
    assert str(server.data_dir) not in response.text and "path=" not in response.text


def test_metrics_in_token_mode_need_the_bearer_token_or_a_signature(start_server):
    token = "metrics-" + os.urandom(8).hex()
    server = start_server(extra_args=["--metrics-access", "token"], extra_env={"STOWAGE_METRICS_TOKEN": token})
    url = f"{server.endpoint}/_stowage/metrics"

    anonymous = requests.get(url, timeout=10)
    wrong = requests.get(url, headers={"Authorization": "Bearer not-" + token}, timeout=10)
    right = requests.get(url, headers={"Authorization": "Bearer " + token}, timeout=10)
    signed = admin_request(server, S3SigV4Auth, "/_stowage/metrics")

    refused(anonymous, 403, "AccessDenied")
    fields = refused(wrong, 403, "AccessDenied")
    assert fields["Message"] == "The metrics token is not valid."
    for response in (right, signed):
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/plain; version=0.0.4"
        assert "stowage_drives_online 1" in response.text.splitlines()
