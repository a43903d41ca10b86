"""Network partitions between real processes (issue 13): every node and etcd member in its own network
namespace (netns.py), packets between cut members dropped silently, clients reaching every node all along.

A partition must answer 503, never NoSuchKey or NoSuchBucket for data that exists and never an old version:
- a node cut off from its peers and etcd answers every request with 503 within its deadline, while the three
  others go on reading and writing; once healed it serves what they wrote;
- a 2|2 split (etcd on one side): neither side has a write quorum (4 of 8 drives), so writes answer 503 on
  both, reads of stored data go on where 4 shards are reachable, and nothing is lost;
- an etcd member cut off from the others (3 members) changes nothing.
"""

from __future__ import annotations

import os
import time

import pytest
from botocore.exceptions import ClientError

import netns
from cluster_support import EtcdCluster, StowageCluster
from e2e_support import drive_states, error_code, http_status, wait_until

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not netns.available(), reason="network namespaces need root and iproute2")

# Long enough for a node's fan-out to time out on cut peers (--internode-timeout 3) and its etcd calls.
DEADLINE_SECONDS = 25


@pytest.fixture
def make_partitioned_cluster(tmp_path):
    made = []

    def make(etcd_members: int = 1) -> tuple[netns.Network, StowageCluster]:
        network = netns.Network(4, etcd_members).start()
        etcd = EtcdCluster(tmp_path / "etcd", etcd_members, network=network)
        cluster = StowageCluster(tmp_path / "cluster", etcd, network=network)
        made.append((network, etcd, cluster))
        etcd.start()
        cluster.start()
        return network, cluster

    yield make
    for network, etcd, cluster in made:
        cluster.stop()
        etcd.stop()
        network.stop()


def clients(cluster: StowageCluster):
    return [cluster.client(i, connect_timeout=5, read_timeout=DEADLINE_SECONDS + 20) for i in range(len(cluster.nodes))]


def put_objects(s3, bucket: str, count: int) -> dict[str, bytes]:
    # Small ones live in the records (and small-object caches), larger ones in erasure-coded shards.
    bodies = {f"obj{i}": os.urandom(1000 if i % 2 == 0 else 300_000 + i) for i in range(count)}
    for key, body in bodies.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    return bodies


def refused(call, **params) -> tuple[int, str, float]:
    """Runs a call that must fail: (status, code, seconds taken)."""
    start = time.monotonic()
    with pytest.raises(ClientError) as raised:
        call(**params)
    return http_status(raised.value), error_code(raised.value), time.monotonic() - start


def read_or_503(s3, bucket: str, key: str, body: bytes) -> str:
    """The object's bytes, or 503: anything else (404, other bytes) fails the test."""
    try:
        got = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        assert http_status(error) == 503, (key, error.response)
        return "503"
    assert got == body, key
    return "read"


def test_isolated_node_answers_503_while_the_others_go_on(make_partitioned_cluster):
    network, cluster = make_partitioned_cluster()
    s3 = clients(cluster)
    s3[0].create_bucket(Bucket="part")
    before = put_objects(s3[0], "part", 4)
    network.isolate("n4")

    # The three others (6 of 8 drives, etcd) read and write as before.
    s3[1].put_object(Bucket="part", Key="during", Body=b"written during the partition")
    s3[2].put_object(Bucket="part", Key="obj0", Body=b"obj0 overwritten during the partition")
    for key, body in before.items():
        if key != "obj0":
            assert s3[2].get_object(Bucket="part", Key=key)["Body"].read() == body
    assert s3[0].get_object(Bucket="part", Key="obj0")["Body"].read() == b"obj0 overwritten during the partition"

    # The isolated node reaches 2 drives and no etcd: 503 for everything, within the deadline; never
    # NoSuchKey for what the others wrote, never the old obj0 (its cache lease ran out before the
    # overwrite was acknowledged).
    for call, params in [
        (s3[3].put_object, dict(Bucket="part", Key="refused", Body=b"x")),
        (s3[3].get_object, dict(Bucket="part", Key="during")),
        (s3[3].get_object, dict(Bucket="part", Key="obj0")),
        (s3[3].get_object, dict(Bucket="part", Key="obj1")),
        (s3[3].delete_object, dict(Bucket="part", Key="obj3")),
        (s3[3].list_objects_v2, dict(Bucket="part")),
        (s3[3].create_bucket, dict(Bucket="part-new")),
    ]:
        status, code, seconds = refused(call, **params)
        assert (status, code) == (503, "ServiceUnavailable"), (call.__name__, params, status, code)
        assert seconds < DEADLINE_SECONDS, (call.__name__, seconds)

    # Healed: the node serves what the others wrote, and its peers see it again.
    network.heal()
    wait_until(lambda: read_or_503(s3[3], "part", "during", b"written during the partition") == "read",
               60, "the healed node to read what was written without it", interval=0.5)
    assert s3[3].get_object(Bucket="part", Key="obj0")["Body"].read() == b"obj0 overwritten during the partition"
    # Its etcd client waits a few seconds before it tries a member that stopped answering again.
    wait_until(lambda: _writable(s3[3], "part", "after"), 30, "the healed node to write", interval=0.5)
    assert s3[0].get_object(Bucket="part", Key="after")["Body"].read() == b"after"
    assert sorted(o["Key"] for o in s3[3].list_objects_v2(Bucket="part")["Contents"]) == sorted(
        [*before, "during", "after"])


def test_even_split_refuses_writes_on_both_sides_and_loses_nothing(make_partitioned_cluster):
    network, cluster = make_partitioned_cluster()
    s3 = clients(cluster)
    s3[0].create_bucket(Bucket="split")
    before = put_objects(s3[0], "split", 4)

    s3[0].put_object(Bucket="split", Key="victim", Body=b"victim")
    network.partition([["n1", "n2", "e0"], ["n3", "n4"]])

    for side in (s3[0], s3[2]):
        # Reads of stored data: 4 shards are enough where they answer; never a 404 or other bytes.
        for key, body in before.items():
            read_or_503(side, "split", key, body)
        # 4 of 8 drives on each side: below the write quorum (5); the n3/n4 side has no etcd either.
        status, code, seconds = refused(side.put_object, Bucket="split", Key="refused", Body=b"x")
        assert (status, code) == (503, "ServiceUnavailable") and seconds < DEADLINE_SECONDS, (status, code, seconds)
        status, code, _ = refused(side.delete_object, Bucket="split", Key="victim")
        assert (status, code) == (503, "ServiceUnavailable")

    network.heal()
    wait_until(lambda: _writable(s3[2], "split", "after-split"), 60, "writes to resume after the split", interval=0.5)
    for key, body in before.items():
        for node in (s3[0], s3[3]):
            assert node.get_object(Bucket="split", Key=key)["Body"].read() == body
    keys = sorted(o["Key"] for o in s3[1].list_objects_v2(Bucket="split")["Contents"])
    assert "refused" not in keys and all(key in keys for key in before), keys
    # The refused DELETE is an unknown outcome for its client (a 5xx): it may or may not have
    # happened, but every node must say the same, and keep saying it.
    seen = set()
    for _ in range(2):
        for node in s3:
            try:
                seen.add(node.get_object(Bucket="split", Key="victim")["Body"].read())
            except ClientError as error:
                assert error_code(error) == "NoSuchKey", error.response
                seen.add(None)
    assert len(seen) == 1, seen


def _writable(s3, bucket: str, key: str) -> bool:
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=b"after")
        return True
    except ClientError as error:
        assert http_status(error) == 503, error.response
        return False


@pytest.mark.parametrize("member", ["follower", "leader"])
def test_etcd_member_cut_off_changes_nothing(make_partitioned_cluster, member):
    """Cutting off the leader makes the two others elect a new one (a few seconds with the tests'
    2 s election timeout): meanwhile they answer 5xx, and the nodes wait for the election rather
    than answer 503. (CI once failed here when the member cut off happened to lead.)"""
    network, cluster = make_partitioned_cluster(etcd_members=3)
    s3 = clients(cluster)
    s3[0].create_bucket(Bucket="etcd-cut")
    leader = cluster.etcd.leader()
    cut = leader if member == "leader" else next(i for i in range(3) if i != leader)
    network.isolate(f"e{cut}")
    for index, node in enumerate(s3):
        start = time.monotonic()
        node.put_object(Bucket="etcd-cut", Key=f"k{index}", Body=b"v%d" % index)
        assert time.monotonic() - start < DEADLINE_SECONDS
    node_list = [sorted(o["Key"] for o in node.list_objects_v2(Bucket="etcd-cut")["Contents"]) for node in s3]
    assert node_list == [["k0", "k1", "k2", "k3"]] * 4
    node = s3[3]
    node.create_bucket(Bucket="etcd-cut-2")
    assert "etcd-cut-2" in [b["Name"] for b in s3[1].list_buckets()["Buckets"]]
    network.heal()


def test_node_reaching_half_the_drives_never_serves_what_was_deleted(make_partitioned_cluster):
    """Node 4 misses an overwrite and a delete while cut off, then reaches node 3 again but not nodes 1
    and 2: it sees 4 of 8 drives, two with its stale copy and two without the key. A vote among them
    would tie (and a record beat absence): it must answer 503, not the deleted bytes. (A chaos run found
    this with a restarted node: seed 103 of `scripts/chaos --seed 100 --runs 4 --duration 40 --etcd-members 3`.)"""
    network, cluster = make_partitioned_cluster()
    s3 = clients(cluster)
    s3[0].create_bucket(Bucket="stale")
    s3[0].put_object(Bucket="stale", Key="k", Body=b"old")
    network.isolate("n4")
    s3[1].put_object(Bucket="stale", Key="k", Body=b"new")
    s3[1].delete_object(Bucket="stale", Key="k")
    # Node 4 back in touch with node 3 only (never with the others, whose queues of missed writes
    # would repair its drives).
    network.uncut("n4", "n3")
    node3_drives = f"{network.address('n3')}:9000/"
    wait_until(lambda: [d["state"] for d in drive_states(cluster.nodes[3]) if node3_drives in d["path"]]
               == ["online", "online"], 60, "node 4 to reach node 3's drives", interval=0.5)
    for _ in range(3):
        status, code, _ = refused(s3[3].get_object, Bucket="stale", Key="k")
        assert (status, code) == (503, "ServiceUnavailable"), (status, code)
    network.heal()
    wait_until(lambda: _reads_absent(s3[3], "stale", "k"), 60, "node 4 to read the delete", interval=0.5)


def _reads_absent(s3, bucket: str, key: str) -> bool:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error_code(error) == "NoSuchKey":
            return True
        assert http_status(error) == 503, error.response
        return False
    raise AssertionError(f"{key} was deleted, yet read as {body!r}")
