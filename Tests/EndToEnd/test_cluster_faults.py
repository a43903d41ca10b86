"""The cluster when nodes die or stall and when etcd goes away, with real processes.

kill -9 of a node during a write load loses no acknowledged object, and the node is healed without an
operator when it returns; two nodes down keep reads and refuse writes with 503; a SIGSTOPped node does
not stall requests to the others beyond the internode deadline; with etcd unreachable, stored data is
still served and changes answer 503 until etcd returns; losing one of three etcd members changes
nothing; a node killed and started again revokes its dead process's etcd lease (and so its locks).
"""

from __future__ import annotations

import base64
import json
import os
import random
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from cluster_support import EtcdCluster, StowageCluster, pause, resume, skewed_clock_env
from e2e_support import error_code, http_status, metrics, run_admin, wait_until


@pytest.fixture
def make_cluster(tmp_path):
    started = []

    def make(etcd_members: int = 1, nodes: int = 4, drives_per_node: int = 2):
        etcd = EtcdCluster(tmp_path / "etcd", size=etcd_members).start()
        cluster = StowageCluster(tmp_path, etcd, nodes=nodes, drives_per_node=drives_per_node)
        started.append(cluster)
        cluster.start()
        return cluster

    yield make
    for cluster in started:
        cluster.stop()
        cluster.etcd.stop()


def read_all(client, bucket, written):
    """Keys whose bytes do not come back exactly (or at all) through `client`."""
    wrong = []
    for key, body in written.items():
        try:
            if client.get_object(Bucket=bucket, Key=key)["Body"].read() != body:
                wrong.append(key)
        except ClientError as error:
            wrong.append(f"{key}: {error_code(error)}")
    return wrong


def test_node_killed_during_writes_loses_nothing_and_is_healed_when_back(make_cluster):
    """Which nodes die is drawn from a seed (printed; STOWAGE_E2E_SEED replays it); the write load lasts
    STOWAGE_FAULT_LOAD_SECONDS (short in CI; `scripts/cluster-faults` runs long loads over many seeds)."""
    seed = int(os.environ.get("STOWAGE_E2E_SEED", time.time_ns() % 1_000_000))
    order = random.Random(f"{seed}-kill").sample(range(4), 4)
    load = float(os.environ.get("STOWAGE_FAULT_LOAD_SECONDS", "3"))
    # order[3] is killed under load, order[2] later too; order[0..2] take the writes.
    print(f"cluster fault seed {seed} (STOWAGE_E2E_SEED={seed} replays it): node order {order}, load {load:g} s")
    cluster = make_cluster()
    nodes = [cluster.nodes[i] for i in order]
    s3 = [cluster.client(i) for i in order]
    s3[0].create_bucket(Bucket="kill-load")
    written: dict[str, bytes] = {}
    failures: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    phase = time.monotonic()

    def step(what):
        nonlocal phase
        print(f"  {what}: {time.monotonic() - phase:.1f} s")
        phase = time.monotonic()

    def writer(index):
        client = s3[index]  # never the node that is killed
        n = 0
        while not stop.is_set():
            key = f"w{index}/{n:05d}"
            body = os.urandom(1000 + (n % 5) * 70_000)  # inline records and erasure-coded shards
            try:
                client.put_object(Bucket="kill-load", Key=key, Body=body)
                with lock:
                    written[key] = body
            except ClientError as error:
                with lock:
                    failures.append(f"{key}: {error_code(error)}")
            n += 1

    with ThreadPoolExecutor(3) as pool:
        runs = [pool.submit(writer, i) for i in range(3)]
        time.sleep(load / 3)
        nodes[3].kill()
        killed_at = len(written)
        time.sleep(load * 2 / 3)
        stop.set()
        for run in runs:
            run.result()
    step(f"{len(written)} objects written, node killed after {killed_at}")
    assert len(written) > killed_at > 0, (killed_at, len(written))
    # One node of four down: every write still reached its quorum.
    assert failures == [], failures[:10]
    assert read_all(s3[1], "kill-load", written) == []
    # The admin view from another node says which node is down and why its drives are offline.
    status = wait_until(lambda: _status_with_node_down(nodes[0], nodes[3]), 30, "the killed node reported down")
    assert [d["state"] for d in status["drives"] if f":{nodes[3].port}/" in d["path"]] == ["offline", "offline"]
    step("read back with one node down")

    # Two nodes down: 4 of 8 drives left; reads go on, writes answer 503.
    nodes[2].kill()
    wait_until(lambda: read_all(s3[0], "kill-load", dict(list(written.items())[:20])) == [], 30, "reads with two nodes down")
    assert read_all(s3[0], "kill-load", written) == []
    error = pytest.raises(ClientError, s3[1].put_object, Bucket="kill-load", Key="refused", Body=b"x").value
    assert http_status(error) == 503 and error_code(error) == "ServiceUnavailable", error.response
    step("read back with two nodes down")

    # Both come back; the writes the first one missed are rebuilt on it without an operator.
    nodes[2].start()
    nodes[3].start()
    cluster.wait_until_writable()

    def healed():
        values = [metrics(node) for node in cluster.nodes]
        return all(v["stowage_heal_missed_writes"] == 0 and v["stowage_heal_queue_length"] == 0 for v in values)

    wait_until(healed, 120, "every node to repair the writes its peers missed", interval=0.5)
    step("restarted and healed")
    # Proof: with the two writers' nodes down, the two returned nodes alone (4 drives, the read
    # quorum) hold every object.
    nodes[0].kill()
    nodes[1].kill()
    wait_until(lambda: read_all(s3[3], "kill-load", written) == [], 60, "every object readable from the returned nodes")
    assert read_all(s3[2], "kill-load", written) == []
    step("read back from the returned nodes alone")


def test_paused_node_does_not_stall_the_others(make_cluster):
    cluster = make_cluster()
    s3 = cluster.client(0)
    s3.create_bucket(Bucket="paused")
    s3.put_object(Bucket="paused", Key="before", Body=b"stored before the pause")
    # The paused node has a small object in its cache, which changes while it is stopped.
    s3.put_object(Bucket="paused", Key="cached", Body=b"old version")
    for _ in range(3):
        assert cluster.client(1).get_object(Bucket="paused", Key="cached")["Body"].read() == b"old version"
    pause(cluster.nodes[1])
    try:
        # The first requests wait at most the internode deadline (3 s here) for the stalled node's
        # drives; once the drive monitor has taken them offline, requests do not wait at all.
        for attempt in range(3):
            started = time.monotonic()
            s3.put_object(Bucket="paused", Key=f"during-{attempt}", Body=b"written during the pause")
            assert s3.get_object(Bucket="paused", Key="before")["Body"].read() == b"stored before the pause"
            assert time.monotonic() - started < 15
        time.sleep(5)
        for attempt in range(5):
            started = time.monotonic()
            s3.put_object(Bucket="paused", Key=f"later-{attempt}", Body=b"x" * 200_000)
            assert cluster.client(2).get_object(Bucket="paused", Key=f"later-{attempt}")["Body"].read() == b"x" * 200_000
            assert time.monotonic() - started < 2.5, "requests still wait for the paused node"
        s3.put_object(Bucket="paused", Key="cached", Body=b"new version")
    finally:
        resume(cluster.nodes[1])
    # At once after it resumes, the node must not answer from its cache: its leases ran out
    # while it was stopped, and it flushes before it serves again.
    deadline = time.monotonic() + 30
    while True:
        try:
            got = cluster.client(1).get_object(Bucket="paused", Key="cached")["Body"].read()
            assert got == b"new version", got
            break
        except ClientError as error:
            assert http_status(error) == 503 and time.monotonic() < deadline, error
            time.sleep(0.2)
    cluster.wait_until_writable()
    assert cluster.client(1).get_object(Bucket="paused", Key="during-0")["Body"].read() == b"written during the pause"


def test_etcd_unreachable_keeps_reads_and_refuses_changes_until_it_returns(make_cluster):
    cluster = make_cluster(nodes=4, drives_per_node=1)
    s3 = [cluster.client(i) for i in range(4)]
    s3[0].create_bucket(Bucket="no-etcd")
    s3[1].put_object(Bucket="no-etcd", Key="kept", Body=b"stored while etcd was up")
    cluster.etcd.stop()

    started = time.monotonic()
    for client in s3:
        assert client.get_object(Bucket="no-etcd", Key="kept")["Body"].read() == b"stored while etcd was up"
        assert client.head_object(Bucket="no-etcd", Key="kept")["ContentLength"] == 24
        assert [o["Key"] for o in client.list_objects_v2(Bucket="no-etcd")["Contents"]] == ["kept"]
        assert "no-etcd" in [b["Name"] for b in client.list_buckets()["Buckets"]]
    # Reads do not wait on etcd: after a failed call the nodes stop asking it for a while.
    assert time.monotonic() - started < 12, time.monotonic() - started
    for call, arguments in (
        (s3[2].put_object, dict(Bucket="no-etcd", Key="new", Body=b"x")),
        (s3[3].delete_object, dict(Bucket="no-etcd", Key="kept")),
        (s3[0].create_bucket, dict(Bucket="no-etcd-new")),
    ):
        error = pytest.raises(ClientError, call, **arguments).value
        assert http_status(error) == 503 and error_code(error) == "ServiceUnavailable", error.response
        assert "etcd" in error.response["Error"]["Message"]
    assert s3[0].get_object(Bucket="no-etcd", Key="kept")["Body"].read() == b"stored while etcd was up"

    cluster.etcd.start()
    wait_until(lambda: _put_succeeds(s3[2], "no-etcd", "new"), 30, "writes after etcd returned")
    assert s3[3].get_object(Bucket="no-etcd", Key="new")["Body"].read() == b"after"


def _status_with_node_down(asked, down):
    result = run_admin(asked, "info", "--json", timeout=60)
    if result.returncode != 0:
        return None
    status = json.loads(result.stdout)
    states = {n["address"]: n["state"] for n in status["cluster"]["nodes"]}
    if states.get(f"127.0.0.1:{down.port}") != "down":
        return None
    drives = [d for d in status["drives"] if f":{down.port}/" in d["path"]]
    return status if drives and all(d["state"] == "offline" for d in drives) else None


def _put_succeeds(client, bucket, key):
    try:
        client.put_object(Bucket=bucket, Key=key, Body=b"after")
        return True
    except ClientError:
        return False


def test_losing_one_of_three_etcd_members_changes_nothing(make_cluster):
    cluster = make_cluster(etcd_members=3, nodes=4, drives_per_node=1)
    s3 = [cluster.client(i) for i in range(4)]
    s3[0].create_bucket(Bucket="etcd-three")
    # The member every node asks first goes away.
    cluster.etcd.members[0].stop()
    started = time.monotonic()
    s3[1].create_bucket(Bucket="etcd-three-more")
    s3[2].put_object(Bucket="etcd-three", Key="k", Body=b"one")
    s3[3].put_object(Bucket="etcd-three", Key="k", Body=b"two")
    error = pytest.raises(ClientError, s3[0].put_object, Bucket="etcd-three", Key="k", Body=b"3", IfNoneMatch="*").value
    assert error_code(error) == "PreconditionFailed"
    assert s3[0].get_object(Bucket="etcd-three", Key="k")["Body"].read() == b"two"
    assert time.monotonic() - started < 20
    outcomes = []
    def create(index):
        try:
            s3[index].create_bucket(Bucket="etcd-three-race")
            return "ok"
        except ClientError as error:
            return error_code(error)
    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(create, range(4)))
    assert outcomes == ["BucketAlreadyOwnedByYou"] * 3 + ["ok"]


def test_clock_skew_on_one_node_does_not_reorder_versions(make_cluster):
    """A node whose wall clock runs 30 s ahead (STOWAGE_TEST_CLOCK_OFFSET_SECONDS) writes a version, then an on-time node writes
    the next: versions are ordered by the key lock's token, not by clocks, so the later write is the current
    version everywhere although its Last-Modified is earlier; signatures and internode authentication
    (which allow minutes and 60 s of skew) go on working."""
    cluster = make_cluster()
    skewed = cluster.nodes[3]
    skewed.stop()
    skewed.extra_env.update(skewed_clock_env(30))
    skewed.start()
    cluster.wait_until_writable()
    s3 = [cluster.client(i) for i in range(4)]
    s3[0].create_bucket(Bucket="skew")
    s3[0].put_bucket_versioning(Bucket="skew", VersioningConfiguration={"Status": "Enabled"})
    first = s3[3].put_object(Bucket="skew", Key="k", Body=b"first, through the node 30 s ahead")
    second = s3[0].put_object(Bucket="skew", Key="k", Body=b"second, through an on-time node")
    for client in s3:
        assert client.get_object(Bucket="skew", Key="k")["Body"].read() == b"second, through an on-time node"
    versions = s3[2].list_object_versions(Bucket="skew", Prefix="k")["Versions"]
    assert [(v["VersionId"], v["IsLatest"]) for v in versions] == [
        (second["VersionId"], True), (first["VersionId"], False)]
    # The skew is real: the older version claims the later time.
    assert (versions[1]["LastModified"] - versions[0]["LastModified"]).total_seconds() > 20
    # Without versioning too: the on-time node's later overwrite wins through the skewed node.
    s3[0].create_bucket(Bucket="skew-plain")
    s3[3].put_object(Bucket="skew-plain", Key="k", Body=b"first")
    s3[1].put_object(Bucket="skew-plain", Key="k", Body=b"second")
    assert s3[3].get_object(Bucket="skew-plain", Key="k")["Body"].read() == b"second"


def _etcd(cluster, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        cluster.etcd.members[0].endpoint + path, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_restarted_node_revokes_the_lease_of_the_process_killed(make_cluster):
    """A node records its etcd lease (`/stowage/v1/nodes/<address>/lease`); killed and started again, it
    revokes that lease before it serves, so locks its dead process held are free then, not when the lease
    would have run out (until then, writes of those keys wait)."""
    cluster = make_cluster()
    s3 = cluster.client(0)
    s3.create_bucket(Bucket="leases")
    s3.put_object(Bucket="leases", Key="k", Body=b"first")  # the node's first lock grants its lease
    node = cluster.nodes[0]
    record = base64.b64encode(f"/stowage/v1/nodes/{node.host}:{node.port}/lease".encode()).decode()
    stored = _etcd(cluster, "/v3/kv/range", {"key": record})["kvs"][0]
    lease = base64.b64decode(stored["value"]).decode()
    remaining = int(_etcd(cluster, "/v3/lease/timetolive", {"ID": lease})["TTL"])
    assert remaining > 0
    node.kill()
    killed = time.monotonic()
    node.start()
    # Revoked once the new process has bound its port: before the lease would have run out by itself.
    wait_until(lambda: int(_etcd(cluster, "/v3/lease/timetolive", {"ID": lease})["TTL"]) == -1, remaining + 5,
               "the old lease to be revoked", interval=0.1)
    assert time.monotonic() - killed < remaining - 1, (time.monotonic() - killed, remaining)
    assert "revoked the previous process's etcd lease" in node.log_path.read_text(errors="replace")
    cluster.wait_until_writable()
    s3.put_object(Bucket="leases", Key="k", Body=b"second")
    assert cluster.client(1).get_object(Bucket="leases", Key="k")["Body"].read() == b"second"
    # The new process recorded its own lease.
    renewed = base64.b64decode(_etcd(cluster, "/v3/kv/range", {"key": record})["kvs"][0]["value"]).decode()
    assert renewed != lease and int(_etcd(cluster, "/v3/lease/timetolive", {"ID": renewed})["TTL"]) > 0
