"""S3 object versioning, checked against the behaviour AWS documents.

Specifies: the bucket versioning state (PutBucketVersioning / GetBucketVersioning); version ids on
PUT, GET and HEAD; the "null" version of objects written before versioning or while it is suspended;
delete markers (simple DELETE, GET/HEAD of a key or of a version that is a marker); permanent deletion
by version id; ListObjectVersions order, IsLatest, Prefix/Delimiter and KeyMarker/VersionIdMarker
pagination; DeleteObjects and CopyObject with version ids; CompleteMultipartUpload; conditional writes
over a delete marker; concurrent writers; restarts and crashes; DeleteBucket of a bucket that only holds
old versions.

Sources (each test's docstring paraphrases the fact it checks):
- User Guide: "Retaining multiple versions of objects with S3 Versioning" (Versioning.html), "Working
  with delete markers" (DeleteMarker.html), "Deleting object versions" (DeletingObjectVersions.html),
  "Adding objects to / Deleting objects from versioning-suspended buckets", "How to prevent object
  overwrites with conditional writes" (conditional-writes.html).
- API Reference: PutBucketVersioning, GetBucketVersioning, PutObject, GetObject, HeadObject,
  DeleteObject, DeleteObjects, CopyObject, ListObjectVersions, CompleteMultipartUpload, DeleteBucket.
Where the documentation leaves a detail open, the comment says so and the test asserts what real S3
answers, as recorded by LocalStack's AWS-validated snapshots (tests/aws/services/s3/test_s3_api and
test_s3_list_operations in github.com/localstack/localstack) and ceph/s3-tests.

Version ids are opaque: nothing here depends on their length or alphabet.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

from e2e_support import client_error, error_code, headers_of, http_status, make_client


def enable_versioning(s3, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def suspend_versioning(s3, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})


def put_version(s3, bucket: str, key: str, body: bytes) -> str:
    """PUT in an Enabled bucket; checks the new version id is in the body-less response's header too."""
    response = s3.put_object(Bucket=bucket, Key=key, Body=body)
    version_id = response["VersionId"]
    assert version_id and version_id != "null"
    assert headers_of(response)["x-amz-version-id"] == version_id
    return version_id


def simple_delete(s3, bucket: str, key: str) -> str:
    """DELETE without a version id in an Enabled bucket; returns the new delete marker's version id."""
    response = s3.delete_object(Bucket=bucket, Key=key)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert response["DeleteMarker"] is True and headers_of(response)["x-amz-delete-marker"] == "true"
    assert response["VersionId"] and headers_of(response)["x-amz-version-id"] == response["VersionId"]
    return response["VersionId"]


def body_of(s3, bucket: str, key: str, **options) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key, **options)["Body"].read()


def versions_of(listing) -> list[tuple[str, str]]:
    return [(v["Key"], v["VersionId"]) for v in listing.get("Versions", [])]


def markers_of(listing) -> list[tuple[str, str]]:
    return [(m["Key"], m["VersionId"]) for m in listing.get("DeleteMarkers", [])]


def latest_of(listing) -> list[tuple[str, str]]:
    entries = listing.get("Versions", []) + listing.get("DeleteMarkers", [])
    return sorted((e["Key"], e["VersionId"]) for e in entries if e["IsLatest"])


def other_version_id(version_id: str) -> str:
    """A well-formed id that names no version: `version_id` with its last character replaced by another
    character of the same id, so it keeps the server's alphabet and length."""
    last = version_id[-1]
    replacement = next((c for c in version_id if c != last), "1" if last == "0" else "0")
    return version_id[:-1] + replacement


# --- PutBucketVersioning / GetBucketVersioning --------------------------------------------------


def test_new_bucket_has_no_versioning_status_until_one_is_set(s3, bucket):
    """AWS (PutBucketVersioning / GetBucketVersioning): "If the versioning state has never been set on a
    bucket, it has no versioning state; a GetBucketVersioning request does not return a versioning state
    value." Enabled and Suspended are then reported as set, and a bucket can go Suspended -> Enabled ->
    Suspended; Suspended is accepted even on a never-versioned bucket (AWS-validated in LocalStack)."""
    response = s3.get_bucket_versioning(Bucket=bucket)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "Status" not in response and "MFADelete" not in response

    for status in ["Suspended", "Enabled", "Suspended", "Enabled"]:
        put = s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})
        assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == status


@pytest.mark.parametrize("status", ["Bogus", "enabled", "Disabled"])
def test_unknown_versioning_status_is_malformed_xml(s3, bucket, status):
    """AWS (PutBucketVersioning): Status has the valid values Enabled | Suspended. A value outside the
    schema's enumeration (including the wrong case, or "Disabled") is answered 400 MalformedXML ("The XML
    you provided was not well-formed or did not validate against our published schema"), not
    IllegalVersioningConfigurationException (AWS-validated in LocalStack's test_bucket_versioning_crud;
    NooBaa #7324 made the same correction). The state is left as it was."""
    enable_versioning(s3, bucket)
    error = client_error(s3.put_bucket_versioning, Bucket=bucket, VersioningConfiguration={"Status": status})
    assert http_status(error) == 400 and error_code(error) == "MalformedXML"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"


def test_versioning_configuration_without_status_is_illegal(s3, bucket):
    """AWS error codes: IllegalVersioningConfigurationException (400) "Indicates that the versioning
    configuration specified in the request is invalid." Real S3 uses it for a well-formed configuration
    that lacks the Status element ("The Versioning element must be specified"; AWS-validated in
    LocalStack), while an invalid Status value is MalformedXML (previous test)."""
    error = client_error(s3.put_bucket_versioning, Bucket=bucket, VersioningConfiguration={})
    assert http_status(error) == 400 and error_code(error) == "IllegalVersioningConfigurationException"
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)


# --- Never-versioned buckets ---------------------------------------------------------------------


def test_never_versioned_bucket_sends_no_version_headers_and_lists_the_null_version(s3, bucket):
    """AWS: objects stored before the versioning state is set have the version id null, and "the null
    version ID is a valid version ID". In a never-versioned bucket PUT, GET, HEAD and DELETE answer without
    x-amz-version-id / x-amz-delete-marker, GET ?versionId=null returns the object (still without the
    header), and ListObjectVersions reports VersionId "null" (all AWS-validated in LocalStack)."""
    put = s3.put_object(Bucket=bucket, Key="plain", Body=b"plain bytes")
    assert "VersionId" not in put and "x-amz-version-id" not in headers_of(put)
    for response in (s3.get_object(Bucket=bucket, Key="plain"), s3.head_object(Bucket=bucket, Key="plain")):
        assert "x-amz-version-id" not in headers_of(response)

    by_null = s3.get_object(Bucket=bucket, Key="plain", VersionId="null")
    assert by_null["Body"].read() == b"plain bytes" and by_null["ETag"] == put["ETag"]
    assert "x-amz-version-id" not in headers_of(by_null)

    listing = s3.list_object_versions(Bucket=bucket)
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in listing["Versions"]] == [("plain", "null", True)]
    assert "DeleteMarkers" not in listing

    deleted = s3.delete_object(Bucket=bucket, Key="plain")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert "x-amz-delete-marker" not in headers_of(deleted) and "x-amz-version-id" not in headers_of(deleted)
    assert "Versions" not in s3.list_object_versions(Bucket=bucket)


# --- Versioning enabled: every write is a new version --------------------------------------------


def test_each_put_creates_a_new_version_readable_by_its_id(s3, bucket):
    """AWS (Versioning, PutObject): with versioning enabled, "Amazon S3 automatically generates a unique
    version ID for the object being stored" and returns it in x-amz-version-id; a GET without a version id
    returns the current (latest) version, and GetObject/HeadObject with versionId return that exact version,
    naming it in x-amz-version-id."""
    enable_versioning(s3, bucket)
    bodies = [b"first", b"second version", b"third version, longest"]
    written = []
    for body in bodies:
        response = s3.put_object(Bucket=bucket, Key="doc", Body=body)
        written.append((response["VersionId"], response["ETag"], body))
        assert headers_of(response)["x-amz-version-id"] == response["VersionId"]
    ids = [version_id for version_id, _, _ in written]
    assert len(set(ids)) == 3 and "null" not in ids

    current = s3.get_object(Bucket=bucket, Key="doc")
    assert current["Body"].read() == bodies[-1] and current["VersionId"] == ids[-1]
    assert headers_of(current)["x-amz-version-id"] == ids[-1]
    assert s3.head_object(Bucket=bucket, Key="doc")["VersionId"] == ids[-1]

    for version_id, etag, body in written:
        got = s3.get_object(Bucket=bucket, Key="doc", VersionId=version_id)
        assert got["Body"].read() == body and got["ETag"] == etag and got["ContentLength"] == len(body)
        assert got["VersionId"] == version_id and headers_of(got)["x-amz-version-id"] == version_id
        head = s3.head_object(Bucket=bucket, Key="doc", VersionId=version_id)
        assert head["ETag"] == etag and head["ContentLength"] == len(body)
        assert headers_of(head)["x-amz-version-id"] == version_id


def test_object_written_before_enabling_keeps_the_null_version(s3, bucket):
    """AWS (Versioning): "Objects that are stored in your bucket before you set the versioning state have
    a version ID of null. When you enable versioning, existing objects in your bucket do not change." The
    null version stays addressable with versionId=null after newer versions are added, and is listed with
    VersionId "null". In a versioning-configured bucket GET/HEAD of it name it x-amz-version-id: null
    (Scality CloudServer's AWS-compatibility tests assert the same)."""
    before = s3.put_object(Bucket=bucket, Key="old", Body=b"written before versioning")
    enable_versioning(s3, bucket)

    null = s3.get_object(Bucket=bucket, Key="old", VersionId="null")
    assert null["Body"].read() == b"written before versioning" and null["ETag"] == before["ETag"]
    assert headers_of(null)["x-amz-version-id"] == "null"
    assert s3.head_object(Bucket=bucket, Key="old")["VersionId"] == "null"

    newer = put_version(s3, bucket, "old", b"written after enabling")
    assert body_of(s3, bucket, "old") == b"written after enabling"
    assert body_of(s3, bucket, "old", VersionId="null") == b"written before versioning"
    head = s3.head_object(Bucket=bucket, Key="old", VersionId="null")
    assert head["VersionId"] == "null" and head["ETag"] == before["ETag"]

    listing = s3.list_object_versions(Bucket=bucket)
    assert [(v["VersionId"], v["IsLatest"]) for v in listing["Versions"]] == [(newer, True), ("null", False)]


def test_null_version_id_of_a_key_that_never_had_one_is_no_such_version(s3, bucket):
    """AWS error codes: NoSuchVersion (404) "Indicates that the version ID specified in the request does
    not match an existing version." A key created after versioning was enabled has no null version."""
    enable_versioning(s3, bucket)
    put_version(s3, bucket, "fresh", b"only versioned writes")
    error = client_error(s3.get_object, Bucket=bucket, Key="fresh", VersionId="null")
    assert http_status(error) == 404 and error_code(error) == "NoSuchVersion"
    assert http_status(client_error(s3.head_object, Bucket=bucket, Key="fresh", VersionId="null")) == 404


def test_version_ids_are_never_reused(s3, bucket):
    """AWS (Versioning): each write gets a unique version id; a version id, once permanently deleted, does
    not come back for a later write (delete markers get version ids from the same space)."""
    enable_versioning(s3, bucket)
    seen: list[str] = []
    for round_number in range(4):
        for key in ("a", "b"):
            seen.append(put_version(s3, bucket, key, f"{key}{round_number}".encode()))
        seen.append(simple_delete(s3, bucket, "a"))
        # Permanently delete the newest version of b: its id must not be handed out again.
        s3.delete_object(Bucket=bucket, Key="b", VersionId=seen[-2])
    assert len(seen) == len(set(seen)) == 12


# --- Delete markers ----------------------------------------------------------------------------


def test_simple_delete_inserts_a_delete_marker_and_keeps_the_versions(s3, bucket):
    """AWS (Working with delete markers; DeleteObject; GetObject; HeadObject): a DELETE without a version id
    in an Enabled bucket inserts a delete marker, answers x-amz-delete-marker: true and the marker's
    x-amz-version-id, and "makes Amazon S3 behave as if the object is deleted": GET/HEAD without a version
    id return 404 with x-amz-delete-marker: true (and the marker's version id), the key leaves
    ListObjectsV2, and older versions stay readable by id."""
    enable_versioning(s3, bucket)
    v1 = put_version(s3, bucket, "k", b"one")
    v2 = put_version(s3, bucket, "k", b"two")
    marker = simple_delete(s3, bucket, "k")
    assert marker not in (v1, v2)

    error = client_error(s3.get_object, Bucket=bucket, Key="k")
    assert http_status(error) == 404 and error_code(error) == "NoSuchKey"
    assert headers_of(error.response)["x-amz-delete-marker"] == "true"
    assert headers_of(error.response)["x-amz-version-id"] == marker
    error = client_error(s3.head_object, Bucket=bucket, Key="k")
    assert http_status(error) == 404
    assert headers_of(error.response)["x-amz-delete-marker"] == "true"
    assert headers_of(error.response)["x-amz-version-id"] == marker

    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    assert body_of(s3, bucket, "k", VersionId=v1) == b"one"
    assert body_of(s3, bucket, "k", VersionId=v2) == b"two"

    listing = s3.list_object_versions(Bucket=bucket)
    assert versions_of(listing) == [("k", v2), ("k", v1)]
    assert markers_of(listing) == [("k", marker)] and latest_of(listing) == [("k", marker)]
    entry = listing["DeleteMarkers"][0]
    assert "Size" not in entry and "ETag" not in entry  # a delete marker has no data

    # Another simple DELETE does not remove the marker: it stacks a new one on top (DeleteMarker.html).
    second = simple_delete(s3, bucket, "k")
    listing = s3.list_object_versions(Bucket=bucket)
    assert markers_of(listing) == [("k", second), ("k", marker)] and latest_of(listing) == [("k", second)]


def test_get_or_head_of_a_delete_marker_version_is_method_not_allowed(s3, bucket):
    """AWS (GetObject, HeadObject): "If the specified version is a delete marker, the response returns a 405
    Method Not Allowed error and the Last-Modified: timestamp response header." Real S3 also sends
    x-amz-delete-marker: true, the marker's x-amz-version-id and Allow: DELETE (AWS-validated in
    LocalStack's test_delete_object_versioned); the error code is MethodNotAllowed."""
    enable_versioning(s3, bucket)
    put_version(s3, bucket, "k", b"bytes")
    marker = simple_delete(s3, bucket, "k")

    error = client_error(s3.get_object, Bucket=bucket, Key="k", VersionId=marker)
    assert http_status(error) == 405 and error_code(error) == "MethodNotAllowed"
    headers = headers_of(error.response)
    assert headers["x-amz-delete-marker"] == "true" and headers["x-amz-version-id"] == marker
    assert headers["allow"] == "DELETE" and "last-modified" in headers

    error = client_error(s3.head_object, Bucket=bucket, Key="k", VersionId=marker)
    assert http_status(error) == 405  # no body on HEAD, so no error code to compare
    assert headers_of(error.response)["x-amz-delete-marker"] == "true"
    assert headers_of(error.response)["x-amz-version-id"] == marker


def test_delete_by_version_id_removes_exactly_that_version(s3, bucket):
    """AWS (Deleting object versions, DeleteObject): a DELETE with versionId permanently deletes that
    version and creates no delete marker; the response names the deleted version in x-amz-version-id.
    Deleting the current version makes the next newest version current."""
    enable_versioning(s3, bucket)
    v1 = put_version(s3, bucket, "k", b"one")
    v2 = put_version(s3, bucket, "k", b"two")
    v3 = put_version(s3, bucket, "k", b"three")

    deleted = s3.delete_object(Bucket=bucket, Key="k", VersionId=v2)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert deleted["VersionId"] == v2 and headers_of(deleted)["x-amz-version-id"] == v2
    assert "x-amz-delete-marker" not in headers_of(deleted)
    error = client_error(s3.get_object, Bucket=bucket, Key="k", VersionId=v2)
    assert http_status(error) == 404 and error_code(error) == "NoSuchVersion"
    listing = s3.list_object_versions(Bucket=bucket)
    assert versions_of(listing) == [("k", v3), ("k", v1)] and "DeleteMarkers" not in listing

    s3.delete_object(Bucket=bucket, Key="k", VersionId=v3)
    current = s3.get_object(Bucket=bucket, Key="k")
    assert current["Body"].read() == b"one" and current["VersionId"] == v1
    assert latest_of(s3.list_object_versions(Bucket=bucket)) == [("k", v1)]


def test_deleting_the_delete_marker_makes_the_previous_version_current(s3, bucket):
    """AWS (Working with delete markers): to undelete an object, delete its delete marker by version id;
    the previous version becomes current again. The DELETE answers x-amz-delete-marker: true and the
    marker's version id (DeleteObject: "If the object deleted is a delete marker, Amazon S3 sets the
    response header x-amz-delete-marker to true")."""
    enable_versioning(s3, bucket)
    v1 = put_version(s3, bucket, "k", b"keep me")
    marker = simple_delete(s3, bucket, "k")

    response = s3.delete_object(Bucket=bucket, Key="k", VersionId=marker)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert response["DeleteMarker"] is True and response["VersionId"] == marker
    assert headers_of(response)["x-amz-delete-marker"] == "true"

    current = s3.get_object(Bucket=bucket, Key="k")
    assert current["Body"].read() == b"keep me" and current["VersionId"] == v1
    listing = s3.list_object_versions(Bucket=bucket)
    assert versions_of(listing) == [("k", v1)] and "DeleteMarkers" not in listing
    assert [c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["k"]


def test_deleting_a_version_that_no_longer_exists_succeeds(s3, bucket):
    """Deleting a version is idempotent: DELETE ?versionId= of a version already permanently deleted answers
    204 again (ceph/s3-tests test_versioning_multi_object_delete: "now remove again, should all succeed due
    to idempotency"). Only an id that is not a version id at all is refused by real S3 (400 InvalidArgument
    "Invalid version id specified", AWS-validated in LocalStack) - not tested here, as the id format is
    the server's own."""
    enable_versioning(s3, bucket)
    v1 = put_version(s3, bucket, "k", b"one")
    v2 = put_version(s3, bucket, "k", b"two")
    for _ in range(2):
        response = s3.delete_object(Bucket=bucket, Key="k", VersionId=v1)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
        assert "x-amz-delete-marker" not in headers_of(response)
    assert versions_of(s3.list_object_versions(Bucket=bucket)) == [("k", v2)]
    assert body_of(s3, bucket, "k") == b"two"


def test_get_of_a_version_that_does_not_exist_is_no_such_version(s3, bucket):
    """AWS error codes: NoSuchVersion, 404 Not Found, "Indicates that the version ID specified in the request
    does not match an existing version." Real S3 sends no x-amz-version-id / x-amz-delete-marker with it
    (AWS-validated in LocalStack). Checked with a deleted version's id and with a well-formed id that never
    existed."""
    enable_versioning(s3, bucket)
    gone = put_version(s3, bucket, "k", b"soon gone")
    kept = put_version(s3, bucket, "k", b"kept")
    s3.delete_object(Bucket=bucket, Key="k", VersionId=gone)

    for version_id in (gone, other_version_id(kept)):
        assert version_id != kept
        error = client_error(s3.get_object, Bucket=bucket, Key="k", VersionId=version_id)
        assert http_status(error) == 404 and error_code(error) == "NoSuchVersion"
        assert "x-amz-version-id" not in headers_of(error.response)
        assert "x-amz-delete-marker" not in headers_of(error.response)
        assert http_status(client_error(s3.head_object, Bucket=bucket, Key="k", VersionId=version_id)) == 404
    # A version id of one key does not address another key.
    error = client_error(s3.get_object, Bucket=bucket, Key="other-key", VersionId=kept)
    assert http_status(error) == 404 and error_code(error) == "NoSuchVersion"


# --- Versioning suspended ----------------------------------------------------------------------


def test_suspended_put_replaces_only_the_null_version(s3, bucket):
    """AWS (Adding objects to versioning-suspended buckets): after suspension, every PUT stores the object
    with version id null; "If a null version is already in the bucket and you add another object with the
    same key, the added object overwrites the original null version", while versions with real ids are not
    overwritten. PutObject in a suspended bucket answers without x-amz-version-id (PutObject sample for a
    versioning-suspended bucket; AWS-validated in LocalStack); GET/HEAD of the null version name it "null".
    Re-enabling mints fresh ids again and keeps the null version."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"pre-versioning null")
    enable_versioning(s3, bucket)
    v1 = put_version(s3, bucket, "k", b"enabled one")
    suspend_versioning(s3, bucket)

    for body in (b"suspended first", b"suspended second"):
        put = s3.put_object(Bucket=bucket, Key="k", Body=body)
        assert "VersionId" not in put and "x-amz-version-id" not in headers_of(put)
        listing = s3.list_object_versions(Bucket=bucket)
        # exactly one null version: the pre-versioning one, then the first suspended one, was replaced
        assert [(v["VersionId"], v["IsLatest"]) for v in listing["Versions"]] == [("null", True), (v1, False)]
        assert listing["Versions"][0]["ETag"] == put["ETag"] and listing["Versions"][0]["Size"] == len(body)
        current = s3.get_object(Bucket=bucket, Key="k")
        assert current["Body"].read() == body and headers_of(current)["x-amz-version-id"] == "null"
        assert s3.head_object(Bucket=bucket, Key="k", VersionId="null")["ETag"] == put["ETag"]
        assert body_of(s3, bucket, "k", VersionId=v1) == b"enabled one"

    enable_versioning(s3, bucket)
    v2 = put_version(s3, bucket, "k", b"enabled again")
    assert v2 != v1
    assert versions_of(s3.list_object_versions(Bucket=bucket)) == [("k", v2), ("k", "null"), ("k", v1)]
    assert body_of(s3, bucket, "k", VersionId="null") == b"suspended second"


def test_suspended_delete_inserts_a_null_delete_marker(s3, bucket):
    """AWS (Deleting objects from versioning-suspended buckets): a simple DELETE "can only remove an object
    whose version ID is null", "doesn't remove anything if there isn't a null version", and "inserts a
    delete marker" whose version id is null. The response carries DeleteMarker true and VersionId "null"
    (AWS-validated in LocalStack's test_delete_object_on_suspended_bucket); versions with real ids stay."""
    enable_versioning(s3, bucket)
    v1 = put_version(s3, bucket, "k", b"one")
    v2 = put_version(s3, bucket, "k", b"two")
    suspend_versioning(s3, bucket)

    # No null version yet: nothing is removed, a null marker goes on top.
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["DeleteMarker"] is True and deleted["VersionId"] == "null"
    assert headers_of(deleted)["x-amz-version-id"] == "null"
    listing = s3.list_object_versions(Bucket=bucket)
    assert versions_of(listing) == [("k", v2), ("k", v1)]
    assert markers_of(listing) == [("k", "null")] and latest_of(listing) == [("k", "null")]
    error = client_error(s3.get_object, Bucket=bucket, Key="k")
    assert http_status(error) == 404 and headers_of(error.response)["x-amz-delete-marker"] == "true"
    assert headers_of(error.response)["x-amz-version-id"] == "null"

    # A suspended PUT replaces the null marker (it is the null version) with a null object version ...
    s3.put_object(Bucket=bucket, Key="k", Body=b"suspended")
    listing = s3.list_object_versions(Bucket=bucket)
    assert versions_of(listing) == [("k", "null"), ("k", v2), ("k", v1)] and "DeleteMarkers" not in listing

    # ... and the next simple DELETE removes that null version and puts a null marker in its place.
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["DeleteMarker"] is True and deleted["VersionId"] == "null"
    listing = s3.list_object_versions(Bucket=bucket)
    assert versions_of(listing) == [("k", v2), ("k", v1)] and markers_of(listing) == [("k", "null")]
    assert body_of(s3, bucket, "k", VersionId=v1) == b"one" and body_of(s3, bucket, "k", VersionId=v2) == b"two"


# --- ListObjectVersions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    key: str
    version_id: str
    is_marker: bool
    etag: str | None = None
    size: int | None = None


@pytest.fixture
def version_tree(s3, bucket) -> list[Entry]:
    """Keys sharing prefixes, several versions each, delete markers in between, written in an interleaved
    order. Returns every entry in ListObjectVersions order: keys ascending, each key's entries newest first."""
    enable_versioning(s3, bucket)
    history: dict[str, list[Entry]] = {}

    def put(key: str, body: bytes) -> None:
        response = s3.put_object(Bucket=bucket, Key=key, Body=body)
        history.setdefault(key, []).append(Entry(key, response["VersionId"], False, response["ETag"], len(body)))

    def delete(key: str) -> None:
        history[key].append(Entry(key, simple_delete(s3, bucket, key), True))

    put("dir/a", b"a-1")
    put("dir0", b"dir0-1")
    put("dir/ab", b"ab-1")
    put("dir/a", b"a-2 longer")
    delete("dir/ab")
    put("dir/b/1", b"b1-1")
    put("other", b"other-1")
    put("dir/b/2", b"b2-1")
    put("dir/a", b"a-3 longest of a")
    delete("dir/b/1")
    put("dir/ab", b"ab-2")
    put("dir0", b"dir0-2")
    return [entry for key in sorted(history) for entry in reversed(history[key])]


def split(entries: list[Entry]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    return (
        [(e.key, e.version_id) for e in entries if not e.is_marker],
        [(e.key, e.version_id) for e in entries if e.is_marker],
    )


def test_list_object_versions_orders_keys_then_newest_first_with_one_latest(s3, bucket, version_tree):
    """AWS (ListObjectVersions; Versioning): versions are returned ordered by key, and for each key from the
    most recent to the oldest; delete markers are reported in DeleteMarkers, object versions in Versions
    (with their ETag and Size); exactly one entry per key is the current one (IsLatest), and it is the
    newest - a delete marker when the last write was a simple DELETE."""
    listing = s3.list_object_versions(Bucket=bucket)
    assert listing["IsTruncated"] is False
    versions, markers = split(version_tree)
    assert versions_of(listing) == versions and markers_of(listing) == markers

    newest = {}
    for entry in version_tree:
        newest.setdefault(entry.key, entry.version_id)
    assert latest_of(listing) == sorted(newest.items())
    expected = {(e.key, e.version_id): e for e in version_tree}
    for version in listing["Versions"]:
        entry = expected[(version["Key"], version["VersionId"])]
        assert version["ETag"] == entry.etag and version["Size"] == entry.size
    for marker in listing["DeleteMarkers"]:
        assert "ETag" not in marker and "Size" not in marker and marker["LastModified"]


def test_list_object_versions_prefix_and_delimiter(s3, bucket, version_tree):
    """AWS (ListObjectVersions): Prefix limits the response to keys that begin with it; with a Delimiter,
    keys that contain it after the prefix are rolled up into one CommonPrefixes entry and "are not returned
    elsewhere in the response"."""

    def expected(predicate):
        return split([e for e in version_tree if predicate(e.key)])

    listing = s3.list_object_versions(Bucket=bucket, Prefix="dir/a")
    assert (versions_of(listing), markers_of(listing)) == expected(lambda k: k.startswith("dir/a"))
    assert "CommonPrefixes" not in listing

    listing = s3.list_object_versions(Bucket=bucket, Prefix="dir/", Delimiter="/")
    assert (versions_of(listing), markers_of(listing)) == expected(lambda k: k in ("dir/a", "dir/ab"))
    assert listing["CommonPrefixes"] == [{"Prefix": "dir/b/"}]

    listing = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert (versions_of(listing), markers_of(listing)) == expected(lambda k: "/" not in k)
    assert listing["CommonPrefixes"] == [{"Prefix": "dir/"}]

    listing = s3.list_object_versions(Bucket=bucket, Prefix="dir/b/", Delimiter="/")
    assert (versions_of(listing), markers_of(listing)) == expected(lambda k: k.startswith("dir/b/"))
    assert "CommonPrefixes" not in listing

    listing = s3.list_object_versions(Bucket=bucket, Prefix="nothing-here")
    assert "Versions" not in listing and "DeleteMarkers" not in listing and listing["IsTruncated"] is False


@pytest.mark.parametrize("max_keys", [1, 2, 3, 5])
def test_list_object_versions_pages_with_key_and_version_id_markers(s3, bucket, version_tree, max_keys):
    """AWS (ListObjectVersions): MaxKeys caps the entries (versions and delete markers together) in one
    response; a truncated response sets IsTruncated and NextKeyMarker/NextVersionIdMarker, to be sent back as
    KeyMarker/VersionIdMarker. Although the reference calls them "the first key/version not returned", real
    S3 returns the key and version id of the last entry on the page and continues strictly after it
    (AWS-validated in LocalStack's test_list_objects_versions_with_prefix_only_and_pagination). Page
    boundaries here fall inside one key's versions; the pages together are exactly the full listing."""
    pages = []
    markers: dict[str, str] = {}
    while True:
        page = s3.list_object_versions(Bucket=bucket, MaxKeys=max_keys, **markers)
        pages.append(page)
        assert len(pages) <= len(version_tree), "pagination does not end"
        if not page["IsTruncated"]:
            break
        markers = {"KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}

    assert len(pages) == -(-len(version_tree) // max_keys)
    for number, page in enumerate(pages):
        chunk = version_tree[number * max_keys : (number + 1) * max_keys]
        assert (versions_of(page), markers_of(page)) == split(chunk), f"page {number}"
        assert page["IsTruncated"] is (number < len(pages) - 1)
        if page["IsTruncated"]:
            assert (page["NextKeyMarker"], page["NextVersionIdMarker"]) == (chunk[-1].key, chunk[-1].version_id)

    collected = [entry for page in pages for entry in versions_of(page) + markers_of(page)]
    assert len(collected) == len(set(collected)) == len(version_tree)

    # The SDK's own paginator, driven by the same markers, sees the same listing.
    paginator = s3.get_paginator("list_object_versions")
    seen_versions, seen_markers = [], []
    for page in paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": max_keys}):
        seen_versions += versions_of(page)
        seen_markers += markers_of(page)
    assert (seen_versions, seen_markers) == split(version_tree)


def test_list_object_versions_key_marker_alone_starts_after_that_key(s3, bucket, version_tree):
    """AWS (ListObjectVersions): KeyMarker "specifies the key to start with"; without a VersionIdMarker, the
    listing starts after all versions of that key (AWS-validated in LocalStack: a KeyMarker alone skips the
    marker key entirely). With a VersionIdMarker it resumes after that version of that key."""
    listing = s3.list_object_versions(Bucket=bucket, KeyMarker="dir/ab")
    assert (versions_of(listing), markers_of(listing)) == split([e for e in version_tree if e.key > "dir/ab"])

    a_entries = [e for e in version_tree if e.key == "dir/a"]
    listing = s3.list_object_versions(Bucket=bucket, KeyMarker="dir/a", VersionIdMarker=a_entries[0].version_id)
    start = version_tree.index(a_entries[0]) + 1
    assert (versions_of(listing), markers_of(listing)) == split(version_tree[start:])


# --- DeleteObjects -------------------------------------------------------------------------------


def test_delete_objects_with_version_ids_deletes_those_versions(s3, bucket):
    """AWS (DeleteObjects, DeletedObject): an entry with a VersionId permanently deletes that version and is
    reported with its VersionId; when the version deleted was a delete marker, the entry also reports
    DeleteMarker true and DeleteMarkerVersionId (AWS-validated in LocalStack's
    test_delete_objects_versioned)."""
    enable_versioning(s3, bucket)
    v1 = put_version(s3, bucket, "k", b"one")
    v2 = put_version(s3, bucket, "k", b"two")
    v3 = put_version(s3, bucket, "k", b"three")
    w1 = put_version(s3, bucket, "w", b"w-one")
    marker = simple_delete(s3, bucket, "w")

    response = s3.delete_objects(
        Bucket=bucket,
        Delete={
            "Objects": [{"Key": "k", "VersionId": v1}, {"Key": "k", "VersionId": v3}, {"Key": "w", "VersionId": marker}]
        },
    )
    assert "Errors" not in response
    deleted = {(d["Key"], d["VersionId"]): d for d in response["Deleted"]}
    assert set(deleted) == {("k", v1), ("k", v3), ("w", marker)}
    for key in (("k", v1), ("k", v3)):
        assert not deleted[key].get("DeleteMarker") and "DeleteMarkerVersionId" not in deleted[key]
    assert deleted[("w", marker)]["DeleteMarker"] is True
    assert deleted[("w", marker)]["DeleteMarkerVersionId"] == marker

    listing = s3.list_object_versions(Bucket=bucket)
    assert versions_of(listing) == [("k", v2), ("w", w1)] and "DeleteMarkers" not in listing
    assert body_of(s3, bucket, "k") == b"two" and body_of(s3, bucket, "w") == b"w-one"


def test_delete_objects_without_version_ids_creates_delete_markers(s3, bucket):
    """AWS (DeleteObjects): in a versioning-enabled bucket an entry without a version id is a simple delete:
    it inserts a delete marker - also for a key that does not exist - and the Deleted entry reports
    DeleteMarker true with the new marker's DeleteMarkerVersionId (AWS-validated in LocalStack)."""
    enable_versioning(s3, bucket)
    v1 = put_version(s3, bucket, "exists", b"bytes")
    response = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "exists"}, {"Key": "never-written"}]})
    assert "Errors" not in response
    deleted = {d["Key"]: d for d in response["Deleted"]}
    assert set(deleted) == {"exists", "never-written"}
    for entry in deleted.values():
        assert entry["DeleteMarker"] is True and entry["DeleteMarkerVersionId"]
        assert "VersionId" not in entry
    assert deleted["exists"]["DeleteMarkerVersionId"] != deleted["never-written"]["DeleteMarkerVersionId"]

    listing = s3.list_object_versions(Bucket=bucket)
    assert versions_of(listing) == [("exists", v1)]
    assert markers_of(listing) == [
        ("exists", deleted["exists"]["DeleteMarkerVersionId"]),
        ("never-written", deleted["never-written"]["DeleteMarkerVersionId"]),
    ]
    assert error_code(client_error(s3.get_object, Bucket=bucket, Key="exists")) == "NoSuchKey"
    assert body_of(s3, bucket, "exists", VersionId=v1) == b"bytes"


# --- CopyObject ----------------------------------------------------------------------------------


def test_copy_of_a_specific_source_version(s3, bucket):
    """AWS (CopyObject): "You can optionally specify a specific version of the source object to copy by
    adding the versionId subresource"; the response names the copied source version in
    x-amz-copy-source-version-id and, in a versioning-enabled bucket, the new destination version in
    x-amz-version-id. Without a source versionId, the current source version is copied."""
    enable_versioning(s3, bucket)
    v1 = put_version(s3, bucket, "src", b"source version one")
    v2 = put_version(s3, bucket, "src", b"source version two")

    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src", "VersionId": v1})
    assert copied["CopySourceVersionId"] == v1 and headers_of(copied)["x-amz-copy-source-version-id"] == v1
    new_id = copied["VersionId"]
    assert new_id not in (v1, v2, "null") and headers_of(copied)["x-amz-version-id"] == new_id
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == b"source version one" and got["VersionId"] == new_id

    current = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert current["CopySourceVersionId"] == v2 and current["VersionId"] not in (new_id, v1, v2)
    assert body_of(s3, bucket, "dst") == b"source version two"
    assert body_of(s3, bucket, "dst", VersionId=new_id) == b"source version one"
    assert [v for _, v in versions_of(s3.list_object_versions(Bucket=bucket, Prefix="dst"))] == [
        current["VersionId"],
        new_id,
    ]


def test_copy_from_a_delete_marker(s3, bucket):
    """AWS (CopyObject): "If the current version is a delete marker and you don't specify a versionId in the
    x-amz-copy-source request header, Amazon S3 returns a 404 Not Found error ... If you specify versionId
    in the x-amz-copy-source and the versionId is a delete marker, Amazon S3 returns an HTTP 400 Bad Request
    error". Real S3's code for the latter is InvalidRequest ("The source of a copy request may not
    specifically refer to a delete marker by version id."). Nothing is written to the destination."""
    enable_versioning(s3, bucket)
    put_version(s3, bucket, "src", b"bytes")
    marker = simple_delete(s3, bucket, "src")

    marker_source = {"Bucket": bucket, "Key": "src", "VersionId": marker}
    error = client_error(s3.copy_object, Bucket=bucket, Key="dst", CopySource=marker_source)
    assert http_status(error) == 400 and error_code(error) == "InvalidRequest"
    error = client_error(s3.copy_object, Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert http_status(error) == 404 and error_code(error) == "NoSuchKey"
    assert "Versions" not in s3.list_object_versions(Bucket=bucket, Prefix="dst")
    assert "DeleteMarkers" not in s3.list_object_versions(Bucket=bucket, Prefix="dst")


# --- Multipart uploads ---------------------------------------------------------------------------


def test_completed_multipart_upload_is_a_new_version(s3, bucket):
    """AWS (CompleteMultipartUpload): the response's x-amz-version-id is the "Version ID of the newly
    created object, in case the bucket has versioning turned on"; earlier versions stay readable by id. In
    a suspended bucket the completed upload becomes the key's null version (Adding objects to
    versioning-suspended buckets: every object stored after suspension gets the null version id)."""
    enable_versioning(s3, bucket)
    v1 = put_version(s3, bucket, "mp", b"single put version")

    def upload(body: bytes):
        upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
        part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=1, Body=body)
        return s3.complete_multipart_upload(
            Bucket=bucket,
            Key="mp",
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
        )

    completed = upload(b"m" * 3000)
    mp_id = completed["VersionId"]
    assert mp_id not in (v1, "null") and headers_of(completed)["x-amz-version-id"] == mp_id
    current = s3.get_object(Bucket=bucket, Key="mp")
    assert current["Body"].read() == b"m" * 3000 and current["VersionId"] == mp_id
    assert current["ETag"] == completed["ETag"] and current["ETag"].endswith('-1"')
    assert body_of(s3, bucket, "mp", VersionId=v1) == b"single put version"
    assert versions_of(s3.list_object_versions(Bucket=bucket)) == [("mp", mp_id), ("mp", v1)]

    suspend_versioning(s3, bucket)
    done = upload(b"n" * 2000)
    # Suspended: the completion makes the null version and, as for PutObject, names no version.
    assert "VersionId" not in done and "x-amz-version-id" not in headers_of(done)
    listing = s3.list_object_versions(Bucket=bucket)
    assert versions_of(listing) == [("mp", "null"), ("mp", mp_id), ("mp", v1)]
    assert body_of(s3, bucket, "mp", VersionId="null") == b"n" * 2000
    assert body_of(s3, bucket, "mp", VersionId=mp_id) == b"m" * 3000


# --- Conditional writes --------------------------------------------------------------------------


def test_if_none_match_writes_over_a_delete_marker(s3, bucket):
    """AWS (conditional writes): "For buckets with versioning enabled, if there's no current object version
    with the same name, or if the current object version is a delete marker, the write operation succeeds.
    Otherwise, it results in a failed write operation with a 412 Precondition Failed response." The older
    versions under the marker are untouched."""
    enable_versioning(s3, bucket)
    v1 = put_version(s3, bucket, "lock", b"holder one")
    error = client_error(s3.put_object, Bucket=bucket, Key="lock", Body=b"intruder", IfNoneMatch="*")
    assert http_status(error) == 412 and error_code(error) == "PreconditionFailed"
    assert versions_of(s3.list_object_versions(Bucket=bucket)) == [("lock", v1)]

    marker = simple_delete(s3, bucket, "lock")
    created = s3.put_object(Bucket=bucket, Key="lock", Body=b"holder two", IfNoneMatch="*")
    v2 = created["VersionId"]
    assert v2 not in (v1, marker) and body_of(s3, bucket, "lock") == b"holder two"
    listing = s3.list_object_versions(Bucket=bucket)
    assert versions_of(listing) == [("lock", v2), ("lock", v1)] and markers_of(listing) == [("lock", marker)]
    assert latest_of(listing) == [("lock", v2)]


def test_if_match_is_evaluated_against_the_current_version_only(s3, bucket):
    """AWS (conditional writes): with If-Match, "If there's no current object version with the same name, or
    if the current object version is a delete marker, the operation fails with a 404 Not Found error"
    (NoSuchKey); an ETag that only an older version has does not match (412). Nothing is written."""
    enable_versioning(s3, bucket)
    first = s3.put_object(Bucket=bucket, Key="cas", Body=b"old")
    put_version(s3, bucket, "cas", b"new")
    error = client_error(s3.put_object, Bucket=bucket, Key="cas", Body=b"stale", IfMatch=first["ETag"])
    assert http_status(error) == 412 and error_code(error) == "PreconditionFailed"

    current_etag = s3.head_object(Bucket=bucket, Key="cas")["ETag"]
    simple_delete(s3, bucket, "cas")
    before = s3.list_object_versions(Bucket=bucket)
    error = client_error(s3.put_object, Bucket=bucket, Key="cas", Body=b"after delete", IfMatch=current_etag)
    assert http_status(error) == 404 and error_code(error) == "NoSuchKey"
    after = s3.list_object_versions(Bucket=bucket)
    assert (versions_of(after), markers_of(after)) == (versions_of(before), markers_of(before))


# --- Concurrency, restarts, bucket deletion -------------------------------------------------------


def test_concurrent_puts_to_one_key_each_create_a_distinct_version(server, bucket):
    """AWS (PutObject, Versioning): "If you enable versioning for a bucket and Amazon S3 receives multiple
    write requests for the same object simultaneously, all versions of the object are stored." Each of 16
    racing writers gets its own version id, the listing holds exactly those 16 versions with one IsLatest,
    and GET returns the latest one's bytes."""
    s3 = make_client(server)
    enable_versioning(s3, bucket)
    writers = 16
    barrier = threading.Barrier(writers)
    results: dict[int, tuple[str, str, bytes]] = {}
    failures: list[str] = []
    lock = threading.Lock()

    def writer(index: int) -> None:
        client = make_client(server)
        body = f"writer {index:02d};".encode() * (40 + index)
        barrier.wait()
        try:
            response = client.put_object(Bucket=bucket, Key="hot", Body=body)
            with lock:
                results[index] = (response["VersionId"], response["ETag"], body)
        except Exception as error:  # noqa: BLE001 - reported below with the writer's index
            with lock:
                failures.append(f"writer {index}: {error!r}")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a writer hung"
    assert not failures, failures
    by_id = {version_id: (etag, body) for version_id, etag, body in results.values()}
    assert len(results) == writers and len(by_id) == writers and "null" not in by_id

    listing = s3.list_object_versions(Bucket=bucket)
    assert "DeleteMarkers" not in listing
    versions = listing["Versions"]
    assert sorted(v["VersionId"] for v in versions) == sorted(by_id)
    latest = [v for v in versions if v["IsLatest"]]
    assert len(latest) == 1 and latest[0] is versions[0]
    current = s3.get_object(Bucket=bucket, Key="hot")
    assert current["VersionId"] == latest[0]["VersionId"]
    assert current["Body"].read() == by_id[latest[0]["VersionId"]][1]
    for version in versions:
        etag, body = by_id[version["VersionId"]]
        assert version["ETag"] == etag and version["Size"] == len(body)
        assert body_of(s3, bucket, "hot", VersionId=version["VersionId"]) == body


def listing_snapshot(s3, bucket: str):
    listing = s3.list_object_versions(Bucket=bucket)
    assert listing["IsTruncated"] is False
    versions = [
        (v["Key"], v["VersionId"], v["IsLatest"], v["ETag"], v["Size"], v["LastModified"])
        for v in listing.get("Versions", [])
    ]
    markers = [(m["Key"], m["VersionId"], m["IsLatest"], m["LastModified"]) for m in listing.get("DeleteMarkers", [])]
    return versions, markers


def test_versions_and_delete_markers_survive_restart_and_crash(start_server):
    """Durability of versioning state: after a clean restart and after a SIGKILL, the versioning status, every
    acknowledged version (bytes, ETag, LastModified), every delete marker and which entry is latest are
    exactly as before, and new writes still get ids never used before."""
    server = start_server()
    s3 = make_client(server)
    bucket = "versions-survive-restarts"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="pre", Body=b"null version from before")
    enable_versioning(s3, bucket)
    bodies: dict[tuple[str, str], bytes] = {("pre", "null"): b"null version from before"}
    for key, body in [("k", b"k one"), ("k", b"k two"), ("pre", b"pre versioned"), ("dir/x", b"x"), ("k", b"k three")]:
        bodies[(key, put_version(s3, bucket, key, body))] = body
    simple_delete(s3, bucket, "k")
    simple_delete(s3, bucket, "dir/x")
    bodies[("dir/x", put_version(s3, bucket, "dir/x", b"x again"))] = b"x again"
    ids_used = {version_id for _, version_id in bodies} | {m[1] for m in listing_snapshot(s3, bucket)[1]}

    for crash in (False, True):
        before = listing_snapshot(s3, bucket)
        server.restart(crash=crash)
        s3 = make_client(server)
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        assert listing_snapshot(s3, bucket) == before, f"listing changed across restart (crash={crash})"
        for (key, version_id), body in bodies.items():
            assert body_of(s3, bucket, key, VersionId=version_id) == body, f"{key}@{version_id} (crash={crash})"
        error = client_error(s3.get_object, Bucket=bucket, Key="k")
        assert http_status(error) == 404 and headers_of(error.response)["x-amz-delete-marker"] == "true"

        fresh = put_version(s3, bucket, "after-restart", f"written after restart crash={crash}".encode())
        assert fresh not in ids_used
        ids_used.add(fresh)
        bodies[("after-restart", fresh)] = f"written after restart crash={crash}".encode()


def test_delete_bucket_holding_only_old_versions_or_markers_is_not_empty(s3, bucket):
    """AWS (DeleteBucket): "All objects (including all object versions and delete markers) in the bucket
    must be deleted before the bucket itself can be deleted." Otherwise 409 BucketNotEmpty (real S3 adds
    "You must delete all versions in the bucket."; AWS-validated in LocalStack)."""
    enable_versioning(s3, bucket)
    v1 = put_version(s3, bucket, "k", b"bytes")
    marker = simple_delete(s3, bucket, "k")
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)

    error = client_error(s3.delete_bucket, Bucket=bucket)  # a noncurrent version and a delete marker
    assert http_status(error) == 409 and error_code(error) == "BucketNotEmpty"
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v1)
    error = client_error(s3.delete_bucket, Bucket=bucket)  # only a delete marker
    assert http_status(error) == 409 and error_code(error) == "BucketNotEmpty"

    s3.delete_object(Bucket=bucket, Key="k", VersionId=marker)
    assert s3.delete_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
