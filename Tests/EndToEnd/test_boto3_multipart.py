"""Multipart uploads through boto3.

Specifies: the transfer manager's upload_file/download_file round trip, the explicit
Create/UploadPart/Complete sequence and its `"md5-of-md5s-N"` ETag, the completion errors
(InvalidPart, InvalidPartOrder, EntityTooSmall, NoSuchUpload), abort, ListParts,
ListMultipartUploads, GetObject by part number, and uploads that survive a server restart.
"""

from __future__ import annotations

import hashlib
import os

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from checksums import multipart_etag, quoted_md5, s3_checksum
from e2e_support import error_code, http_status, make_client

MiB = 1024 * 1024
# AWS: every part but the last must be at least 5 MiB.
MIN_PART = 5 * MiB


def client_error(call, *args, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(MiB), b""):
            digest.update(chunk)
    return digest.hexdigest()


def upload_parts(s3, bucket: str, key: str, parts: list[bytes]) -> tuple[str, list[dict]]:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    completed = []
    for number, data in enumerate(parts, start=1):
        response = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data)
        # AWS: a part's ETag is the quoted MD5 of its bytes.
        assert response["ETag"] == quoted_md5(data)
        completed.append({"PartNumber": number, "ETag": response["ETag"]})
    return upload_id, completed


def test_upload_file_and_download_file_of_30_mib_round_trip_byte_for_byte(s3, bucket, tmp_path):
    source = tmp_path / "source.bin"
    part_size = 5 * MiB
    with open(source, "wb") as handle:
        for _ in range(6):
            handle.write(os.urandom(part_size))
    config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=part_size, max_concurrency=4)

    s3.upload_file(str(source), bucket, "big/thirty.bin", Config=config)

    head = s3.head_object(Bucket=bucket, Key="big/thirty.bin")
    assert head["ContentLength"] == 30 * MiB
    raw = source.read_bytes()
    assert head["ETag"] == multipart_etag([raw[i : i + part_size] for i in range(0, len(raw), part_size)])

    target = tmp_path / "target.bin"
    s3.download_file(bucket, "big/thirty.bin", str(target), Config=config)
    assert target.stat().st_size == 30 * MiB
    assert file_sha256(target) == file_sha256(source)


def test_complete_assembles_parts_in_order_with_md5_of_md5s_etag(s3, bucket):
    parts = [os.urandom(MIN_PART), os.urandom(MIN_PART), os.urandom(1234)]
    upload_id, completed = upload_parts(s3, bucket, "assembled", parts)

    result = s3.complete_multipart_upload(
        Bucket=bucket, Key="assembled", UploadId=upload_id, MultipartUpload={"Parts": completed}
    )
    # AWS: a multipart ETag is the MD5 of the concatenated binary part MD5s, then "-" and the part count.
    assert result["ETag"] == multipart_etag(parts)
    assert result["Key"] == "assembled"
    assert result["Bucket"] == bucket

    got = s3.get_object(Bucket=bucket, Key="assembled")
    body = got["Body"].read()
    assert len(body) == sum(map(len, parts))
    assert body == b"".join(parts)
    assert got["ETag"] == multipart_etag(parts)
    # The upload is gone once completed.
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_completed_upload_keeps_content_type_and_metadata_from_create(s3, bucket):
    upload_id = s3.create_multipart_upload(
        Bucket=bucket, Key="typed", ContentType="video/mp4", Metadata={"camera": "front"}
    )["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="typed", UploadId=upload_id, PartNumber=1, Body=b"tiny last part")
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="typed",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    head = s3.head_object(Bucket=bucket, Key="typed")
    assert head["ContentType"] == "video/mp4"
    assert head["Metadata"] == {"camera": "front"}
    assert head["ETag"] == multipart_etag([b"tiny last part"])


def test_complete_may_skip_part_numbers(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="gaps")["UploadId"]
    first, last = os.urandom(MIN_PART), b"end"
    e1 = s3.upload_part(Bucket=bucket, Key="gaps", UploadId=upload_id, PartNumber=3, Body=first)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="gaps", UploadId=upload_id, PartNumber=10, Body=last)["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="gaps",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 3, "ETag": e1}, {"PartNumber": 10, "ETag": e2}]},
    )
    assert s3.get_object(Bucket=bucket, Key="gaps")["Body"].read() == first + last


def test_reuploading_a_part_number_replaces_the_part(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="again")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="again", UploadId=upload_id, PartNumber=1, Body=b"old part")
    etag = s3.upload_part(Bucket=bucket, Key="again", UploadId=upload_id, PartNumber=1, Body=b"new part")["ETag"]
    parts = s3.list_parts(Bucket=bucket, Key="again", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, quoted_md5(b"new part"), 8)]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="again", UploadId=upload_id, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    assert s3.get_object(Bucket=bucket, Key="again")["Body"].read() == b"new part"


def test_complete_with_wrong_part_etag_returns_invalid_part(s3, bucket):
    upload_id, completed = upload_parts(s3, bucket, "k", [os.urandom(MIN_PART), b"last"])
    completed[1]["ETag"] = quoted_md5(b"something else")
    error = client_error(
        s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": completed}
    )
    assert http_status(error) == 400
    assert error_code(error) == "InvalidPart"
    assert error_code(client_error(s3.get_object, Bucket=bucket, Key="k")) == "NoSuchKey"


def test_complete_naming_a_part_never_uploaded_returns_invalid_part(s3, bucket):
    upload_id, completed = upload_parts(s3, bucket, "k", [os.urandom(MIN_PART)])
    completed.append({"PartNumber": 2, "ETag": quoted_md5(b"never uploaded")})
    error = client_error(
        s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": completed}
    )
    assert http_status(error) == 400
    assert error_code(error) == "InvalidPart"


def test_complete_with_descending_part_numbers_returns_invalid_part_order(s3, bucket):
    upload_id, completed = upload_parts(s3, bucket, "k", [os.urandom(MIN_PART), os.urandom(MIN_PART)])
    error = client_error(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key="k",
        UploadId=upload_id,
        MultipartUpload={"Parts": list(reversed(completed))},
    )
    # AWS: the list of parts must be in ascending order by part number, else InvalidPartOrder (400).
    assert http_status(error) == 400
    assert error_code(error) == "InvalidPartOrder"


def test_complete_with_small_non_final_part_returns_entity_too_small(s3, bucket):
    upload_id, completed = upload_parts(s3, bucket, "k", [os.urandom(MiB), os.urandom(MiB)])
    error = client_error(
        s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": completed}
    )
    # AWS: EntityTooSmall (400) when a part other than the last is below the 5 MiB minimum.
    assert http_status(error) == 400
    assert error_code(error) == "EntityTooSmall"
    assert error_code(client_error(s3.get_object, Bucket=bucket, Key="k")) == "NoSuchKey"


def test_abort_discards_the_upload_and_its_parts(s3, bucket):
    upload_id, completed = upload_parts(s3, bucket, "aborted", [b"part one"])
    response = s3.abort_multipart_upload(Bucket=bucket, Key="aborted", UploadId=upload_id)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204

    for call, kwargs in (
        (s3.upload_part, {"PartNumber": 2, "Body": b"late"}),
        (s3.list_parts, {}),
        (s3.complete_multipart_upload, {"MultipartUpload": {"Parts": completed}}),
    ):
        error = client_error(call, Bucket=bucket, Key="aborted", UploadId=upload_id, **kwargs)
        assert http_status(error) == 404
        assert error_code(error) == "NoSuchUpload"
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_complete_sent_again_after_it_succeeded_answers_the_same_result(s3, bucket):
    # AWS: CompleteMultipartUpload is safe to retry with the same upload id and parts (an SDK retries when the
    # answer is lost): the repeat answers 200 with the same ETag, and the object is unchanged. A different part
    # list, or an upload id that was never completed into the key, still gets NoSuchUpload.
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html ("retry the failed
    # requests"), as AWS answers repeated completions.
    first, second = os.urandom(MIN_PART), b"tail bytes"
    upload_id, parts = upload_parts(s3, bucket, "retried/complete", [first, second])
    done = s3.complete_multipart_upload(Bucket=bucket, Key="retried/complete", UploadId=upload_id,
                                        MultipartUpload={"Parts": parts})
    assert done["ETag"] == multipart_etag([first, second])
    again = s3.complete_multipart_upload(Bucket=bucket, Key="retried/complete", UploadId=upload_id,
                                         MultipartUpload={"Parts": parts})
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert (again["ETag"], again["Bucket"], again["Key"]) == (done["ETag"], bucket, "retried/complete")
    got = s3.get_object(Bucket=bucket, Key="retried/complete")
    assert got["ETag"] == done["ETag"] and got["Body"].read() == first + second
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []

    # Other parts than were completed: not the same request, so the upload is gone.
    error = client_error(s3.complete_multipart_upload, Bucket=bucket, Key="retried/complete", UploadId=upload_id,
                         MultipartUpload={"Parts": parts[:1]})
    assert (http_status(error), error_code(error)) == (404, "NoSuchUpload")
    # Once another write replaced the object, the upload id names nothing any more.
    s3.put_object(Bucket=bucket, Key="retried/complete", Body=b"replaced")
    error = client_error(s3.complete_multipart_upload, Bucket=bucket, Key="retried/complete", UploadId=upload_id,
                         MultipartUpload={"Parts": parts})
    assert (http_status(error), error_code(error)) == (404, "NoSuchUpload")
    assert s3.get_object(Bucket=bucket, Key="retried/complete")["Body"].read() == b"replaced"


def test_operations_on_unknown_upload_id_return_no_such_upload(s3, bucket):
    error = client_error(s3.upload_part, Bucket=bucket, Key="k", UploadId="no-such-upload-id", PartNumber=1, Body=b"x")
    assert http_status(error) == 404
    assert error_code(error) == "NoSuchUpload"
    error = client_error(s3.abort_multipart_upload, Bucket=bucket, Key="k", UploadId="no-such-upload-id")
    assert error_code(error) == "NoSuchUpload"


def test_list_parts_reports_number_etag_and_size_and_paginates(s3, bucket):
    parts = [f"part-{n}".encode() * n for n in range(1, 8)]
    upload_id, _ = upload_parts(s3, bucket, "listed", parts)

    listing = s3.list_parts(Bucket=bucket, Key="listed", UploadId=upload_id)
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listing["Parts"]] == [
        (n, quoted_md5(data), len(data)) for n, data in enumerate(parts, start=1)
    ]
    assert listing["IsTruncated"] is False
    assert listing["UploadId"] == upload_id

    first = s3.list_parts(Bucket=bucket, Key="listed", UploadId=upload_id, MaxParts=3)
    assert [p["PartNumber"] for p in first["Parts"]] == [1, 2, 3]
    assert first["IsTruncated"] is True
    assert first["NextPartNumberMarker"] == 3
    rest = s3.list_parts(
        Bucket=bucket, Key="listed", UploadId=upload_id, PartNumberMarker=first["NextPartNumberMarker"]
    )
    assert [p["PartNumber"] for p in rest["Parts"]] == [4, 5, 6, 7]
    s3.abort_multipart_upload(Bucket=bucket, Key="listed", UploadId=upload_id)


def test_list_multipart_uploads_shows_in_progress_uploads_by_prefix(s3, bucket):
    ids = {key: s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"] for key in ("a/one", "a/two", "b/three")}
    listing = s3.list_multipart_uploads(Bucket=bucket)
    assert sorted((u["Key"], u["UploadId"]) for u in listing["Uploads"]) == sorted(ids.items())
    assert all(u["Initiated"] is not None for u in listing["Uploads"])

    by_prefix = s3.list_multipart_uploads(Bucket=bucket, Prefix="a/")
    assert sorted(u["Key"] for u in by_prefix["Uploads"]) == ["a/one", "a/two"]

    s3.abort_multipart_upload(Bucket=bucket, Key="a/one", UploadId=ids["a/one"])
    remaining = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert sorted(u["Key"] for u in remaining) == ["a/two", "b/three"]


def test_get_object_by_part_number_returns_that_part(s3, bucket):
    parts = [os.urandom(MIN_PART), b"second and last"]
    upload_id, completed = upload_parts(s3, bucket, "by-part", parts)
    s3.complete_multipart_upload(
        Bucket=bucket, Key="by-part", UploadId=upload_id, MultipartUpload={"Parts": completed}
    )
    got = s3.get_object(Bucket=bucket, Key="by-part", PartNumber=2)
    # AWS: GetObject with partNumber returns 206 with that part's bytes and x-amz-mp-parts-count.
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["Body"].read() == parts[1]
    assert got["PartsCount"] == 2
    assert got["ContentRange"] == f"bytes {MIN_PART}-{MIN_PART + len(parts[1]) - 1}/{MIN_PART + len(parts[1])}"


def test_part_number_reads_count_parts_and_refuse_parts_beyond_the_object(s3, bucket):
    # AWS GetObject/HeadObject `partNumber`: a completed multipart upload answers 206 with that part and
    # x-amz-mp-parts-count (PartsCount), also when it has a single part; a part number beyond the object's parts
    # is 400 InvalidPartNumber (as S3 answers; its error table says 416). An object from PutObject is one part:
    # partNumber=1 reads all of it, without a parts count, and 2 is InvalidPartNumber.
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
    only = b"the only part"
    upload_id, completed = upload_parts(s3, bucket, "one-part", [only])
    s3.complete_multipart_upload(Bucket=bucket, Key="one-part", UploadId=upload_id, MultipartUpload={"Parts": completed})
    got = s3.get_object(Bucket=bucket, Key="one-part", PartNumber=1)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert (got["PartsCount"], got["Body"].read()) == (1, only)
    assert got["ContentRange"] == f"bytes 0-{len(only) - 1}/{len(only)}"
    head = s3.head_object(Bucket=bucket, Key="one-part", PartNumber=1)
    assert (head["ResponseMetadata"]["HTTPStatusCode"], head["PartsCount"], head["ContentLength"]) == (206, 1, len(only))
    # Without partNumber, no parts count (as S3).
    assert "PartsCount" not in s3.head_object(Bucket=bucket, Key="one-part")
    for call in (s3.get_object, s3.head_object):
        error = client_error(call, Bucket=bucket, Key="one-part", PartNumber=2)
        assert http_status(error) == 400
        if call is s3.get_object:  # a HEAD answer has no body to carry the code
            assert error_code(error) == "InvalidPartNumber"

    s3.put_object(Bucket=bucket, Key="plain", Body=b"put in one go")
    got = s3.get_object(Bucket=bucket, Key="plain", PartNumber=1)
    assert got["Body"].read() == b"put in one go" and "PartsCount" not in got
    error = client_error(s3.get_object, Bucket=bucket, Key="plain", PartNumber=2)
    assert (http_status(error), error_code(error)) == (400, "InvalidPartNumber")


def test_upload_part_copy_copies_a_source_range_and_refuses_ranges_past_its_end(s3, bucket):
    # AWS UploadPartCopy: x-amz-copy-source-range is bytes=first-last, zero-based and inclusive, within the source;
    # a range past the source's end is refused (400 InvalidArgument, "Range specified is not valid for source
    # object of size: N"), never cut down to the object as a GET's Range is.
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
    source = os.urandom(MIN_PART + 100)
    s3.put_object(Bucket=bucket, Key="copy/source", Body=source)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="copy/target")["UploadId"]
    whole = s3.upload_part_copy(Bucket=bucket, Key="copy/target", UploadId=upload_id, PartNumber=1,
                                CopySource={"Bucket": bucket, "Key": "copy/source"})
    assert whole["CopyPartResult"]["ETag"] == quoted_md5(source)
    tail = s3.upload_part_copy(Bucket=bucket, Key="copy/target", UploadId=upload_id, PartNumber=2,
                               CopySource={"Bucket": bucket, "Key": "copy/source"},
                               CopySourceRange=f"bytes={MIN_PART}-{MIN_PART + 99}")
    assert tail["CopyPartResult"]["ETag"] == quoted_md5(source[MIN_PART:])
    for bad in (f"bytes={MIN_PART}-{len(source)}", f"bytes=0-{10 * len(source)}", f"bytes={len(source)}-{len(source) + 5}"):
        error = client_error(s3.upload_part_copy, Bucket=bucket, Key="copy/target", UploadId=upload_id, PartNumber=3,
                             CopySource={"Bucket": bucket, "Key": "copy/source"}, CopySourceRange=bad)
        assert (http_status(error), error_code(error)) == (400, "InvalidArgument"), bad
        assert f"size: {len(source)}" in error.response["Error"]["Message"]
    for malformed in ("bytes=-100", "bytes=100-", "bytes=10-5", "0-10", "bytes=1-2,4-5"):
        error = client_error(s3.upload_part_copy, Bucket=bucket, Key="copy/target", UploadId=upload_id, PartNumber=3,
                             CopySource={"Bucket": bucket, "Key": "copy/source"}, CopySourceRange=malformed)
        assert (http_status(error), error_code(error)) == (400, "InvalidArgument"), malformed
    parts = s3.list_parts(Bucket=bucket, Key="copy/target", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, len(source)), (2, 100)]
    s3.complete_multipart_upload(Bucket=bucket, Key="copy/target", UploadId=upload_id, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": whole["CopyPartResult"]["ETag"]}, {"PartNumber": 2, "ETag": tail["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="copy/target")["Body"].read() == source + source[MIN_PART:]


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME"])
def test_full_object_checksum_of_a_multipart_upload_is_the_crc_of_the_whole_object(s3, bucket, algorithm):
    # AWS: CRC checksums of multipart uploads may be FULL_OBJECT (CRC-64/NVME only so, and by default): the object's
    # checksum is the CRC of all its bytes (no -N suffix), returned by Complete and by GET/HEAD with checksum mode;
    # a whole-object checksum sent with Complete must match it (else BadDigest).
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
    data = [os.urandom(MIN_PART), os.urandom(MIN_PART), b"last few bytes"]
    whole = s3_checksum(algorithm, b"".join(data))
    kwargs = {} if algorithm == "CRC64NVME" else {"ChecksumType": "FULL_OBJECT"}
    created = s3.create_multipart_upload(Bucket=bucket, Key=f"full/{algorithm}", ChecksumAlgorithm=algorithm, **kwargs)
    assert created["ChecksumType"] == "FULL_OBJECT"
    upload_id, parts = created["UploadId"], []
    for number, part in enumerate(data, start=1):
        # The part's own checksum, sent as a header (what SDKs send), computed here.
        checksum = s3_checksum(algorithm, part)
        answer = s3.upload_part(Bucket=bucket, Key=f"full/{algorithm}", UploadId=upload_id, PartNumber=number,
                                Body=part, **{f"Checksum{algorithm}": checksum})
        parts.append({"PartNumber": number, "ETag": answer["ETag"], f"Checksum{algorithm}": checksum})
    wrong = s3_checksum(algorithm, b"something else")
    error = client_error(s3.complete_multipart_upload, Bucket=bucket, Key=f"full/{algorithm}", UploadId=upload_id,
                         MultipartUpload={"Parts": parts}, **{f"Checksum{algorithm}": wrong})
    assert (http_status(error), error_code(error)) == (400, "BadDigest")
    done = s3.complete_multipart_upload(Bucket=bucket, Key=f"full/{algorithm}", UploadId=upload_id,
                                        MultipartUpload={"Parts": parts}, **{f"Checksum{algorithm}": whole})
    assert (done[f"Checksum{algorithm}"], done["ChecksumType"]) == (whole, "FULL_OBJECT")
    head = s3.head_object(Bucket=bucket, Key=f"full/{algorithm}", ChecksumMode="ENABLED")
    assert (head[f"Checksum{algorithm}"], head["ChecksumType"]) == (whole, "FULL_OBJECT")
    got = s3.get_object(Bucket=bucket, Key=f"full/{algorithm}", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"".join(data)


def test_checksum_types_s3_does_not_offer_are_refused_at_create(s3, bucket):
    # AWS: SHA checksums of multipart uploads are COMPOSITE only, CRC-64/NVME is FULL_OBJECT only, and a checksum
    # type needs an algorithm: 400 InvalidRequest.
    for algorithm, kind in (("SHA256", "FULL_OBJECT"), ("SHA1", "FULL_OBJECT"), ("CRC64NVME", "COMPOSITE")):
        error = client_error(s3.create_multipart_upload, Bucket=bucket, Key="refused", ChecksumAlgorithm=algorithm,
                             ChecksumType=kind)
        assert (http_status(error), error_code(error)) == (400, "InvalidRequest"), (algorithm, kind)
    error = client_error(s3.create_multipart_upload, Bucket=bucket, Key="refused", ChecksumType="FULL_OBJECT")
    assert (http_status(error), error_code(error)) == (400, "InvalidRequest")
    # SHA-256 parts complete into a COMPOSITE checksum (its default).
    created = s3.create_multipart_upload(Bucket=bucket, Key="sha", ChecksumAlgorithm="SHA256")
    assert created["ChecksumType"] == "COMPOSITE"
    part = s3.upload_part(Bucket=bucket, Key="sha", UploadId=created["UploadId"], PartNumber=1, Body=b"only part",
                          ChecksumSHA256=s3_checksum("SHA256", b"only part"))
    done = s3.complete_multipart_upload(Bucket=bucket, Key="sha", UploadId=created["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["ETag"], "ChecksumSHA256": part["ChecksumSHA256"]}]})
    assert done["ChecksumSHA256"].endswith("-1") and done["ChecksumType"] == "COMPOSITE"


def test_get_object_attributes_reports_etag_checksum_parts_storage_class_and_size(s3, bucket):
    # AWS GetObjectAttributes: the attributes x-amz-object-attributes names; the ETag without quotes; ObjectParts
    # (multipart objects only) paged by MaxParts / PartNumberMarker with each part's size and checksum.
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
    data = [os.urandom(MIN_PART), os.urandom(MIN_PART), b"tail"]
    created = s3.create_multipart_upload(Bucket=bucket, Key="attrs/multi", ChecksumAlgorithm="CRC32")
    parts = []
    for number, part in enumerate(data, start=1):
        answer = s3.upload_part(Bucket=bucket, Key="attrs/multi", UploadId=created["UploadId"], PartNumber=number,
                                Body=part, ChecksumCRC32=s3_checksum("CRC32", part))
        parts.append({"PartNumber": number, "ETag": answer["ETag"], "ChecksumCRC32": answer["ChecksumCRC32"]})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="attrs/multi", UploadId=created["UploadId"],
                                        MultipartUpload={"Parts": parts})
    everything = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]
    attrs = s3.get_object_attributes(Bucket=bucket, Key="attrs/multi", ObjectAttributes=everything)
    assert attrs["ETag"] == multipart_etag(data).strip('"') == done["ETag"].strip('"')
    assert attrs["ObjectSize"] == sum(map(len, data)) and attrs["StorageClass"] == "STANDARD"
    assert attrs["Checksum"]["ChecksumCRC32"] == done["ChecksumCRC32"]
    assert attrs["Checksum"]["ChecksumType"] == "COMPOSITE"
    assert attrs["ObjectParts"]["TotalPartsCount"] == 3 and attrs["ObjectParts"]["IsTruncated"] is False
    assert [(p["PartNumber"], p["Size"], p["ChecksumCRC32"]) for p in attrs["ObjectParts"]["Parts"]] == [
        (n, len(part), s3_checksum("CRC32", part)) for n, part in enumerate(data, start=1)]
    assert attrs["LastModified"] == s3.head_object(Bucket=bucket, Key="attrs/multi")["LastModified"]

    first = s3.get_object_attributes(Bucket=bucket, Key="attrs/multi", ObjectAttributes=["ObjectParts"], MaxParts=2)
    assert set(first) - {"ResponseMetadata", "LastModified"} == {"ObjectParts"}
    assert [p["PartNumber"] for p in first["ObjectParts"]["Parts"]] == [1, 2]
    assert first["ObjectParts"]["IsTruncated"] is True and first["ObjectParts"]["NextPartNumberMarker"] == 2
    rest = s3.get_object_attributes(Bucket=bucket, Key="attrs/multi", ObjectAttributes=["ObjectParts"], MaxParts=2,
                                    PartNumberMarker=2)
    assert [p["PartNumber"] for p in rest["ObjectParts"]["Parts"]] == [3] and rest["ObjectParts"]["IsTruncated"] is False

    s3.put_object(Bucket=bucket, Key="attrs/plain", Body=b"plain bytes")
    plain = s3.get_object_attributes(Bucket=bucket, Key="attrs/plain", ObjectAttributes=everything)
    assert plain["ETag"] == quoted_md5(b"plain bytes").strip('"') and plain["ObjectSize"] == 11
    assert "ObjectParts" not in plain
    # (boto3 sends a CRC32 with every PutObject; an object without a checksum has no Checksum element.)
    assert plain["Checksum"] == {"ChecksumCRC32": s3_checksum("CRC32", b"plain bytes"), "ChecksumType": "FULL_OBJECT"}

    error = client_error(s3.get_object_attributes, Bucket=bucket, Key="attrs/none", ObjectAttributes=["ETag"])
    assert (http_status(error), error_code(error)) == (404, "NoSuchKey")
    error = client_error(s3.get_object_attributes, Bucket=bucket, Key="attrs/plain", ObjectAttributes=["Colour"])
    assert (http_status(error), error_code(error)) == (400, "InvalidArgument")


def test_in_progress_upload_survives_a_server_restart(start_server, tmp_path):
    server = start_server()
    s3 = make_client(server)
    s3.create_bucket(Bucket="restart-multipart")
    first = os.urandom(MIN_PART)
    upload_id = s3.create_multipart_upload(Bucket="restart-multipart", Key="survivor")["UploadId"]
    e1 = s3.upload_part(Bucket="restart-multipart", Key="survivor", UploadId=upload_id, PartNumber=1, Body=first)

    assert server.restart() is server

    s3 = make_client(server)
    uploads = s3.list_multipart_uploads(Bucket="restart-multipart")["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("survivor", upload_id)]
    parts = s3.list_parts(Bucket="restart-multipart", Key="survivor", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, quoted_md5(first), MIN_PART)]

    second = b"tail after restart"
    e2 = s3.upload_part(Bucket="restart-multipart", Key="survivor", UploadId=upload_id, PartNumber=2, Body=second)
    s3.complete_multipart_upload(
        Bucket="restart-multipart",
        Key="survivor",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1["ETag"]}, {"PartNumber": 2, "ETag": e2["ETag"]}]},
    )
    got = s3.get_object(Bucket="restart-multipart", Key="survivor")
    assert got["Body"].read() == first + second
    assert got["ETag"] == multipart_etag([first, second])

    # And the completed object survives another restart.
    server.restart()
    s3 = make_client(server)
    assert s3.get_object(Bucket="restart-multipart", Key="survivor")["Body"].read() == first + second
