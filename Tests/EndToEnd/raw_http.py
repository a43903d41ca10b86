"""Raw HTTP against the server, for what an SDK would refuse to send: malformed bodies, short bodies,
stalled uploads, huge headers, unsigned requests, and hand-set Host headers.

Requests are signed with botocore's SigV4 signer (the same code the SDK uses), then sent with
`http.client` or a bare socket, so the bytes on the wire are exactly what the test wrote.
"""

from __future__ import annotations

import http.client
import socket
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from unittest import mock
from urllib.parse import quote

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


class _UnsignedPayloadSigV4Auth(S3SigV4Auth):
    """SigV4 with `x-amz-content-sha256: UNSIGNED-PAYLOAD`, which S3 accepts over plain HTTP too."""

    def _should_sha256_sign_payload(self, request):
        return False


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def error(self) -> dict[str, str]:
        """The children of an S3 `<Error>` document, by tag."""
        root = ET.fromstring(self.body)
        assert root.tag == "Error", f"expected an <Error> document, got <{root.tag}>: {self.body[:300]!r}"
        return {child.tag: child.text or "" for child in root}


def signed_headers(
    server,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    host: str | None = None,
    payload_hash: str | None = None,
    secret_key: str | None = None,
    region: str | None = None,
    signing_time: datetime | None = None,
) -> dict[str, str]:
    """SigV4 headers for a request to `path` (already percent-encoded, may include a query string)."""
    host = host or f"127.0.0.1:{server.port}"
    request = AWSRequest(method=method, url=f"http://{host}{path}", data=body, headers=dict(headers or {}))
    if payload_hash not in (None, UNSIGNED_PAYLOAD):
        raise ValueError("only UNSIGNED-PAYLOAD may replace the body's SHA-256")
    credentials = Credentials(server.access_key, secret_key or server.secret_key)
    signer_type = _UnsignedPayloadSigV4Auth if payload_hash == UNSIGNED_PAYLOAD else S3SigV4Auth
    signer = signer_type(credentials, "s3", region or server.region)
    if signing_time is None:
        signer.add_auth(request)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=signing_time):
            signer.add_auth(request)
    signed = {name: value for name, value in request.headers.items()}
    signed["Host"] = host
    return signed


def request(
    server,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    sign: bool = True,
    timeout: float = 30,
    **sign_options,
) -> RawResponse:
    """Sends one request with `http.client` and reads the whole response."""
    all_headers = dict(headers or {})
    if sign:
        all_headers = signed_headers(server, method, path, body, all_headers, **sign_options)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        return RawResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        connection.close()


def object_path(bucket: str, key: str, query: str = "") -> str:
    path = f"/{bucket}/{quote(key, safe='/~')}"
    return f"{path}?{query}" if query else path


def request_head_bytes(server, method: str, path: str, headers: dict[str, str]) -> bytes:
    """The request line and headers, ready to write to a socket by hand."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}"]
    lines += [f"{name}: {value}" for name, value in headers.items() if name.lower() != "host"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def open_socket(server, timeout: float = 10) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
