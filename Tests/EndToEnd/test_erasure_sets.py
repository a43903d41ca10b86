"""More drives than one set holds: 32 folders form 2 erasure sets of 16 (12 data + 4 parity); each key lives
in one set, chosen by hash, and listing merges the sets in key order, page by page."""

from __future__ import annotations

import os

from e2e_support import MiB, make_client, shard_inventory


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
    # Each object is in exactly one set: all 16 drives of a set hold the same shard files, and the
    # two sets' files add up to the 12 objects, with both sets used.
    counts = [len(files) for files in shard_inventory(drives).values()]
    first, second = counts[:16], counts[16:]
    assert len(set(first)) == 1 and len(set(second)) == 1, counts
    assert first[0] + second[0] == 12 and first[0] > 0 and second[0] > 0, counts
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
    remaining = [item["Key"] for item in s3.list_objects_v2(Bucket="sets", Prefix="dir")["Contents"]]
    assert remaining == sorted(keys[50:])
