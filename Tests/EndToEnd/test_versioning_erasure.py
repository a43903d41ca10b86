"""Versioning on erasure-coded drives: every version survives the loss of parity-many drives and is healed.

Specifies, on 4 drives (2 data + 2 parity) with a real server and boto3: a versioned bucket holding
noncurrent versions (inline and sharded, single-part and multipart), delete markers, and a key whose
current version is a delete marker; two drives wiped under the running server: every version still reads
exactly by version id and ListObjectVersions is unchanged, also after a restart; `stowage admin heal` puts every shard file of
every version back (same names, same sizes) on the wiped drives, and the two *other* drives can then be
wiped too and everything still reads exactly; a second heal finds nothing to do. Versioning state, being
a bucket record on every drive, survives the same.
"""

from __future__ import annotations

import hashlib

from e2e_support import MiB, admin_heal, make_client, shard_inventory, wipe_folder
from test_erasure import assert_clean_second_heal, start_erasure_node
from test_versioning import listing_snapshot as snapshot


def assert_every_version_exact(s3, bucket: str, bodies: dict[tuple[str, str], bytes], context: str) -> None:
    for (key, version_id), body in bodies.items():
        got = s3.get_object(Bucket=bucket, Key=key, VersionId=version_id)
        data = got["Body"].read()
        assert got["VersionId"] == version_id, f"{context}{key}@{version_id}"
        assert hashlib.md5(data).hexdigest() == hashlib.md5(body).hexdigest(), f"{context}{key}@{version_id} bytes differ"


def test_every_version_survives_lost_drives_and_is_healed(start_server, tmp_path):
    server, drives = start_erasure_node(start_server, tmp_path, 4)
    s3 = make_client(server)
    bucket = "versions-on-erasure"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    bodies: dict[tuple[str, str], bytes] = {}

    def put(key: str, body: bytes) -> str:
        version_id = s3.put_object(Bucket=bucket, Key=key, Body=body)["VersionId"]
        bodies[(key, version_id)] = body
        return version_id

    put("doc", b"small inline version")
    put("doc", bytes(range(256)) * 4096)  # 1 MiB: sharded
    put("doc", b"x" * (MiB + 1))
    put("gone", b"y" * (300 * 1024))
    s3.delete_object(Bucket=bucket, Key="gone")  # current version: a delete marker
    upload = s3.create_multipart_upload(Bucket=bucket, Key="doc")["UploadId"]
    parts = [(bytes([n]) * (5 * MiB), n) for n in (1, 2)]
    etags = [s3.upload_part(Bucket=bucket, Key="doc", UploadId=upload, PartNumber=n, Body=body)["ETag"] for body, n in parts]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="doc", UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etag} for (_, n), etag in zip(parts, etags)]})
    bodies[("doc", done["VersionId"])] = b"".join(body for body, _ in parts)
    s3.delete_object(Bucket=bucket, Key="doc")
    put("doc", b"current after a marker")

    before = snapshot(s3, bucket)
    inventory = shard_inventory(drives)
    # One shard file per drive for each of: 1 MiB, 1 MiB + 1, 300 KiB, and the 2 parts; the rest is inline.
    assert [len(files) for files in inventory.values()] == [5, 5, 5, 5]
    assert_every_version_exact(s3, bucket, bodies, "before: ")

    for drive in drives[:2]:
        wipe_folder(drive)
    assert_every_version_exact(s3, bucket, bodies, "two drives wiped: ")
    assert snapshot(s3, bucket) == before
    # As in test_erasure: restart, so that the wiped folders are adopted as fresh drives before the
    # heal, rather than by the drive monitor in the middle of it.
    server.restart()
    s3 = make_client(server)
    assert_every_version_exact(s3, bucket, bodies, "after the restart: ")
    assert snapshot(s3, bucket) == before

    code, report = admin_heal(server)
    assert code == 0 and report["failures"] == []
    assert shard_inventory(drives) == inventory, "heal did not put back every shard of every version"
    assert snapshot(s3, bucket) == before
    assert_clean_second_heal(server)

    for drive in drives[2:]:
        wipe_folder(drive)
    assert_every_version_exact(s3, bucket, bodies, "the other two drives wiped: ")
    assert snapshot(s3, bucket) == before
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
