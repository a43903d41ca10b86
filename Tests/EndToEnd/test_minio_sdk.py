"""The MinIO Python SDK against the server.

Specifies put/get/stat/list/remove with metadata and content types, bulk removal, and an
fput/fget of a file large enough to go multipart.
"""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import S3Error

MiB = 1024 * 1024


@pytest.fixture
def minio_client(server):
    return Minio(
        f"127.0.0.1:{server.port}",
        access_key=server.access_key,
        secret_key=server.secret_key,
        secure=False,
        region=server.region,
    )


def test_put_get_stat_list_and_remove(minio_client, bucket):
    data = os.urandom(20_000)
    result = minio_client.put_object(
        bucket, "dir/obj.bin", io.BytesIO(data), len(data),
        content_type="application/x-minio", metadata={"x-amz-meta-origin": "minio-sdk"},
    )
    assert result.etag == hashlib.md5(data).hexdigest()

    response = minio_client.get_object(bucket, "dir/obj.bin")
    try:
        assert response.read() == data
    finally:
        response.close()
        response.release_conn()

    stat = minio_client.stat_object(bucket, "dir/obj.bin")
    assert stat.size == len(data)
    assert stat.etag == hashlib.md5(data).hexdigest()
    assert stat.content_type == "application/x-minio"
    assert stat.metadata["x-amz-meta-origin"] == "minio-sdk"

    assert [o.object_name for o in minio_client.list_objects(bucket)] == ["dir/"]
    listed = list(minio_client.list_objects(bucket, prefix="dir/", recursive=True))
    assert [(o.object_name, o.size) for o in listed] == [("dir/obj.bin", len(data))]

    minio_client.remove_object(bucket, "dir/obj.bin")
    with pytest.raises(S3Error) as caught:
        minio_client.stat_object(bucket, "dir/obj.bin")
    assert caught.value.code in ("NoSuchKey", "ResponseError", "NoSuchObject")


def test_bucket_exists_reports_presence(minio_client, bucket):
    assert minio_client.bucket_exists(bucket) is True
    assert minio_client.bucket_exists(bucket + "-absent") is False


def test_remove_objects_deletes_in_bulk(minio_client, bucket):
    for i in range(30):
        minio_client.put_object(bucket, f"bulk/{i}", io.BytesIO(b"x"), 1)
    errors = list(minio_client.remove_objects(bucket, [DeleteObject(f"bulk/{i}") for i in range(30)]))
    assert errors == []
    assert list(minio_client.list_objects(bucket, recursive=True)) == []


def test_fput_and_fget_of_a_multipart_sized_file(minio_client, bucket, tmp_path):
    source = tmp_path / "twelve.bin"
    source.write_bytes(os.urandom(12 * MiB))
    result = minio_client.fput_object(bucket, "twelve.bin", str(source), part_size=5 * MiB)
    # Three parts of 5, 5 and 2 MiB: a multipart ETag.
    assert result.etag.endswith("-3")

    target = tmp_path / "twelve-back.bin"
    minio_client.fget_object(bucket, "twelve.bin", str(target))
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(source.read_bytes()).digest()
    assert minio_client.stat_object(bucket, "twelve.bin").size == 12 * MiB


def test_presigned_get_from_minio_sdk_serves_the_bytes(minio_client, bucket):
    import urllib.request

    minio_client.put_object(bucket, "shared", io.BytesIO(b"shared bytes"), 12)
    url = minio_client.presigned_get_object(bucket, "shared")
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read() == b"shared bytes"
