"""ListObjects V1 and V2 through boto3 over a bucket of 2,500 keys.

Specifies: UTF-8 binary key order, pagination (V2 continuation tokens, V1 markers), prefixes,
delimiters and CommonPrefixes, max-keys, start-after, encoding-type=url and fetch-owner.
The bucket is filled once per module and only read by the tests, to keep the suite fast.
"""

from __future__ import annotations

import urllib.request
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote_plus

import pytest
from botocore.exceptions import ClientError

from e2e_support import bucket_name_for, empty_and_delete_bucket, error_code

S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"

SPECIAL_KEYS = [
    "unicode/é",
    "unicode/z",
    "unicode/ä",
    "unicode/😀",  # U+1F600: after U+E000 in UTF-8/code-point order, before it in UTF-16 order
    "unicode/\ue000-private-use",
    "unicode/Zebra",
    "unicode/zebra",
    "space key",
    "plus+key",
    "percent%key",
    "amp&lt;key",
    "dash-key",
    "under_key",
]


def build_key_set() -> list[str]:
    keys = [f"photos/2024/img-{i:04d}.jpg" for i in range(800)]
    keys += [f"photos/2025/img-{i:04d}.jpg" for i in range(400)]
    keys += [f"docs/{i:04d}.txt" for i in range(900)]
    keys += [f"top-{i:03d}" for i in range(2500 - len(keys) - len(SPECIAL_KEYS))]
    keys += SPECIAL_KEYS
    assert len(keys) == len(set(keys)) == 2500
    return keys


ALL_KEYS = build_key_set()
# AWS: ListObjects returns keys in UTF-8 binary order; for str this equals code point order.
SORTED_KEYS = sorted(ALL_KEYS, key=lambda key: key.encode("utf-8"))
TOP_LEVEL_KEYS = [key for key in SORTED_KEYS if "/" not in key]


@pytest.fixture(scope="module")
def listing_bucket(s3):
    name = bucket_name_for("listing-2500")
    s3.create_bucket(Bucket=name)
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda key: s3.put_object(Bucket=name, Key=key, Body=key.encode()), ALL_KEYS))
    yield name
    empty_and_delete_bucket(s3, name)


def all_pages(s3, method: str, **params) -> list[dict]:
    return list(s3.get_paginator(method).paginate(**params))


def test_v2_paginator_returns_all_2500_keys_in_utf8_binary_order(s3, listing_bucket):
    pages = all_pages(s3, "list_objects_v2", Bucket=listing_bucket)
    keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
    assert keys == SORTED_KEYS
    # AWS: a ListObjectsV2 page holds at most 1,000 keys by default.
    assert [page["KeyCount"] for page in pages] == [1000, 1000, 500]
    assert [page["IsTruncated"] for page in pages] == [True, True, False]


def test_v2_entries_carry_etag_size_last_modified_and_storage_class(s3, listing_bucket):
    page = s3.list_objects_v2(Bucket=listing_bucket, Prefix="docs/0001")
    [entry] = page["Contents"]
    assert entry["Key"] == "docs/0001.txt"
    assert entry["Size"] == len(b"docs/0001.txt")
    assert entry["ETag"].startswith('"') and len(entry["ETag"]) == 34
    assert entry["StorageClass"] == "STANDARD"
    assert entry["LastModified"] is not None
    # AWS: ListObjectsV2 does not return the owner unless fetch-owner is true.
    assert "Owner" not in entry


def test_v2_fetch_owner_returns_owner_on_every_entry(s3, listing_bucket):
    page = s3.list_objects_v2(Bucket=listing_bucket, Prefix="docs/", MaxKeys=5, FetchOwner=True)
    assert len(page["Contents"]) == 5
    assert all(entry["Owner"]["ID"] for entry in page["Contents"])


def test_v2_delimiter_at_root_rolls_folders_into_common_prefixes(s3, listing_bucket):
    page = s3.list_objects_v2(Bucket=listing_bucket, Delimiter="/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["docs/", "photos/", "unicode/"]
    assert [item["Key"] for item in page["Contents"]] == TOP_LEVEL_KEYS
    assert page["KeyCount"] == len(TOP_LEVEL_KEYS) + 3
    assert page["Delimiter"] == "/"


def test_v2_prefix_with_delimiter_lists_one_level(s3, listing_bucket):
    page = s3.list_objects_v2(Bucket=listing_bucket, Prefix="photos/", Delimiter="/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["photos/2024/", "photos/2025/"]
    assert page.get("Contents", []) == []
    assert page["Prefix"] == "photos/"


def test_v2_prefix_without_delimiter_lists_everything_below(s3, listing_bucket):
    keys = [item["Key"] for page in all_pages(s3, "list_objects_v2", Bucket=listing_bucket, Prefix="photos/2025/")
            for item in page.get("Contents", [])]
    assert keys == [key for key in SORTED_KEYS if key.startswith("photos/2025/")]
    assert len(keys) == 400


def test_v2_unmatched_prefix_returns_an_empty_untruncated_page(s3, listing_bucket):
    page = s3.list_objects_v2(Bucket=listing_bucket, Prefix="nothing-here/")
    assert page["KeyCount"] == 0
    assert page["IsTruncated"] is False
    assert "Contents" not in page


def test_v2_max_keys_truncates_and_continuation_token_resumes_exactly(s3, listing_bucket):
    first = s3.list_objects_v2(Bucket=listing_bucket, MaxKeys=7)
    assert first["IsTruncated"] is True
    assert first["MaxKeys"] == 7
    assert [item["Key"] for item in first["Contents"]] == SORTED_KEYS[:7]
    second = s3.list_objects_v2(Bucket=listing_bucket, MaxKeys=7, ContinuationToken=first["NextContinuationToken"])
    assert second["ContinuationToken"] == first["NextContinuationToken"]
    assert [item["Key"] for item in second["Contents"]] == SORTED_KEYS[7:14]


def test_v2_max_keys_zero_returns_no_keys(s3, listing_bucket):
    page = s3.list_objects_v2(Bucket=listing_bucket, MaxKeys=0)
    assert page["KeyCount"] == 0
    assert "Contents" not in page


def test_v2_max_keys_above_1000_is_capped_at_1000(s3, listing_bucket):
    # AWS: MaxKeys larger than 1,000 still returns at most 1,000 keys.
    page = s3.list_objects_v2(Bucket=listing_bucket, MaxKeys=5000)
    assert page["KeyCount"] == 1000
    assert page["IsTruncated"] is True


def test_v2_start_after_begins_strictly_after_the_given_key(s3, listing_bucket):
    anchor = "photos/2024/img-0799.jpg"
    page = s3.list_objects_v2(Bucket=listing_bucket, StartAfter=anchor, MaxKeys=3)
    assert [item["Key"] for item in page["Contents"]] == [
        "photos/2025/img-0000.jpg",
        "photos/2025/img-0001.jpg",
        "photos/2025/img-0002.jpg",
    ]
    assert page["StartAfter"] == anchor
    beyond = s3.list_objects_v2(Bucket=listing_bucket, StartAfter=SORTED_KEYS[-1])
    assert beyond["KeyCount"] == 0


def test_v2_small_pages_with_delimiter_count_prefixes_toward_max_keys(s3, listing_bucket):
    # AWS: each CommonPrefixes entry counts as one key against MaxKeys.
    entries: list[str] = []
    pages = all_pages(
        s3, "list_objects_v2", Bucket=listing_bucket, Delimiter="/", PaginationConfig={"PageSize": 3}
    )
    for page in pages:
        page_entries = [item["Key"] for item in page.get("Contents", [])] + [
            prefix["Prefix"] for prefix in page.get("CommonPrefixes", [])
        ]
        assert len(page_entries) <= 3
        assert page["KeyCount"] == len(page_entries)
        entries += page_entries
    assert sorted(entries, key=str.encode) == sorted(
        TOP_LEVEL_KEYS + ["docs/", "photos/", "unicode/"], key=str.encode
    )
    assert len(entries) == len(set(entries)), "a prefix or key was repeated across pages"


def test_v1_marker_pagination_returns_all_keys_in_order(s3, listing_bucket):
    keys: list[str] = []
    marker = ""
    while True:
        page = s3.list_objects(Bucket=listing_bucket, Marker=marker, MaxKeys=1000)
        batch = [item["Key"] for item in page.get("Contents", [])]
        keys += batch
        if not page["IsTruncated"]:
            break
        marker = batch[-1]
    assert keys == SORTED_KEYS


def test_v1_paginator_with_delimiter_returns_next_marker(s3, listing_bucket):
    page = s3.list_objects(Bucket=listing_bucket, Delimiter="/", MaxKeys=3)
    # AWS: NextMarker (the last key or common prefix returned) comes back when truncated with a delimiter.
    assert [item["Key"] for item in page["Contents"]] == ["amp&lt;key", "dash-key"]
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["docs/"]
    assert page["IsTruncated"] is True
    assert page["NextMarker"] == "docs/"
    pages = all_pages(s3, "list_objects", Bucket=listing_bucket, Delimiter="/", PaginationConfig={"PageSize": 50})
    prefixes = [p["Prefix"] for page in pages for p in page.get("CommonPrefixes", [])]
    keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
    assert prefixes == ["docs/", "photos/", "unicode/"]
    assert keys == TOP_LEVEL_KEYS


def test_v1_entries_include_owner_by_default(s3, listing_bucket):
    page = s3.list_objects(Bucket=listing_bucket, Prefix="docs/", MaxKeys=2)
    assert len(page["Contents"]) == 2
    assert all(entry["Owner"]["ID"] for entry in page["Contents"])


def test_encoding_type_url_percent_encodes_keys_in_the_raw_xml(s3, listing_bucket):
    # Fetch the raw XML: boto3 would otherwise decode the keys for us.
    url = s3.generate_presigned_url(
        "list_objects_v2",
        Params={"Bucket": listing_bucket, "Prefix": "unicode/", "EncodingType": "url"},
        ExpiresIn=300,
    )
    with urllib.request.urlopen(url, timeout=30) as response:
        body = response.read()
    root = ET.fromstring(body)
    assert root.findtext(f"{S3_NS}EncodingType") == "url"
    raw_keys = [element.text for element in root.iter(f"{S3_NS}Key")]
    assert all(key.isascii() for key in raw_keys), raw_keys
    assert "unicode/%C3%A9" in raw_keys
    # The Prefix element is encoded too (AWS encodes Delimiter, Prefix, Key and StartAfter).
    assert unquote_plus(root.findtext(f"{S3_NS}Prefix")) == "unicode/"
    assert [unquote_plus(key) for key in raw_keys] == [k for k in SORTED_KEYS if k.startswith("unicode/")]


def test_keys_with_url_significant_characters_list_back_exactly(s3, listing_bucket):
    listed = [item["Key"] for item in s3.list_objects_v2(Bucket=listing_bucket, Delimiter="/")["Contents"]]
    for key in ("space key", "plus+key", "percent%key", "amp&lt;key"):
        assert key in listed


def test_listing_missing_bucket_returns_no_such_bucket(s3):
    with pytest.raises(ClientError) as caught:
        s3.list_objects_v2(Bucket="stowage-listing-missing-e2e")
    assert error_code(caught.value) == "NoSuchBucket"
