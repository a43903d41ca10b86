"""A cluster of four real `stowage` nodes (two drives each) coordinated by a real etcd.

Any node serves any request; bucket changes and conditional writes are linearizable across nodes;
versions are ordered by etcd's lock order; a node whose drive arguments disagree with the layout
recorded in etcd refuses to start. Destructive scenarios (kill -9, SIGSTOP, etcd loss) are in
test_cluster_faults.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import struct
import subprocess
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from botocore.exceptions import ClientError

from cluster_support import EtcdCluster, StowageCluster
from e2e_support import admin_heal, error_code, http_status, metrics, run_admin, shard_inventory
from stowage_process import StowageServer, stowage_binary


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster")
    etcd = EtcdCluster(folder / "etcd").start()
    nodes = StowageCluster(folder, etcd)
    try:
        nodes.start()
    except Exception:
        nodes.stop()
        etcd.stop()
        raise
    yield nodes
    nodes.stop()
    etcd.stop()


def test_layout_is_recorded_and_announced(cluster):
    for node in cluster.nodes:
        log = node.log_path.read_text()
        assert "cluster: node 127.0.0.1:" in log and "of 4" in log, log[-2000:]
        assert "1 set of 8 drives (4 data + 4 parity)" in log


def test_any_node_serves_any_request(cluster):
    s3 = [cluster.client(i) for i in range(4)]
    s3[0].create_bucket(Bucket="anynode")
    # Usable at once through another node.
    body = os.urandom(3 * 1024 * 1024 + 17)
    put = s3[3].put_object(Bucket="anynode", Key="dir/big", Body=body)
    assert put["ETag"] == '"' + hashlib.md5(body).hexdigest() + '"'
    s3[1].put_object(Bucket="anynode", Key="dir/small", Body=b"small object", ContentType="text/plain",
                     Metadata={"color": "blue"})
    got = s3[2].get_object(Bucket="anynode", Key="dir/big")
    assert got["Body"].read() == body and got["ETag"] == put["ETag"]
    ranged = s3[1].get_object(Bucket="anynode", Key="dir/big", Range="bytes=1048570-1048590")
    assert ranged["Body"].read() == body[1048570:1048591]
    head = s3[0].head_object(Bucket="anynode", Key="dir/small")
    assert head["ContentLength"] == 12 and head["ContentType"] == "text/plain" and head["Metadata"] == {"color": "blue"}
    # List-after-write from every node.
    for client in s3:
        listed = client.list_objects_v2(Bucket="anynode", Prefix="dir/")
        assert [o["Key"] for o in listed["Contents"]] == ["dir/big", "dir/small"]
    assert [b["Name"] for b in s3[2].list_buckets()["Buckets"] if b["Name"] == "anynode"] == ["anynode"]
    # Delete through one node, gone through every other.
    s3[0].delete_object(Bucket="anynode", Key="dir/small")
    for client in s3[1:]:
        assert http_status(pytest.raises(ClientError, client.head_object, Bucket="anynode", Key="dir/small").value) == 404
    s3[2].delete_object(Bucket="anynode", Key="dir/big")
    s3[3].delete_bucket(Bucket="anynode")
    for client in s3:
        error = pytest.raises(ClientError, client.list_objects_v2, Bucket="anynode").value
        assert error_code(error) == "NoSuchBucket"


def test_small_objects_are_served_from_cache_yet_never_stale(cluster):
    """Every node caches small objects (answered on the event loop), and a write through any node
    is seen at once through every other: the writer tells the others before and after its commit."""
    s3 = [cluster.client(i) for i in range(4)]
    s3[0].create_bucket(Bucket="coherent")
    served_before = [metrics(node).get("stowage_fast_get_responses_total", 0) for node in cluster.nodes]
    for round in range(24):
        if round % 8 == 7:
            body = os.urandom(200_000)  # too large to be cached: replaces a cached small one
        else:
            body = f"version {round} ".encode() * (1 + round % 3)
        s3[round % 4].put_object(Bucket="coherent", Key="k", Body=body)
        for reader in s3:
            # boto3's GETs ask for checksums (the full path answers); presigned GETs after the
            # first may come from the node's cache. All must be the new version.
            assert reader.get_object(Bucket="coherent", Key="k")["Body"].read() == body, f"round {round}"
            url = reader.generate_presigned_url("get_object", Params={"Bucket": "coherent", "Key": "k"}, ExpiresIn=600)
            for _ in range(2):
                assert requests.get(url, timeout=30).content == body, f"round {round}"
    s3[1].delete_object(Bucket="coherent", Key="k")
    for reader in s3:
        error = pytest.raises(ClientError, reader.get_object, Bucket="coherent", Key="k").value
        assert error_code(error) == "NoSuchKey"
    served_after = [metrics(node).get("stowage_fast_get_responses_total", 0) for node in cluster.nodes]
    assert all(after > before for before, after in zip(served_before, served_after)), (served_before, served_after)
    s3[2].delete_bucket(Bucket="coherent")


def test_versioning_change_reaches_other_nodes_cached_objects(cluster):
    """A cached null version answers without a version id until versioning is turned on through another
    node; from then on every node answers `x-amz-version-id: null` for it (S3's answer in a versioned bucket)."""
    s3 = [cluster.client(i) for i in range(4)]
    s3[0].create_bucket(Bucket="coherent-versioning")
    s3[0].put_object(Bucket="coherent-versioning", Key="k", Body=b"null version")
    urls = [client.generate_presigned_url("get_object", Params={"Bucket": "coherent-versioning", "Key": "k"},
                                          ExpiresIn=600) for client in s3]
    for url in urls:
        for _ in range(2):
            response = requests.get(url, timeout=30)
            assert response.content == b"null version" and "x-amz-version-id" not in response.headers
    s3[2].put_bucket_versioning(Bucket="coherent-versioning", VersioningConfiguration={"Status": "Enabled"})
    for url in urls:
        for _ in range(2):
            response = requests.get(url, timeout=30)
            assert response.content == b"null version" and response.headers.get("x-amz-version-id") == "null"
    s3[1].delete_object(Bucket="coherent-versioning", Key="k", VersionId="null")
    s3[3].delete_bucket(Bucket="coherent-versioning")


def test_multipart_upload_spread_over_nodes(cluster):
    s3 = [cluster.client(i) for i in range(4)]
    s3[0].create_bucket(Bucket="mpu-nodes")
    upload = s3[0].create_multipart_upload(Bucket="mpu-nodes", Key="spread")["UploadId"]
    parts = [os.urandom(5 * 1024 * 1024), os.urandom(5 * 1024 * 1024), b"tail" * 1000]
    etags = []
    for number, part in enumerate(parts, start=1):
        answer = s3[number % 4].upload_part(
            Bucket="mpu-nodes", Key="spread", UploadId=upload, PartNumber=number, Body=part)
        etags.append({"PartNumber": number, "ETag": answer["ETag"]})
    listed = s3[3].list_parts(Bucket="mpu-nodes", Key="spread", UploadId=upload)
    assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2, 3]
    done = s3[2].complete_multipart_upload(
        Bucket="mpu-nodes", Key="spread", UploadId=upload, MultipartUpload={"Parts": etags})
    assert done["ETag"].endswith('-3"')
    assert s3[1].get_object(Bucket="mpu-nodes", Key="spread")["Body"].read() == b"".join(parts)
    s3[0].delete_object(Bucket="mpu-nodes", Key="spread")
    s3[0].delete_bucket(Bucket="mpu-nodes")


def test_bucket_settings_and_retried_completion_through_other_nodes(cluster):
    """Ownership controls, Block Public Access, ACL refusals, GetObjectAttributes and a CompleteMultipartUpload sent
    again all behave through any node as on one (bucket settings live in etcd)."""
    s3 = [cluster.client(i) for i in range(4)]
    s3[0].create_bucket(Bucket="settings-nodes")
    s3[1].put_bucket_ownership_controls(Bucket="settings-nodes",
                                        OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    rules = s3[3].get_bucket_ownership_controls(Bucket="settings-nodes")["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "ObjectWriter"}]
    s3[2].put_bucket_ownership_controls(Bucket="settings-nodes",
                                        OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    error = pytest.raises(ClientError, s3[0].put_object, Bucket="settings-nodes", Key="k", Body=b"x", ACL="public-read").value
    assert error.response["Error"]["Code"] == "AccessControlListNotSupported"
    s3[3].delete_public_access_block(Bucket="settings-nodes")
    error = pytest.raises(ClientError, s3[1].get_public_access_block, Bucket="settings-nodes").value
    assert error.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration"

    upload = s3[0].create_multipart_upload(Bucket="settings-nodes", Key="retried")["UploadId"]
    part = s3[1].upload_part(Bucket="settings-nodes", Key="retried", UploadId=upload, PartNumber=1, Body=b"one part")
    parts = {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}
    done = s3[2].complete_multipart_upload(Bucket="settings-nodes", Key="retried", UploadId=upload, MultipartUpload=parts)
    again = s3[3].complete_multipart_upload(Bucket="settings-nodes", Key="retried", UploadId=upload, MultipartUpload=parts)
    assert again["ETag"] == done["ETag"]
    attributes = s3[0].get_object_attributes(Bucket="settings-nodes", Key="retried", ObjectAttributes=["ETag", "ObjectParts"])
    assert attributes["ETag"] == done["ETag"].strip('"') and attributes["ObjectParts"]["TotalPartsCount"] == 1
    s3[1].delete_object(Bucket="settings-nodes", Key="retried")
    s3[0].delete_bucket(Bucket="settings-nodes")


def test_racing_bucket_creates_give_one_success(cluster):
    for round_number in range(4):
        name = f"race-bucket-{round_number}"
        clients = [cluster.client(i % 4) for i in range(8)]
        start = threading.Barrier(len(clients))

        def create(client):
            start.wait()
            try:
                client.create_bucket(Bucket=name)
                return "ok"
            except ClientError as error:
                return error_code(error)

        with ThreadPoolExecutor(len(clients)) as pool:
            outcomes = list(pool.map(create, clients))
        assert sorted(outcomes) == ["BucketAlreadyOwnedByYou"] * 7 + ["ok"], outcomes
        clients[0].delete_bucket(Bucket=name)


def test_conditional_create_is_linearizable_across_nodes(cluster):
    s3 = cluster.client(0)
    s3.create_bucket(Bucket="inm-race")
    for round_number in range(5):
        key = f"once-{round_number}"
        clients = [cluster.client(i % 4) for i in range(8)]
        start = threading.Barrier(len(clients))

        def create(index):
            start.wait()
            body = f"writer {index}".encode()
            try:
                clients[index].put_object(Bucket="inm-race", Key=key, Body=body, IfNoneMatch="*")
                return ("ok", body)
            except ClientError as error:
                return (error_code(error), body)

        with ThreadPoolExecutor(len(clients)) as pool:
            outcomes = list(pool.map(create, range(len(clients))))
        winners = [body for code, body in outcomes if code == "ok"]
        assert len(winners) == 1, outcomes
        assert sorted(code for code, _ in outcomes if code != "ok") in (
            ["PreconditionFailed"] * 7,
        ), outcomes
        for reader in range(4):
            assert cluster.client(reader).get_object(Bucket="inm-race", Key=key)["Body"].read() == winners[0]


def test_if_match_compare_and_set_across_nodes(cluster):
    """Concurrent increments by compare-and-set through different nodes: none is lost."""
    s3 = cluster.client(0)
    s3.create_bucket(Bucket="cas-race")
    s3.put_object(Bucket="cas-race", Key="counter", Body=b"0")
    successes = []
    lock = threading.Lock()

    def increment(index):
        client = cluster.client(index % 4)
        done = 0
        while done < 3:
            current = client.get_object(Bucket="cas-race", Key="counter")
            value = int(current["Body"].read())
            try:
                client.put_object(Bucket="cas-race", Key="counter", Body=str(value + 1).encode(), IfMatch=current["ETag"])
                done += 1
                with lock:
                    successes.append(value + 1)
            except ClientError as error:
                assert error_code(error) in ("PreconditionFailed", "ConditionalRequestConflict"), error.response

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(increment, range(4)))
    assert sorted(successes) == list(range(1, 13)), successes
    assert cluster.client(3).get_object(Bucket="cas-race", Key="counter")["Body"].read() == b"12"


def test_versions_follow_write_order_across_nodes(cluster):
    s3 = [cluster.client(i) for i in range(4)]
    s3[0].create_bucket(Bucket="versions-nodes")
    s3[1].put_bucket_versioning(Bucket="versions-nodes", VersioningConfiguration={"Status": "Enabled"})
    # The change is visible at once through every node.
    for client in s3:
        assert client.get_bucket_versioning(Bucket="versions-nodes")["Status"] == "Enabled"
    written = []
    for i in range(8):
        answer = s3[i % 4].put_object(Bucket="versions-nodes", Key="doc", Body=f"v{i}".encode())
        written.append(answer["VersionId"])
    marker = s3[2].delete_object(Bucket="versions-nodes", Key="doc")
    assert marker["DeleteMarker"] is True
    for client in s3:
        listed = client.list_object_versions(Bucket="versions-nodes", Prefix="doc")
        assert [v["VersionId"] for v in listed["Versions"]] == list(reversed(written))
        assert [m["VersionId"] for m in listed["DeleteMarkers"]] == [marker["VersionId"]]
        assert listed["DeleteMarkers"][0]["IsLatest"] is True
    old = s3[3].get_object(Bucket="versions-nodes", Key="doc", VersionId=written[2])
    assert old["Body"].read() == b"v2"
    s3[0].delete_object(Bucket="versions-nodes", Key="doc", VersionId=marker["VersionId"])
    assert s3[1].get_object(Bucket="versions-nodes", Key="doc")["Body"].read() == b"v7"


def test_node_with_a_different_layout_is_refused(cluster, tmp_path):
    # The same nodes with one drive left out, and the drives in another order.
    for drives in (cluster.drive_urls[:-1] + [cluster.drive_urls[-1].replace("drive2", "drive9")],
                   list(reversed(cluster.drive_urls))):
        own = drives[0].split("/")[2]
        command = [str(stowage_binary()), "server", "--etcd", cluster.etcd.endpoints, "--address", own, *drives]
        env = {k: v for k, v in os.environ.items() if not k.startswith("STOWAGE_ROOT_")}
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
        assert result.returncode != 0
        output = result.stdout + result.stderr
        assert "disagree with the cluster layout recorded in etcd" in output, output
        assert "start every node with the same drive arguments" in output


def _internode_frame(message: bytes, *, operation: int, request_id: int = 0, slot: int = 0) -> bytes:
    return struct.pack("<IIIHBB", len(message), 0, request_id, slot, operation, 0) + message


def _read_internode_frame(sock: socket.socket) -> tuple[int, int, bytes]:
    """(request id, status, message) of the next frame; raises EOFError when the node closed the connection."""
    def exactly(count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = sock.recv(count - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data
    message_length, data_length, request_id, _slot, _operation, status = struct.unpack("<IIIHBB", exactly(16))
    message = exactly(message_length)
    exactly(data_length)
    return request_id, status, message


def _internode_hello(node, *, password: str | None = None, date: int | None = None) -> bytes:
    """The first frame of an internode connection, signed as a node with the root credentials would."""
    secret = password if password is not None else node.secret_key
    key = hmac.new(secret.encode(), f"stowage internode v1 {node.access_key}".encode(), hashlib.sha256).digest()
    date_text = str(date if date is not None else int(time.time()))
    nonce = os.urandom(16).hex()
    text = "\n".join(["RPC", "/_stowage/internode/v1/rpc", "", date_text, nonce])
    signature = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
    return _internode_frame(f"{date_text}\n{nonce}\n{signature}".encode(), operation=0xFF)


def _internode_session(node, *frames: bytes) -> list[tuple[int, int, bytes]]:
    """Opens a connection to node's S3 port, sends the internode preface and frames, and reads
    answers until the node closes the connection or goes quiet for a second."""
    answers = []
    with socket.create_connection(("127.0.0.1", node.port), timeout=10) as sock:
        sock.sendall(b"STOWAGE-RPC/4\r\n" + b"".join(frames))
        sock.settimeout(1)
        try:
            while True:
                answers.append(_read_internode_frame(sock))
        except (EOFError, socket.timeout, ConnectionResetError):
            pass
    return answers


def test_internode_protocol_refuses_strangers_and_replays(cluster):
    node = cluster.nodes[0]
    list_buckets = _internode_frame(b"", operation=2, request_id=7)  # DriveRPC.Operation.listBuckets
    # A call without the hello, a hello with a guessed secret, and one dated far away: refused, closed.
    for first, why in ((list_buckets, b"internode authentication headers missing"),
                       (_internode_hello(node, password="guessed"), b"internode signature does not match"),
                       (_internode_hello(node, date=int(time.time()) - 3600), b"internode request date outside")):
        answers = _internode_session(node, first, list_buckets)
        assert len(answers) == 1, answers
        assert answers[0][1] == 2 and answers[0][2].startswith(why), answers  # status refused
    # Signed properly, the same call is answered (status ok); the same hello sent again is a replay.
    hello = _internode_hello(node)
    answers = _internode_session(node, hello, list_buckets)
    assert [(a[0], a[1]) for a in answers] == [(0, 0), (7, 0)], answers
    answers = _internode_session(node, hello, list_buckets)
    assert answers == [(0, 2, b"internode request replayed")], answers
    # The HTTP drive endpoint of earlier versions is gone, not a way around the handshake.
    request = urllib.request.Request(
        f"{node.endpoint}/_stowage/internode/v1/drive/0/list-buckets", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 404


def test_admin_info_shows_every_node_drive_and_etcd(cluster):
    result = run_admin(cluster.nodes[1], "info", "--json", timeout=60)
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    info = status["cluster"]
    assert info["thisNode"] == f"127.0.0.1:{cluster.nodes[1].port}"
    assert info["layoutVersion"] == 1
    assert [n["address"] for n in info["nodes"]] == [f"127.0.0.1:{node.port}" for node in cluster.nodes]
    for node in info["nodes"]:
        assert node["state"] == "up" and node["version"] and node["uptimeSeconds"] >= 0, node
    assert [m["healthy"] for m in info["etcd"]] == [True]
    assert len(status["drives"]) == 8 and all(d["state"] == "online" for d in status["drives"])
    assert all(d["freeBytes"] > 0 for d in status["drives"])
    text = run_admin(cluster.nodes[0], "info", timeout=60).stdout
    assert "cluster layout version: 1" in text and text.count("  up  version ") == 4 and "healthy" in text


def test_admin_heal_through_one_node_rebuilds_another_nodes_drive(cluster):
    s3 = cluster.client(0)
    s3.create_bucket(Bucket="heal-cluster")
    bodies = {f"obj{i}": os.urandom(300_000 + i) for i in range(4)}
    for key, body in bodies.items():
        s3.put_object(Bucket="heal-cluster", Key=key, Body=body)
    drive = cluster.folder / "node3" / "drive1"
    before = shard_inventory([drive])[str(drive)]
    assert before, "node 3's first drive holds shards"
    for path in (drive / "shards").rglob("*"):
        if path.is_file():
            path.unlink()
    code, report = admin_heal(cluster.nodes[0], "heal-cluster")
    assert code == 0 and report["failures"] == [], report
    assert report["shardsHealed"] >= len(bodies), report
    after = shard_inventory([drive])[str(drive)]
    assert {k: v for k, v in after.items() if k in before} == before
    _, again = admin_heal(cluster.nodes[2], "heal-cluster")
    assert again["shardsHealed"] == 0 and again["objectsHealed"] == 0, again
    for key, body in bodies.items():
        assert cluster.client(3).get_object(Bucket="heal-cluster", Key=key)["Body"].read() == body
