"""Conditional writes (`If-None-Match: *`, `If-Match: <etag>`) on PutObject and CompleteMultipartUpload.

Each test names the AWS documentation fact it checks (S3 User Guide, "How to prevent object overwrites
with conditional writes", and the PutObject / CompleteMultipartUpload API references).
"""

from __future__ import annotations

import threading

import pytest
from botocore.exceptions import ClientError

from e2e_support import MiB, error_code, http_status, make_client



def test_if_none_match_creates_only_when_absent(s3, bucket):
    """AWS: "Uploads the object only if the object key name does not already exist in the bucket
    specified. Otherwise, Amazon S3 returns a 412 Precondition Failed error." The existing object is
    left untouched."""
    first = s3.put_object(Bucket=bucket, Key="once", Body=b"first", IfNoneMatch="*")
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="once", Body=b"second", IfNoneMatch="*")
    assert http_status(caught.value) == 412 and error_code(caught.value) == "PreconditionFailed"
    got = s3.get_object(Bucket=bucket, Key="once")
    assert got["Body"].read() == b"first" and got["ETag"] == first["ETag"]
    # After a delete the key is absent again, so a create succeeds.
    s3.delete_object(Bucket=bucket, Key="once")
    s3.put_object(Bucket=bucket, Key="once", Body=b"third", IfNoneMatch="*")
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"third"


def test_if_match_replaces_only_that_version(s3, bucket):
    """AWS: "Uploads the object only if the ETag value provided during the WRITE operation matches the ETag
    of the object in S3. If the ETag values do not match, the operation returns a 412 Precondition Failed
    error." A compare-and-swap chain: each write names the ETag it read."""
    etag = s3.put_object(Bucket=bucket, Key="cas", Body=b"v1")["ETag"]
    etag2 = s3.put_object(Bucket=bucket, Key="cas", Body=b"v2", IfMatch=etag)["ETag"]
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="cas", Body=b"stale", IfMatch=etag)
    assert http_status(caught.value) == 412 and error_code(caught.value) == "PreconditionFailed"
    assert s3.get_object(Bucket=bucket, Key="cas")["Body"].read() == b"v2"
    s3.put_object(Bucket=bucket, Key="cas", Body=b"v3", IfMatch=etag2.strip('"'))  # quotes are optional
    assert s3.get_object(Bucket=bucket, Key="cas")["Body"].read() == b"v3"


def test_if_match_on_a_missing_key_is_no_such_key(s3, bucket):
    """AWS user guide: with If-Match, if no object with the key exists, the write fails with 404 NoSuchKey."""
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="never", Body=b"x", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert http_status(caught.value) == 404 and error_code(caught.value) == "NoSuchKey"
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_complete_multipart_upload_honours_conditions_and_keeps_the_upload(s3, bucket):
    """AWS (CompleteMultipartUpload): If-None-Match "Uploads the object only if the object key name does not
    already exist ... Otherwise, Amazon S3 returns a 412 Precondition Failed error"; If-Match likewise compares
    the current ETag. A refused completion leaves the upload in place, so it can be completed afterwards."""
    s3.put_object(Bucket=bucket, Key="mp", Body=b"existing")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"p" * 1000)
    parts = {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}
    with pytest.raises(ClientError) as caught:
        s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload=parts, IfNoneMatch="*")
    assert http_status(caught.value) == 412 and error_code(caught.value) == "PreconditionFailed"
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"existing"
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])] == [upload]
    current = s3.head_object(Bucket=bucket, Key="mp")["ETag"]
    with pytest.raises(ClientError) as caught:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload=parts, IfMatch='"ffffffffffffffffffffffffffffffff"'
        )
    assert http_status(caught.value) == 412 and error_code(caught.value) == "PreconditionFailed"
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"existing"
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload=parts, IfMatch=current)
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"p" * 1000


def test_if_none_match_other_than_star_is_not_implemented(s3, bucket):
    """AWS: If-None-Match on a write "Expects the '*' (asterisk) character"; other values are refused (501)."""
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="x", Body=b"x", IfNoneMatch='"abc"')
    assert http_status(caught.value) == 501 and error_code(caught.value) == "NotImplemented"
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


@pytest.mark.parametrize("size", [100, 2 * MiB + 3])
def test_racing_creates_exactly_one_wins(server, bucket, size):
    """Linearizable creates: of many clients racing to create the same key with If-None-Match: *, exactly one
    gets 200 and every other one 412, and the stored bytes are the winner's (inline and shard-stored sizes)."""
    clients = 24
    barrier = threading.Barrier(clients)
    outcomes: list[tuple[int, int]] = []
    lock = threading.Lock()

    def racer(index: int) -> None:
        s3 = make_client(server)
        body = bytes([index]) * size
        barrier.wait()
        try:
            s3.put_object(Bucket=bucket, Key="race", Body=body, IfNoneMatch="*")
            result = (index, 200)
        except ClientError as error:
            result = (index, http_status(error))
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    winners = [index for index, code in outcomes if code == 200]
    assert len(outcomes) == clients
    assert len(winners) == 1, outcomes
    assert sorted(code for _, code in outcomes if code != 200) == [412] * (clients - 1)
    body = make_client(server).get_object(Bucket=bucket, Key="race")["Body"].read()
    assert body == bytes([winners[0]]) * size


def test_racing_compare_and_swap_increments_lose_no_update(server, bucket):
    """If-Match as compare-and-swap: workers each add 1 to a counter object by reading it with its ETag and
    writing it back with If-Match, retrying on 412. No increment may be lost."""
    s3 = make_client(server)
    s3.put_object(Bucket=bucket, Key="counter", Body=b"0")
    workers, per_worker = 8, 10

    def worker() -> None:
        client = make_client(server)
        done = 0
        while done < per_worker:
            got = client.get_object(Bucket=bucket, Key="counter")
            value = int(got["Body"].read())
            try:
                client.put_object(Bucket=bucket, Key="counter", Body=str(value + 1).encode(), IfMatch=got["ETag"])
                done += 1
            except ClientError as error:
                assert http_status(error) == 412, error

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert int(s3.get_object(Bucket=bucket, Key="counter")["Body"].read()) == workers * per_worker
