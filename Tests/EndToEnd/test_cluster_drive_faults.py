"""Drive faults on one node of a real 4-node cluster (4 × 2 drives, one 4 + 4 set, write quorum 5), made with
mounts (root only, drive_faults.py): a node whose drives fill up, a drive that fails every write (read-only),
and full drives on two nodes at once (half the set).

Specifies: with one node's drives full or one drive failing its writes, every PUT, overwrite, multipart
upload and DELETE through every node succeeds and every read is exact; when the drives recover, `admin heal`
writes what they missed and a second heal finds nothing; then, with two other nodes killed, the recovered
drives and one node's serve every object exactly (so they hold it) and a deleted key stays deleted. With half
the set's drives full, a PUT is refused with 507 InsufficientStorage and leaves nothing any node lists or
reads; once space is freed the same PUT succeeds.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from cluster_support import StowageCluster
from drive_faults import fill, mounts  # noqa: F401 (a fixture)
from e2e_support import (
    MiB,
    admin_heal,
    assert_objects_exact,
    drive_states,
    error_code,
    http_status,
    metrics,
    put_objects,
    wait_until,
)
from test_cluster_faults import make_cluster  # noqa: F401 (a fixture)
from test_erasure import assert_clean_second_heal

SIZES = {"small": 100, "block-plus-one": MiB + 1, "large": 3 * MiB + 17}


@pytest.fixture
def cluster_on_mounts(tmp_path, mounts, make_cluster):
    """make(tmpfs_nodes): a started cluster whose listed nodes (1-based) keep their drives on a 256 MiB tmpfs
    (`tmp_path/node<n>`, which a filler file next to the drives can fill). `mounts` comes first, so the
    cluster stops before the unmounts."""

    def make(tmpfs_nodes: tuple[int, ...] = ()):
        for node in tmpfs_nodes:
            mounts.tmpfs(tmp_path / f"node{node}", "256m")
        return make_cluster()

    return make


def fill_node(cluster: StowageCluster, node: int) -> None:
    print(f"node {node}'s drives: filled with {fill(cluster.folder / f'node{node}' / 'filler') / MiB:.1f} MiB")


def free_node(cluster: StowageCluster, node: int) -> None:
    (cluster.folder / f"node{node}" / "filler").unlink()


def wait_for_local_drives(cluster: StowageCluster, node: int, state: str) -> None:
    """Until `node` (1-based) reports both of its own drives in `state`."""
    server = cluster.nodes[node - 1]
    mine = f"/node{node}/"

    def settled():
        drives = [d for d in drive_states(server) if mine in d["path"]]
        return len(drives) == 2 and all(d["state"] == state for d in drives) and drives

    drives = wait_until(settled, 30, f"node {node}'s drives to be {state}")
    print(f"node {node}'s drives {state}: {[d.get('reason') for d in drives]}")


def write_through_every_node(cluster: StowageCluster, bucket: str, tag: str) -> dict:
    stored = {}
    for index in range(len(cluster.nodes)):
        s3 = cluster.client(index)
        names = {f"{tag}-n{index + 1}-{name}": size for name, size in SIZES.items()}
        stored |= put_objects(s3, bucket, names)
    # A multipart upload through the faulty node itself, and overwrites through another.
    stored |= put_objects(cluster.client(3), bucket, {}, {f"{tag}-multipart": 11 * MiB}, part_size=5 * MiB)
    stored |= put_objects(cluster.client(1), bucket, {f"{tag}-n1-small": 200, f"{tag}-n3-large": 2 * MiB + 5})
    return stored


def assert_every_node_reads(cluster: StowageCluster, bucket: str, stored: dict, deleted: list[str], context: str) -> None:
    for index, node in enumerate(cluster.nodes):
        if not node.is_running():
            continue
        s3 = cluster.client(index)
        assert_objects_exact(s3, bucket, stored, f"{context}, through node {index + 1}: ")
        for key in deleted:
            with pytest.raises(ClientError) as caught:
                s3.get_object(Bucket=bucket, Key=key)
            assert error_code(caught.value) == "NoSuchKey", (context, index + 1, key, caught.value.response)


def heal_and_prove(cluster: StowageCluster, bucket: str, stored: dict, deleted: list[str], kill: list[int]) -> None:
    """Heal, a clean second heal, then nodes `kill` (1-based) killed: the rest must serve it all."""
    code, report = admin_heal(cluster.nodes[0])
    assert code == 0 and report["failures"] == [], report
    # The nodes that wrote while the drives failed may have healed them already (missed-write journal).
    counters = [metrics(node) for node in cluster.nodes]
    healed = sum(c["stowage_heal_records_healed_total"] + c["stowage_heal_shards_healed_total"] for c in counters)
    print(f"records and shards healed, all nodes: {healed}")
    assert healed > 0
    assert_clean_second_heal(cluster.nodes[1])
    for node in kill:
        cluster.nodes[node - 1].kill()
    assert_every_node_reads(cluster, bucket, stored, deleted, f"nodes {kill} killed after the heal")


def test_full_drives_on_one_node_change_nothing_for_clients_and_are_healed(cluster_on_mounts):
    cluster = cluster_on_mounts((4,))
    s3 = cluster.client(0)
    s3.create_bucket(Bucket="full")
    stored = write_through_every_node(cluster, "full", "before")
    fill_node(cluster, 4)
    wait_for_local_drives(cluster, 4, "offline")

    stored |= write_through_every_node(cluster, "full", "while-full")
    s3.delete_object(Bucket="full", Key="before-n2-small")
    cluster.client(3).delete_object(Bucket="full", Key="while-full-n1-large")
    deleted = ["before-n2-small", "while-full-n1-large"]
    for key in deleted:
        del stored[key]
    assert_every_node_reads(cluster, "full", stored, deleted, "node 4's drives full")

    free_node(cluster, 4)
    wait_for_local_drives(cluster, 4, "online")
    # Nodes 2 and 3 gone: node 1's drives and node 4's healed ones (4 of 8, K) must hold everything.
    heal_and_prove(cluster, "full", stored, deleted, kill=[2, 3])


def test_drive_failing_its_writes_changes_nothing_for_clients_and_is_healed(cluster_on_mounts, mounts):
    cluster = cluster_on_mounts()
    s3 = cluster.client(0)
    s3.create_bucket(Bucket="failing")
    stored = write_through_every_node(cluster, "failing", "before")
    failing = cluster.folder / "node2" / "drive1"
    mounts.set_read_only(failing, True)

    stored |= write_through_every_node(cluster, "failing", "while-failing")
    cluster.client(1).delete_object(Bucket="failing", Key="before-n4-large")
    cluster.client(2).delete_object(Bucket="failing", Key="while-failing-n2-small")
    deleted = ["before-n4-large", "while-failing-n2-small"]
    for key in deleted:
        del stored[key]
    states = drive_states(cluster.nodes[1])
    print(f"node 2's view while its drive 1 fails writes: {[(d['path'], d['state'], d.get('reason')) for d in states]}")
    assert_every_node_reads(cluster, "failing", stored, deleted, "node 2's drive 1 read-only")

    mounts.set_read_only(failing, False)
    wait_for_local_drives(cluster, 2, "online")
    # Nodes 3 and 4 gone: nodes 1 and 2 (the healed drive among them) must hold everything.
    heal_and_prove(cluster, "failing", stored, deleted, kill=[3, 4])


def test_full_drives_on_two_nodes_refuse_writes_with_507_and_leave_nothing(cluster_on_mounts):
    cluster = cluster_on_mounts((3, 4))
    s3 = cluster.client(0)
    s3.create_bucket(Bucket="half")
    stored = put_objects(s3, "half", SIZES)
    fill_node(cluster, 3)
    fill_node(cluster, 4)
    wait_for_local_drives(cluster, 3, "offline")
    wait_for_local_drives(cluster, 4, "offline")

    for index in range(4):
        for size in (10, 2 * MiB):
            with pytest.raises(ClientError) as caught:
                cluster.client(index).put_object(Bucket="half", Key=f"refused-{index}-{size}", Body=b"r" * size)
            assert (http_status(caught.value), error_code(caught.value)) == (507, "InsufficientStorage"), \
                caught.value.response
    assert_every_node_reads(cluster, "half", stored, [f"refused-{i}-{s}" for i in range(4) for s in (10, 2 * MiB)],
                            "half the drives full")
    for index in range(4):
        keys = sorted(o["Key"] for o in cluster.client(index).list_objects_v2(Bucket="half").get("Contents", []))
        assert keys == sorted(stored), (index + 1, keys)

    free_node(cluster, 3)
    free_node(cluster, 4)
    wait_for_local_drives(cluster, 3, "online")
    wait_for_local_drives(cluster, 4, "online")
    stored |= put_objects(cluster.client(2), "half", {"refused-2-10": 10, "after": MiB + 3})
    assert_every_node_reads(cluster, "half", stored, [], "space freed")
