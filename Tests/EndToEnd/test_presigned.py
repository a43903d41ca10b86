"""Presigned URLs made by boto3 and fetched by a plain HTTP client (`urllib.request`).

Specifies: presigned GET and PUT, response-* overrides in a presigned GET, expiry
(403 AccessDenied) and tampering (403 SignatureDoesNotMatch).
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from checksums import quoted_md5


def fetch(url: str, method: str = "GET", data: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.headers, response.read()


def fetch_error(url: str, method: str = "GET", data: bytes | None = None) -> tuple[int, dict, dict]:
    with pytest.raises(urllib.error.HTTPError) as caught:
        fetch(url, method, data)
    error = caught.value
    body = error.read()
    root = ET.fromstring(body)
    return error.code, error.headers, {child.tag: child.text or "" for child in root}


def test_presigned_get_returns_the_object_bytes_and_headers(s3, bucket):
    data = os.urandom(50_000)
    s3.put_object(Bucket=bucket, Key="shared file.bin", Body=data, ContentType="application/x-shared")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared file.bin"}, ExpiresIn=300)

    status, headers, body = fetch(url)

    assert status == 200
    assert body == data
    assert headers["ETag"] == quoted_md5(data)
    assert headers["Content-Type"] == "application/x-shared"
    assert headers["Content-Length"] == str(len(data))
    assert headers["x-amz-request-id"]


def test_presigned_get_honours_signed_response_overrides(s3, bucket):
    s3.put_object(Bucket=bucket, Key="report", Body=b"%PDF-1.7", ContentType="binary/octet-stream")
    url = s3.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": "report",
            "ResponseContentType": "application/pdf",
            "ResponseContentDisposition": 'attachment; filename="report.pdf"',
        },
        ExpiresIn=300,
    )
    _, headers, body = fetch(url)
    assert body == b"%PDF-1.7"
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == 'attachment; filename="report.pdf"'


def test_presigned_put_stores_the_uploaded_bytes(s3, bucket):
    data = os.urandom(30_000)
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "uploaded/ü.bin"}, ExpiresIn=300)

    status, headers, _ = fetch(url, method="PUT", data=data)

    assert status == 200
    assert headers["ETag"] == quoted_md5(data)
    assert s3.get_object(Bucket=bucket, Key="uploaded/ü.bin")["Body"].read() == data


def test_presigned_put_with_signed_content_type_stores_it(s3, bucket):
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "typed", "ContentType": "text/csv"}, ExpiresIn=300
    )
    fetch(url, method="PUT", data=b"a,b\n1,2\n", headers={"Content-Type": "text/csv"})
    got = s3.get_object(Bucket=bucket, Key="typed")
    assert got["ContentType"] == "text/csv"
    assert got["Body"].read() == b"a,b\n1,2\n"


def test_presigned_get_of_missing_key_returns_no_such_key(s3, bucket):
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "absent"}, ExpiresIn=300)
    status, _, error = fetch_error(url)
    assert status == 404
    assert error["Code"] == "NoSuchKey"


def test_expired_presigned_url_returns_access_denied(s3, bucket):
    s3.put_object(Bucket=bucket, Key="ephemeral", Body=b"soon gone")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "ephemeral"}, ExpiresIn=1)
    time.sleep(2.5)
    status, headers, error = fetch_error(url)
    # AWS: an expired presigned URL fails with 403 AccessDenied ("Request has expired").
    assert status == 403
    assert error["Code"] == "AccessDenied"
    assert error.get("RequestId") == headers["x-amz-request-id"]


def test_presigned_url_with_tampered_signature_returns_signature_does_not_match(s3, bucket):
    s3.put_object(Bucket=bucket, Key="guarded", Body=b"secret")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "guarded"}, ExpiresIn=300)
    prefix, signature = url.split("X-Amz-Signature=")
    tampered = prefix + "X-Amz-Signature=" + ("0" if signature[0] != "0" else "1") + signature[1:]
    status, _, error = fetch_error(tampered)
    assert status == 403
    assert error["Code"] == "SignatureDoesNotMatch"


def test_presigned_url_reused_for_another_key_returns_signature_does_not_match(s3, bucket):
    s3.put_object(Bucket=bucket, Key="allowed", Body=b"ok")
    s3.put_object(Bucket=bucket, Key="forbidden", Body=b"not for you")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "allowed"}, ExpiresIn=300)
    status, _, error = fetch_error(url.replace("/allowed?", "/forbidden?"))
    assert status == 403
    assert error["Code"] == "SignatureDoesNotMatch"


def test_presigned_get_url_cannot_be_used_to_put(s3, bucket):
    s3.put_object(Bucket=bucket, Key="read-only", Body=b"original")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "read-only"}, ExpiresIn=300)
    status, _, error = fetch_error(url, method="PUT", data=b"overwritten")
    assert status == 403
    assert error["Code"] == "SignatureDoesNotMatch"
    assert s3.get_object(Bucket=bucket, Key="read-only")["Body"].read() == b"original"
