"""More drives than one set holds: 32 folders form 2 erasure sets of 16 (12 data + 4 parity); each key lives
in one set, chosen by hash, and listing merges the sets in key order, page by page."""

from __future__ import annotations

import os
from pathlib import Path

from e2e_support import make_client

MiB = 1024 * 1024


def drives_with_shards(drives: list[Path]) -> set[int]:
    return {i for i, d in enumerate(drives) if any(p.is_file() for p in (d / "shards").rglob("*"))}


def test_two_sets_hold_disjoint_keys_and_list_as_one_bucket(start_server, tmp_path):
    drives = [tmp_path / f"disk{i:02d}" for i in range(1, 33)]
    server = start_server(drives=drives)
    s3 = make_client(server)
    s3.create_bucket(Bucket="sets")
    keys = [f"dir{i % 7}/key-{i:04d}" for i in range(300)]
    for key in keys:
        s3.put_object(Bucket="sets", Key=key, Body=key.encode())
    # Larger objects land in shard files: both sets of 16 drives are used, every drive of a used set holds one.
    bodies = {f"big-{i}": os.urandom(MiB + i) for i in range(12)}
    for key, body in bodies.items():
        s3.put_object(Bucket="sets", Key=key, Body=body)
    used = drives_with_shards(drives)
    assert any(i < 16 for i in used) and any(i >= 16 for i in used), used
    for key, body in bodies.items():
        assert s3.get_object(Bucket="sets", Key=key)["Body"].read() == body

    listed, token = [], None
    while True:
        page = s3.list_objects_v2(Bucket="sets", MaxKeys=37, **({"ContinuationToken": token} if token else {}))
        listed += [item["Key"] for item in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert listed == sorted(keys + list(bodies))  # ASCII keys: binary order is sorted order
    rolled = s3.list_objects_v2(Bucket="sets", Delimiter="/")
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == [f"dir{i}/" for i in range(7)]
    assert [item["Key"] for item in rolled["Contents"]] == sorted(bodies)
    for key in keys[:50]:
        s3.delete_object(Bucket="sets", Key=key)
    remaining = s3.list_objects_v2(Bucket="sets", Prefix="dir")["KeyCount"]
    assert remaining == 250
