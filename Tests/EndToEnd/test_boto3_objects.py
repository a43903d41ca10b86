"""Object and bucket operations through boto3, the official AWS SDK for Python.

Specifies: PutObject/GetObject/HeadObject/DeleteObject bytes and headers, stored standard and user
metadata, response-* overrides, byte ranges, conditional requests, Content-MD5, the five
x-amz-checksum algorithms, awkward keys, CopyObject, DeleteObjects, and bucket operations.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import raw_http
from checksums import content_md5, quoted_md5, s3_checksum
from e2e_support import client_error, error_code, headers_of, http_status, make_client

EMPTY_MD5_ETAG = '"d41d8cd98f00b204e9800998ecf8427e"'
CHECKSUM_ALGORITHMS = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"]


# --- Put, get, head, delete -------------------------------------------------------------------


def test_get_returns_the_exact_bytes_put_with_quoted_md5_etag(s3, bucket):
    data = os.urandom(100_000)
    put = s3.put_object(Bucket=bucket, Key="blob.bin", Body=data)
    # AWS: the ETag of an object uploaded by PutObject is the MD5 of its bytes, in quotes.
    assert put["ETag"] == quoted_md5(data)

    got = s3.get_object(Bucket=bucket, Key="blob.bin")
    assert got["Body"].read() == data
    assert got["ETag"] == quoted_md5(data)
    assert got["ContentLength"] == len(data)
    headers = headers_of(got)
    assert headers["content-length"] == str(len(data))
    assert headers["etag"] == quoted_md5(data)
    assert headers["x-amz-request-id"]
    assert "last-modified" in headers


def test_put_without_content_type_stores_binary_octet_stream(s3, bucket):
    s3.put_object(Bucket=bucket, Key="untyped", Body=b"x")
    # AWS: the default Content-Type is binary/octet-stream.
    assert s3.head_object(Bucket=bucket, Key="untyped")["ContentType"] == "binary/octet-stream"


def test_standard_headers_and_user_metadata_are_stored_and_returned(s3, bucket):
    data = b"payload with headers"
    s3.put_object(
        Bucket=bucket,
        Key="doc.txt",
        Body=data,
        ContentType="text/plain; charset=utf-8",
        ContentEncoding="identity",
        ContentDisposition='attachment; filename="doc.txt"',
        ContentLanguage="en-GB",
        CacheControl="max-age=3600, public",
        Expires=datetime(2037, 1, 1, tzinfo=timezone.utc),
        Metadata={"colour": "blue", "Mixed-Case": "Value With Spaces", "empty": ""},
    )
    for response in (s3.head_object(Bucket=bucket, Key="doc.txt"), s3.get_object(Bucket=bucket, Key="doc.txt")):
        headers = headers_of(response)
        assert headers["content-type"] == "text/plain; charset=utf-8"
        assert headers["content-encoding"] == "identity"
        assert headers["content-disposition"] == 'attachment; filename="doc.txt"'
        assert headers["content-language"] == "en-GB"
        assert headers["cache-control"] == "max-age=3600, public"
        assert headers["expires"] == "Thu, 01 Jan 2037 00:00:00 GMT"
        assert headers["content-length"] == str(len(data))
        assert headers["etag"] == quoted_md5(data)
        # AWS: user-defined metadata keys are stored and returned in lowercase.
        assert response["Metadata"] == {"colour": "blue", "mixed-case": "Value With Spaces", "empty": ""}
        assert headers["x-amz-meta-colour"] == "blue"


def test_head_returns_the_headers_of_get_without_a_body(s3, bucket):
    data = os.urandom(4096)
    s3.put_object(Bucket=bucket, Key="h", Body=data, ContentType="image/png")
    head = s3.head_object(Bucket=bucket, Key="h")
    headers = headers_of(head)
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == quoted_md5(data)
    assert head["ContentType"] == "image/png"
    assert headers["accept-ranges"] == "bytes"
    assert isinstance(head["LastModified"], datetime)
    assert abs(head["LastModified"] - datetime.now(timezone.utc)) < timedelta(minutes=5)


def test_put_overwrites_an_existing_key_with_the_new_bytes(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"first version", Metadata={"v": "1"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"second", ContentType="text/x-second")
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"second"
    assert got["ContentType"] == "text/x-second"
    assert got["Metadata"] == {}


def test_zero_byte_object_has_empty_md5_etag_and_empty_body(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert put["ETag"] == EMPTY_MD5_ETAG
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["Body"].read() == b""
    assert got["ContentLength"] == 0
    assert got["ETag"] == EMPTY_MD5_ETAG
    assert s3.head_object(Bucket=bucket, Key="empty")["ContentLength"] == 0


def test_get_missing_key_returns_no_such_key_404(s3, bucket):
    error = client_error(s3.get_object, Bucket=bucket, Key="never-written")
    assert http_status(error) == 404
    assert error_code(error) == "NoSuchKey"
    assert error.response["ResponseMetadata"]["RequestId"]


def test_head_missing_key_returns_404(s3, bucket):
    error = client_error(s3.head_object, Bucket=bucket, Key="never-written")
    # HEAD responses carry no body, so the SDK reports the status code as the error code.
    assert http_status(error) == 404
    assert error_code(error) in ("404", "NoSuchKey", "NotFound")


def test_get_after_delete_returns_no_such_key(s3, bucket):
    s3.put_object(Bucket=bucket, Key="doomed", Body=b"bytes")
    deleted = s3.delete_object(Bucket=bucket, Key="doomed")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_code(client_error(s3.get_object, Bucket=bucket, Key="doomed")) == "NoSuchKey"
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_of_missing_key_succeeds_with_204(s3, bucket):
    # AWS: DeleteObject on a key that does not exist returns 204 No Content in an unversioned bucket.
    response = s3.delete_object(Bucket=bucket, Key="not-there")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_object_operations_on_missing_bucket_return_no_such_bucket(s3):
    for call, kwargs in (
        (s3.get_object, {"Key": "k"}),
        (s3.put_object, {"Key": "k", "Body": b"x"}),
        (s3.list_objects_v2, {}),
    ):
        error = client_error(call, Bucket="stowage-no-such-bucket-e2e", **kwargs)
        assert http_status(error) == 404
        assert error_code(error) == "NoSuchBucket"


# --- response-* overrides ----------------------------------------------------------------------


def test_response_overrides_replace_the_stored_headers_on_get(s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=b"override me", ContentType="text/plain")
    got = s3.get_object(
        Bucket=bucket,
        Key="r",
        ResponseContentType="application/json",
        ResponseContentDisposition='inline; filename="x.json"',
        ResponseCacheControl="no-cache",
        ResponseContentEncoding="identity",
        ResponseContentLanguage="fr",
        ResponseExpires=datetime(2030, 6, 1, tzinfo=timezone.utc),
    )
    headers = headers_of(got)
    assert got["Body"].read() == b"override me"
    assert headers["content-type"] == "application/json"
    assert headers["content-disposition"] == 'inline; filename="x.json"'
    assert headers["cache-control"] == "no-cache"
    assert headers["content-encoding"] == "identity"
    assert headers["content-language"] == "fr"
    assert headers["expires"] == "Sat, 01 Jun 2030 00:00:00 GMT"
    # The override changes the response only, never the stored object.
    assert s3.head_object(Bucket=bucket, Key="r")["ContentType"] == "text/plain"


# --- Ranges ------------------------------------------------------------------------------------

RANGE_DATA = bytes(range(100))


@pytest.mark.parametrize(
    "range_header, first, last",
    [
        ("bytes=0-9", 0, 9),
        ("bytes=10-", 10, 99),
        ("bytes=-5", 95, 99),
        ("bytes=42-42", 42, 42),
        ("bytes=90-500", 90, 99),  # RFC 9110 §14.1.1: a last-pos beyond the end means the end.
        ("bytes=-500", 0, 99),  # RFC 9110 §14.1.1: a suffix longer than the object selects all of it.
    ],
)
def test_range_get_returns_206_with_the_selected_bytes_and_content_range(s3, bucket, range_header, first, last):
    s3.put_object(Bucket=bucket, Key="r", Body=RANGE_DATA)
    got = s3.get_object(Bucket=bucket, Key="r", Range=range_header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["Body"].read() == RANGE_DATA[first : last + 1]
    assert got["ContentRange"] == f"bytes {first}-{last}/100"
    assert got["ContentLength"] == last - first + 1
    assert got["ETag"] == quoted_md5(RANGE_DATA)


@pytest.mark.parametrize("range_header", ["bytes=100-", "bytes=100-200", "bytes=1000-1001"])
def test_range_starting_beyond_the_end_returns_416_invalid_range(s3, bucket, range_header):
    s3.put_object(Bucket=bucket, Key="r", Body=RANGE_DATA)
    error = client_error(s3.get_object, Bucket=bucket, Key="r", Range=range_header)
    assert http_status(error) == 416
    assert error_code(error) == "InvalidRange"


def test_syntactically_invalid_range_is_ignored_and_returns_the_whole_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=RANGE_DATA)
    # RFC 9110 §14.2: a server MUST ignore a Range header it does not understand; S3 returns 200.
    got = s3.get_object(Bucket=bucket, Key="r", Range="bytes=abc")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["Body"].read() == RANGE_DATA


def test_range_on_head_reports_the_range_length(s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=RANGE_DATA)
    head = s3.head_object(Bucket=bucket, Key="r", Range="bytes=0-9")
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert head["ContentLength"] == 10
    assert head["ContentRange"] == "bytes 0-9/100"


# --- Conditional requests ----------------------------------------------------------------------


@pytest.fixture
def conditional_object(s3, bucket):
    data = b"conditional body"
    s3.put_object(Bucket=bucket, Key="c", Body=data)
    head = s3.head_object(Bucket=bucket, Key="c")
    return data, head["ETag"], head["LastModified"]


@pytest.mark.parametrize("method", ["get_object", "head_object"])
def test_if_match_with_current_etag_returns_200_and_other_etag_returns_412(s3, bucket, conditional_object, method):
    data, etag, _ = conditional_object
    call = getattr(s3, method)
    ok = call(Bucket=bucket, Key="c", IfMatch=etag)
    assert ok["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert ok["ETag"] == etag
    if method == "get_object":
        assert ok["Body"].read() == data
    error = client_error(call, Bucket=bucket, Key="c", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert http_status(error) == 412
    if method == "get_object":
        assert error_code(error) == "PreconditionFailed"


@pytest.mark.parametrize("method", ["get_object", "head_object"])
def test_if_none_match_with_current_etag_returns_304_and_other_etag_returns_200(
    s3, bucket, conditional_object, method
):
    data, etag, _ = conditional_object
    call = getattr(s3, method)
    error = client_error(call, Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert http_status(error) == 304
    # RFC 9110 §15.4.5: a 304 carries the ETag of the selected representation.
    assert error.response["ResponseMetadata"]["HTTPHeaders"].get("etag") == etag
    ok = call(Bucket=bucket, Key="c", IfNoneMatch='"0123456789abcdef0123456789abcdef"')
    assert ok["ResponseMetadata"]["HTTPStatusCode"] == 200
    if method == "get_object":
        assert ok["Body"].read() == data


@pytest.mark.parametrize("method", ["get_object", "head_object"])
def test_if_modified_since_returns_304_when_unchanged_and_200_when_changed(s3, bucket, conditional_object, method):
    _, _, last_modified = conditional_object
    call = getattr(s3, method)
    error = client_error(call, Bucket=bucket, Key="c", IfModifiedSince=last_modified + timedelta(hours=1))
    assert http_status(error) == 304
    ok = call(Bucket=bucket, Key="c", IfModifiedSince=last_modified - timedelta(hours=1))
    assert ok["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize("method", ["get_object", "head_object"])
def test_if_unmodified_since_returns_412_when_changed_and_200_when_unchanged(s3, bucket, conditional_object, method):
    _, _, last_modified = conditional_object
    call = getattr(s3, method)
    error = client_error(call, Bucket=bucket, Key="c", IfUnmodifiedSince=last_modified - timedelta(hours=1))
    assert http_status(error) == 412
    ok = call(Bucket=bucket, Key="c", IfUnmodifiedSince=last_modified + timedelta(hours=1))
    assert ok["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_if_match_true_overrides_failing_if_unmodified_since(s3, bucket, conditional_object):
    data, etag, last_modified = conditional_object
    # AWS GetObject: If-Match true and If-Unmodified-Since false → 200 OK with the data.
    got = s3.get_object(Bucket=bucket, Key="c", IfMatch=etag, IfUnmodifiedSince=last_modified - timedelta(days=1))
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["Body"].read() == data


def test_if_none_match_false_with_if_modified_since_true_returns_304(s3, bucket, conditional_object):
    _, etag, last_modified = conditional_object
    # AWS GetObject: If-None-Match false and If-Modified-Since true → 304 Not Modified.
    error = client_error(
        s3.get_object, Bucket=bucket, Key="c", IfNoneMatch=etag, IfModifiedSince=last_modified - timedelta(days=1)
    )
    assert http_status(error) == 304


# --- Content-MD5 and checksums -----------------------------------------------------------------


def test_put_with_correct_content_md5_is_stored(s3, bucket):
    data = os.urandom(2048)
    put = s3.put_object(Bucket=bucket, Key="md5", Body=data, ContentMD5=content_md5(data))
    assert put["ETag"] == quoted_md5(data)
    assert s3.get_object(Bucket=bucket, Key="md5")["Body"].read() == data


def test_put_with_wrong_content_md5_returns_bad_digest_and_stores_nothing(s3, bucket):
    data = os.urandom(2048)
    error = client_error(s3.put_object, Bucket=bucket, Key="md5", Body=data, ContentMD5=content_md5(b"other"))
    # AWS: BadDigest (400) — the Content-MD5 you specified did not match what we received.
    assert http_status(error) == 400
    assert error_code(error) == "BadDigest"
    assert error_code(client_error(s3.head_object, Bucket=bucket, Key="md5")) in ("404", "NoSuchKey", "NotFound")


def test_put_with_malformed_content_md5_returns_invalid_digest(s3, bucket):
    error = client_error(s3.put_object, Bucket=bucket, Key="md5", Body=b"abc", ContentMD5="not-base64-md5")
    # AWS: InvalidDigest (400) — the Content-MD5 you specified is not valid.
    assert http_status(error) == 400
    assert error_code(error) == "InvalidDigest"


@pytest.mark.parametrize("algorithm", CHECKSUM_ALGORITHMS)
def test_sdk_computed_checksum_is_stored_and_returned_with_checksum_mode(s3, bucket, algorithm):
    data = os.urandom(70_000)
    put = s3.put_object(Bucket=bucket, Key="sum", Body=data, ChecksumAlgorithm=algorithm)
    expected = s3_checksum(algorithm, data)
    assert put[f"Checksum{algorithm}"] == expected
    head = s3.head_object(Bucket=bucket, Key="sum", ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == expected
    got = s3.get_object(Bucket=bucket, Key="sum", ChecksumMode="ENABLED")
    assert got[f"Checksum{algorithm}"] == expected
    assert headers_of(got)[f"x-amz-checksum-{algorithm.lower()}"] == expected
    assert got["Body"].read() == data


@pytest.mark.parametrize("algorithm", CHECKSUM_ALGORITHMS)
def test_explicit_checksum_header_is_verified_and_stored(s3, bucket, algorithm):
    data = b"The quick brown fox jumps over the lazy dog" * 100
    expected = s3_checksum(algorithm, data)
    s3.put_object(Bucket=bucket, Key="sum", Body=data, **{f"Checksum{algorithm}": expected})
    head = s3.head_object(Bucket=bucket, Key="sum", ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == expected
    assert s3.get_object(Bucket=bucket, Key="sum")["Body"].read() == data


@pytest.mark.parametrize("algorithm", CHECKSUM_ALGORITHMS)
def test_wrong_checksum_value_returns_bad_digest_and_stores_nothing(s3, bucket, algorithm):
    data = os.urandom(1000)
    wrong = s3_checksum(algorithm, data + b"tampered")
    error = client_error(s3.put_object, Bucket=bucket, Key="sum", Body=data, **{f"Checksum{algorithm}": wrong})
    # AWS: a checksum that does not match the received bytes fails with 400 BadDigest.
    assert http_status(error) == 400
    assert error_code(error) == "BadDigest"
    assert error_code(client_error(s3.head_object, Bucket=bucket, Key="sum")) in ("404", "NoSuchKey", "NotFound")


def test_checksum_is_not_returned_without_checksum_mode(s3, bucket, server):
    data = b"no checksum mode"
    s3.put_object(Bucket=bucket, Key="sum", Body=data, ChecksumSHA256=s3_checksum("SHA256", data))
    # Raw HTTP, because boto3 sends x-amz-checksum-mode: ENABLED on every GetObject by default.
    # AWS GetObject: the checksum headers are returned only when x-amz-checksum-mode is ENABLED.
    plain = raw_http.request(server, "GET", raw_http.object_path(bucket, "sum"))
    assert plain.body == data
    assert plain.header("x-amz-checksum-sha256") is None
    enabled = raw_http.request(
        server, "GET", raw_http.object_path(bucket, "sum"), headers={"x-amz-checksum-mode": "ENABLED"}
    )
    assert enabled.header("x-amz-checksum-sha256") == s3_checksum("SHA256", data)


# --- Keys --------------------------------------------------------------------------------------

AWKWARD_KEYS = [
    "with space.txt",
    "  leading and trailing spaces  ",
    "../escape-attempt",
    "../../../../../../tmp/stowage-escape-attempt",
    "a//double//slash",
    "/leading-slash",
    "100%.txt",
    "%2F-literal-percent-2F",
    "a+b=c&d?e#f",
    "emoji-😀-🪣.bin",
    "日本語/ファイル.txt",
    "é-precomposed",
    "e\u0301-decomposed",
    "quote'\"<xml>&amp;",
    "tab\there",
    ".",
    "..",
    "./dot",
    "semicolon;comma,colon:at@dollar$",
]


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_awkward_key_round_trips_and_is_listed_exactly(s3, bucket, key, server):
    data = key.encode() + b"|" + os.urandom(16)
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    listed = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert listed == [key]
    s3.delete_object(Bucket=bucket, Key=key)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_dot_dot_keys_never_write_outside_the_data_folder(s3, bucket, server):
    marker = f"stowage-escape-{bucket}"
    s3.put_object(Bucket=bucket, Key=f"../../{marker}", Body=b"x")
    s3.put_object(Bucket=bucket, Key=f"../{marker}", Body=b"x")
    for ancestor in (server.data_dir.parent, server.data_dir.parent.parent):
        assert not list(Path(ancestor).glob(f"{marker}*")), f"key escaped into {ancestor}"


def test_key_of_1024_bytes_is_accepted(s3, bucket):
    for key in ("k" * 1024, "é" * 512):  # 1024 bytes of UTF-8 either way
        s3.put_object(Bucket=bucket, Key=key, Body=b"long key")
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"long key"


def test_key_of_1025_bytes_returns_key_too_long_error(s3, bucket):
    # AWS: object key names are at most 1024 bytes of UTF-8; longer keys fail with KeyTooLongError (400).
    for key in ("k" * 1025, "k" + "é" * 512):
        error = client_error(s3.put_object, Bucket=bucket, Key=key, Body=b"x")
        assert http_status(error) == 400
        assert error_code(error) == "KeyTooLongError"


def test_file_and_folder_like_keys_coexist(s3, bucket):
    contents = {"a/b": b"file b", "a/b/": b"folder marker", "a/b/c": b"file c", "a": b"file a"}
    for key, data in contents.items():
        s3.put_object(Bucket=bucket, Key=key, Body=data)
    for key, data in contents.items():
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    listed = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == ["a", "a/b", "a/b/", "a/b/c"]

    s3.delete_object(Bucket=bucket, Key="a/b")
    listed = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == ["a", "a/b/", "a/b/c"]
    assert s3.get_object(Bucket=bucket, Key="a/b/c")["Body"].read() == b"file c"


# --- CopyObject --------------------------------------------------------------------------------


@pytest.fixture
def copy_source(s3, bucket):
    data = os.urandom(10_000)
    s3.put_object(
        Bucket=bucket, Key="src key ü", Body=data, ContentType="text/x-source", Metadata={"origin": "source"}
    )
    return data


def test_header_values_are_returned_as_sent_and_non_ascii_metadata_as_an_rfc_2047_word(server, s3, bucket):
    # AWS keeps stored header values as sent: Content-Encoding `deflate, gzip` comes back with its space (an
    # `aws-chunked` coding alone is transport framing and dropped). User metadata with non-US-ASCII characters is
    # returned UTF-8 encoded in an RFC 2047 encoded word, ASCII values as they are.
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html (user-defined object metadata)
    s3.put_object(Bucket=bucket, Key="codings", Body=b"x", ContentEncoding="deflate, gzip")
    assert headers_of(s3.head_object(Bucket=bucket, Key="codings"))["content-encoding"] == "deflate, gzip"

    value = "Zoë ünïcode ✓"
    headers = raw_http.signed_headers(server, "PUT", f"/{bucket}/unicode-meta", b"y",
                                      {"x-amz-meta-name": value, "x-amz-meta-plain": "ascii, as is", "Content-Length": "1"})
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.putrequest("PUT", f"/{bucket}/unicode-meta", skip_host=True)
    for name, text in headers.items():
        connection.putheader(name, text.encode("utf-8"))  # the UTF-8 bytes on the wire, not Latin-1
    connection.endheaders(b"y")
    response = connection.getresponse()
    assert response.status == 200, response.read()
    connection.close()
    word = "=?UTF-8?B?" + base64.b64encode(value.encode("utf-8")).decode() + "?="
    for answer in (s3.head_object(Bucket=bucket, Key="unicode-meta"), s3.get_object(Bucket=bucket, Key="unicode-meta")):
        assert answer["Metadata"] == {"name": word, "plain": "ascii, as is"}
        assert all(ord(c) < 128 for c in headers_of(answer)["x-amz-meta-name"])


def test_copy_with_copy_directive_duplicates_bytes_and_metadata(s3, bucket, copy_source):
    result = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src key ü"})
    assert result["CopyObjectResult"]["ETag"] == quoted_md5(copy_source)
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == copy_source
    assert got["ContentType"] == "text/x-source"
    assert got["Metadata"] == {"origin": "source"}
    assert got["ETag"] == quoted_md5(copy_source)


def test_copy_with_replace_directive_takes_the_new_metadata(s3, bucket, copy_source):
    s3.copy_object(
        Bucket=bucket,
        Key="dst",
        CopySource={"Bucket": bucket, "Key": "src key ü"},
        MetadataDirective="REPLACE",
        ContentType="application/x-replaced",
        Metadata={"new": "yes"},
    )
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == copy_source
    assert got["ContentType"] == "application/x-replaced"
    assert got["Metadata"] == {"new": "yes"}
    # The source is untouched.
    assert s3.head_object(Bucket=bucket, Key="src key ü")["Metadata"] == {"origin": "source"}


def test_copy_across_buckets_copies_the_bytes(s3, bucket, copy_source):
    other = bucket[:50] + "-other"
    s3.create_bucket(Bucket=other)
    try:
        s3.copy_object(Bucket=other, Key="copied", CopySource={"Bucket": bucket, "Key": "src key ü"})
        assert s3.get_object(Bucket=other, Key="copied")["Body"].read() == copy_source
    finally:
        s3.delete_object(Bucket=other, Key="copied")
        s3.delete_bucket(Bucket=other)


def test_copy_onto_itself_without_changes_returns_invalid_request(s3, bucket, copy_source):
    error = client_error(s3.copy_object, Bucket=bucket, Key="src key ü", CopySource={"Bucket": bucket, "Key": "src key ü"})
    # AWS: copying an object to itself without changing metadata, storage class or encryption is illegal (400 InvalidRequest).
    assert http_status(error) == 400
    assert error_code(error) == "InvalidRequest"


def test_copy_onto_itself_with_replace_updates_metadata_in_place(s3, bucket, copy_source):
    s3.copy_object(
        Bucket=bucket,
        Key="src key ü",
        CopySource={"Bucket": bucket, "Key": "src key ü"},
        MetadataDirective="REPLACE",
        Metadata={"rewritten": "1"},
    )
    got = s3.get_object(Bucket=bucket, Key="src key ü")
    assert got["Body"].read() == copy_source
    assert got["Metadata"] == {"rewritten": "1"}


def test_copy_source_conditions_are_evaluated_against_the_source(s3, bucket, copy_source):
    source = {"Bucket": bucket, "Key": "src key ü"}
    etag = quoted_md5(copy_source)
    last_modified = s3.head_object(Bucket=bucket, Key="src key ü")["LastModified"]

    s3.copy_object(Bucket=bucket, Key="ok-if-match", CopySource=source, CopySourceIfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="ok-if-match")["Body"].read() == copy_source

    failing = [
        {"CopySourceIfMatch": '"00000000000000000000000000000000"'},
        {"CopySourceIfNoneMatch": etag},
        {"CopySourceIfUnmodifiedSince": last_modified - timedelta(hours=1)},
        {"CopySourceIfModifiedSince": last_modified + timedelta(hours=1)},
    ]
    for condition in failing:
        error = client_error(s3.copy_object, Bucket=bucket, Key="never", CopySource=source, **condition)
        # AWS CopyObject: a failing x-amz-copy-source-if-* condition returns 412 PreconditionFailed.
        assert http_status(error) == 412, condition
        assert error_code(error) == "PreconditionFailed", condition
    assert "never" not in [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]]


def test_copy_of_missing_source_returns_no_such_key(s3, bucket):
    error = client_error(s3.copy_object, Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "missing"})
    assert http_status(error) == 404
    assert error_code(error) == "NoSuchKey"


# --- DeleteObjects -----------------------------------------------------------------------------


def test_delete_objects_verbose_reports_every_key_including_missing_ones(s3, bucket):
    keys = [f"d/{i}" for i in range(10)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    requested = keys[:5] + ["d/missing"]
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in requested]})
    # AWS: deleting a key that does not exist is reported as deleted.
    assert sorted(item["Key"] for item in result["Deleted"]) == sorted(requested)
    assert result.get("Errors", []) == []
    remaining = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert remaining == keys[5:]


def test_delete_objects_quiet_reports_no_successes(s3, bucket):
    keys = ["q/1", "q/2 with space", "q/3-ü"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
    # AWS: in quiet mode the response includes only the keys whose deletion failed.
    assert result.get("Deleted", []) == []
    assert result.get("Errors", []) == []
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_objects_accepts_one_thousand_keys(s3, bucket):
    keys = [f"many/{i:04d}" for i in range(1000)]
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
    assert len(result["Deleted"]) == 1000


# --- Buckets -----------------------------------------------------------------------------------


def test_create_bucket_twice_returns_bucket_already_owned_by_you(s3, bucket):
    error = client_error(s3.create_bucket, Bucket=bucket)
    # Stowage answers as AWS does outside us-east-1 (and as MinIO does): 409 BucketAlreadyOwnedByYou.
    assert http_status(error) == 409
    assert error_code(error) == "BucketAlreadyOwnedByYou"


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "UpperCase",
        "under_score",
        "-leading-hyphen",
        "trailing-hyphen-",
        "double..dot",
        "dot.-hyphen",
        "192.168.5.4",
        "xn--punycode-prefix",
        "sthree-reserved",
        "reserved-suffix-s3alias",
        "reserved-suffix--ol-s3",
    ],
)
def test_invalid_bucket_name_returns_invalid_bucket_name(s3, name):
    # AWS bucket naming rules: 3-63 chars of a-z0-9.- , starting and ending alphanumeric, not an IP address,
    # no "..", no reserved prefixes (xn--, sthree-) or suffixes (-s3alias, --ol-s3).
    error = client_error(s3.create_bucket, Bucket=name)
    assert http_status(error) == 400
    assert error_code(error) == "InvalidBucketName"


def test_delete_non_empty_bucket_returns_bucket_not_empty(s3, bucket):
    s3.put_object(Bucket=bucket, Key="keep", Body=b"x")
    error = client_error(s3.delete_bucket, Bucket=bucket)
    assert http_status(error) == 409
    assert error_code(error) == "BucketNotEmpty"
    assert s3.get_object(Bucket=bucket, Key="keep")["Body"].read() == b"x"


def test_delete_bucket_with_uploads_in_progress_deletes_it_and_them(s3):
    """AWS's DeleteBucket requires every object, version and delete marker to be deleted first
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html); multipart uploads in progress do
    not keep the bucket: it is deleted and they go with it (issue 14). A bucket created again under the name
    has none of them."""
    name = "stowage-e2e-delete-with-uploads"
    s3.create_bucket(Bucket=name)
    pending = s3.create_multipart_upload(Bucket=name, Key="pending")
    s3.upload_part(Bucket=name, Key="pending", UploadId=pending["UploadId"], PartNumber=1, Body=b"p" * 1000)
    s3.create_multipart_upload(Bucket=name, Key="other/empty")
    response = s3.delete_bucket(Bucket=name)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert http_status(client_error(s3.head_bucket, Bucket=name)) == 404
    error = client_error(s3.list_parts, Bucket=name, Key="pending", UploadId=pending["UploadId"])
    assert (http_status(error), error_code(error)) == (404, "NoSuchBucket")
    s3.create_bucket(Bucket=name)
    try:
        assert s3.list_multipart_uploads(Bucket=name).get("Uploads", []) == []
        error = client_error(s3.list_parts, Bucket=name, Key="pending", UploadId=pending["UploadId"])
        assert (http_status(error), error_code(error)) == (404, "NoSuchUpload")
    finally:
        s3.delete_bucket(Bucket=name)


def test_delete_bucket_with_an_object_and_an_upload_is_refused_and_keeps_both(s3, bucket):
    s3.put_object(Bucket=bucket, Key="keep", Body=b"x")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="pending")
    error = client_error(s3.delete_bucket, Bucket=bucket)
    assert (http_status(error), error_code(error)) == (409, "BucketNotEmpty")
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [upload["UploadId"]]
    s3.abort_multipart_upload(Bucket=bucket, Key="pending", UploadId=upload["UploadId"])


def test_head_missing_bucket_returns_404(s3):
    error = client_error(s3.head_bucket, Bucket="stowage-missing-bucket-e2e")
    assert http_status(error) == 404


def test_deleted_bucket_is_gone_and_its_name_is_reusable(s3, bucket):
    s3.delete_bucket(Bucket=bucket)
    assert http_status(client_error(s3.head_bucket, Bucket=bucket)) == 404
    assert error_code(client_error(s3.list_objects_v2, Bucket=bucket)) == "NoSuchBucket"
    s3.create_bucket(Bucket=bucket)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_missing_bucket_returns_no_such_bucket(s3):
    error = client_error(s3.delete_bucket, Bucket="stowage-missing-bucket-e2e")
    assert http_status(error) == 404
    assert error_code(error) == "NoSuchBucket"


def test_get_bucket_location_of_us_east_1_is_null(s3, bucket):
    # AWS: buckets in us-east-1 have a LocationConstraint of null.
    assert s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") is None


def test_list_buckets_includes_new_bucket_with_creation_date_and_owner(s3, bucket):
    listing = s3.list_buckets()
    names = [item["Name"] for item in listing["Buckets"]]
    assert bucket in names
    assert names == sorted(names)
    entry = next(item for item in listing["Buckets"] if item["Name"] == bucket)
    assert abs(entry["CreationDate"] - datetime.now(timezone.utc)) < timedelta(minutes=5)
    assert listing["Owner"]["ID"]


def test_list_buckets_paginates_with_max_buckets_and_filters_by_prefix_and_region(start_server):
    # AWS ListBuckets: max-buckets (1-10000) pages in name order, a truncated page carries ContinuationToken (opaque)
    # for the next; prefix and bucket-region filter; every entry names its BucketRegion.
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
    server = start_server()
    s3 = make_client(server)
    names = ["alpha-1", "alpha-2", "alpha-3", "beta-1", "beta-2"]
    for name in reversed(names):
        s3.create_bucket(Bucket=name)
    seen, token, pages = [], None, 0
    while True:
        page = s3.list_buckets(MaxBuckets=2, **({"ContinuationToken": token} if token else {}))
        pages += 1
        seen += [b["Name"] for b in page["Buckets"]]
        assert all(b["BucketRegion"] == "us-east-1" for b in page["Buckets"])
        token = page.get("ContinuationToken")
        if not token:
            break
    assert (seen, pages) == (names, 3)
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == names and "ContinuationToken" not in s3.list_buckets()
    alpha = s3.list_buckets(Prefix="alpha-", MaxBuckets=2)
    assert [b["Name"] for b in alpha["Buckets"]] == ["alpha-1", "alpha-2"] and alpha["Prefix"] == "alpha-"
    rest = s3.list_buckets(Prefix="alpha-", MaxBuckets=2, ContinuationToken=alpha["ContinuationToken"])
    assert [b["Name"] for b in rest["Buckets"]] == ["alpha-3"] and "ContinuationToken" not in rest
    assert [b["Name"] for b in s3.list_buckets(BucketRegion="us-east-1")["Buckets"]] == names
    assert s3.list_buckets(BucketRegion="eu-west-1")["Buckets"] == []
    for query in ("max-buckets=0", "max-buckets=10001", "max-buckets=two", "continuation-token=not%20base64%21"):
        # (boto3 refuses the first itself; raw requests reach the server.)
        response = raw_http.request(server, "GET", f"/?{query}")
        assert (response.status, response.error()["Code"]) == (400, "InvalidArgument"), query


def test_head_bucket_of_existing_bucket_returns_200_with_region(s3, bucket):
    head = s3.head_bucket(Bucket=bucket)
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert headers_of(head).get("x-amz-bucket-region") == "us-east-1"


def test_large_single_put_is_stored_intact(s3, bucket):
    data = os.urandom(8 * 1024 * 1024 + 13)
    put = s3.put_object(Bucket=bucket, Key="eight-mib", Body=data)
    assert put["ETag"] == quoted_md5(data)
    got = s3.get_object(Bucket=bucket, Key="eight-mib")["Body"].read()
    assert hashlib.md5(got).hexdigest() == hashlib.md5(data).hexdigest()
