"""Chaos runs against a real cluster: clients record a history while a nemesis injects faults; then
every fault is healed and the run is checked.

A run (`run_chaos`) starts etcd and a `stowage` cluster on loopback, and for `duration` seconds:
- clients (threads, each on its own connections) perform PUT, GET, DELETE, `If-None-Match: *` PUT,
  `If-Match` PUT and, on a versioned bucket, ListObjectVersions of a key, on a few shared keys,
  through random nodes, and record each operation (invocation and completion times, node, result:
  ok, refused for sure, or unknown after a timeout, a dropped connection or a 5xx of a write);
- a nemesis follows a schedule drawn from the seed: kill -9 of a node and its restart, SIGSTOP and
  SIGCONT of a node (a gray failure), a node restarted with its wall clock 3–20 s off (a test-only offset) and
  restarted on time later, kill -9 of an etcd member (with 3 members) and its restart; with
  `partitions` (every process in its own network namespace, netns.py): a node cut off from its peers and
  etcd (clients still reach it), a 2|2 split of the nodes with etcd on one side, an etcd member cut off;
  with `drive_faults` (root: every node's drives on its own tmpfs, drive_faults.py): a node's drives filled up
  (ENOSPC) and freed, a node's drive failing every write (read-only) and writable again; with `overlap`, faults
  that start while others are on (and, with partitions, bridges: two groups that reach only one node in common);
  with `network_faults` (relay.py: every connection of a node to a peer or to etcd runs through a relay of the
  run, since this kernel has no netem): every link slowed by 20-150 ms with jitter, or the links to one node
  losing chunks (stalls of 0.2-1 s, as TCP retransmissions cost); with `frozen_drives` (root: each node's
  drive 2 on a loop-mounted ext4 of its own): a node's drive 2 frozen with fsfreeze (every write to it hangs in
  the kernel, as on a disk that stops answering) and thawed.

Then every fault is healed, and the run fails on any of:
- a history that is not linearizable (`stowage check-history`, per key; it prints the smallest window);
- an answer a partition or a fault must never give: `NoSuchBucket` for the run's buckets, a 500;
- a node whose final reads or listings differ from another's (every node reads every key, and lists
  the buckets and the versions);
- drives that disagree after `stowage admin heal`: a second heal must find nothing to repair.

The seed decides the nemesis schedule and every client's choices; rerunning with the same seed
replays the same schedule (the interleaving of real processes still varies).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

import netns

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError

from cluster_support import EtcdCluster, StowageCluster, skewed_clock_env
from drive_faults import Mounts, fill
from relay import Relays
from e2e_support import make_client, run_admin
from stowage_process import stowage_binary

PLAIN_BUCKET = "chaos"
VERSIONED_BUCKET = "chaos-versioned"
S3_NAMESPACE = "{http://s3.amazonaws.com/doc/2006-03-01/}"


@dataclass
class Fault:
    at: float
    # "kill", "pause", "skew", "etcd-kill", "isolate", "split", "bridge", "etcd-isolate", "drive-full", "drive-failing",
    # "drive-frozen", "slow-net", "lossy-net"
    kind: str
    target: int
    duration: float
    # For "skew": how far the node's wall clock is set off, in seconds.
    offset: float = 0

    def describe(self) -> str:
        if self.kind in ("etcd-kill", "etcd-isolate"):
            what = f"etcd member {self.target}"
        elif self.kind == "split":
            what = "nodes " + "+".join(str(n + 1) for n in self.split_side(4)) + " (with etcd) from the others"
        elif self.kind == "bridge":
            bridge, with_etcd, alone = self.bridge_sides(4)
            what = (f"nodes {'+'.join(str(n + 1) for n in with_etcd)} (with etcd) from "
                    f"{'+'.join(str(n + 1) for n in alone)}, node {bridge + 1} linked to both")
        elif self.kind == "skew":
            what = f"node {self.target + 1}'s clock by {self.offset:+.1f} s"
        elif self.kind == "drive-full":
            what = f"node {self.target + 1}'s drives"
        elif self.kind == "drive-failing":
            what = f"node {self.target + 1}'s drive 1"
        elif self.kind == "drive-frozen":
            what = f"node {self.target + 1}'s drive 2 (fsfreeze)"
        elif self.kind == "slow-net":
            what = f"every link (+{self.offset * 1000:.0f} ms, jitter {self.offset * 500:.0f} ms)"
        elif self.kind == "lossy-net":
            what = f"links to node {self.target + 1} ({self.offset * 100:.0f}% of chunks stalled 0.2-1 s)"
        else:
            what = f"node {self.target + 1}"
        return f"{self.at:6.1f} s: {self.kind} {what} for {self.duration:.1f} s"

    def split_side(self, nodes: int) -> list[int]:
        """For a split: the nodes on etcd's side (half of them, drawn from `target`)."""
        return sorted(random.Random(self.target).sample(range(nodes), nodes // 2))

    def bridge_sides(self, nodes: int) -> tuple[int, list[int], list[int]]:
        """For a bridge: the node that keeps every link, the side with etcd, and the other side (drawn from
        `target`): two groups that cannot reach each other, both reaching the bridge node."""
        rng = random.Random(self.target)
        bridge = rng.randrange(nodes)
        others = [n for n in range(nodes) if n != bridge]
        rng.shuffle(others)
        cut = (len(others) + 1) // 2
        return bridge, sorted(others[:cut]), sorted(others[cut:])

    def node(self) -> int | None:
        """The node this fault acts on alone, if any."""
        return self.target if self.kind in (
            "kill", "pause", "skew", "isolate", "drive-full", "drive-failing", "drive-frozen") else None

    def conflicts(self, other: "Fault") -> bool:
        """Whether the two cannot run at once (one network layout, one fault per node or etcd member)."""
        network = ("isolate", "split", "bridge", "etcd-isolate")
        if self.kind in network and other.kind in network:
            return True
        links = ("slow-net", "lossy-net")
        if self.kind in links and other.kind in links:
            return True
        if self.node() is not None and self.node() == other.node():
            return True
        return self.kind.startswith("etcd") and other.kind.startswith("etcd") and self.target == other.target


def schedule(
    seed: int, duration: float, nodes: int, etcd_members: int, partitions: bool = False, drive_faults: bool = False,
    overlap: bool = False, network_faults: bool = False, frozen_drives: bool = False,
) -> list[Fault]:
    """The nemesis schedule of `seed`: one fault at a time, each healed before the next; with `overlap`, about one
    fault in three starts while the one before is still on (on another node, another etcd member, and never two
    network faults at once), so faults pile up."""
    rng = random.Random(f"nemesis-{seed}")
    kinds = ["kill", "pause", "skew"] + (["etcd-kill"] if etcd_members > 1 else [])
    if partitions:
        kinds += ["isolate", "split"] + (["etcd-isolate"] if etcd_members > 1 else [])
    if drive_faults:
        kinds += ["drive-full", "drive-failing"]
    if partitions and overlap:
        kinds += ["bridge"]
    if network_faults:
        kinds += ["slow-net", "lossy-net"]
    if frozen_drives:
        kinds += ["drive-frozen"]

    def draw(at: float) -> Fault:
        kind = rng.choice(kinds)
        length = rng.uniform(1.5, 5)
        target = rng.randrange(1000) if kind in ("split", "bridge") else rng.randrange(
            etcd_members if kind.startswith("etcd") else nodes)
        offset = rng.choice([-1, 1]) * rng.uniform(3, 20) if kind == "skew" else 0
        if kind == "slow-net":
            offset = round(rng.uniform(0.02, 0.15), 3)  # added delay in seconds
        elif kind == "lossy-net":
            offset = round(rng.uniform(0.05, 0.25), 3)  # share of chunks stalled
        return Fault(round(at, 2), kind, target, round(length, 2), offset if kind in ("slow-net", "lossy-net")
                     else round(offset, 1))

    faults: list[Fault] = []
    at = rng.uniform(1.5, 3)
    while at < duration - 3:
        fault = draw(at)
        faults.append(fault)
        end = fault.at + fault.duration
        if overlap and rng.random() < 0.35:
            second = draw(fault.at + rng.uniform(0.5, fault.duration * 0.8))
            if not second.conflicts(fault) and second.at < duration - 3:
                faults.append(second)
                end = max(end, second.at + second.duration)
        at = end + rng.uniform(1, 3)
    return faults


@dataclass
class ChaosResult:
    seed: int
    operations: int = 0
    faults: list[Fault] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    check_output: str = ""
    history_path: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        lines = [f"chaos seed {self.seed}: {self.operations} operations, {len(self.faults)} faults"]
        lines += ["  " + fault.describe() for fault in self.faults]
        lines.append(self.check_output.rstrip())
        lines += [f"PROBLEM: {problem}" for problem in self.problems]
        if self.history_path:
            lines.append(f"history: {self.history_path}")
        return "\n".join(lines)


class History:
    """Operations as `stowage check-history` reads them (one JSON object per line)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.operations: list[dict] = []
        self.origin = time.monotonic_ns()

    def now(self) -> int:
        return time.monotonic_ns() - self.origin

    def record(self, operation: dict) -> None:
        with self.lock:
            self.operations.append(operation)

    def write(self, path: Path) -> None:
        with self.lock:
            path.write_text("".join(json.dumps(op) + "\n" for op in self.operations))


def etag_of(value: str) -> str:
    return '"' + hashlib.md5(value.encode()).hexdigest() + '"'


class Client:
    """One client thread's view: its own boto3 clients per node, its random choices, what it knows."""

    def __init__(self, run: "ChaosRun", index: int) -> None:
        self.run = run
        self.index = index
        self.rng = random.Random(f"client-{run.seed}-{index}")
        # Short deadlines: a paused node makes an operation unknown, not a stuck client.
        self.s3 = [make_client(node, connect_timeout=2, read_timeout=8) for node in run.cluster.nodes]
        self.counter = 0

    def value(self) -> str:
        self.counter += 1
        value = f"c{self.index}-{self.counter}"
        self.run.etags[etag_of(value)] = value
        return value

    def step(self) -> None:
        bucket, key = self.rng.choice(self.run.keys)
        node = self.rng.randrange(len(self.s3))
        choices = ["put"] * 3 + ["get"] * 4 + ["delete", "put-if-absent", "put-if-match", "put-if-match"]
        if bucket == VERSIONED_BUCKET:
            choices.append("list-versions")
        self.perform(self.rng.choice(choices), bucket, key, node)

    def perform(self, op: str, bucket: str, key: str, node: int) -> None:
        s3 = self.s3[node]
        record = {"key": f"{bucket}/{key}", "op": op, "client": self.index, "node": node + 1}
        if op in ("put", "put-if-absent", "put-if-match"):
            record["value"] = self.value()
        if op == "put-if-match":
            known = self.run.last_values.get((bucket, key))
            record["expected"] = known or self.rng.choice(list(self.run.etags.values()))
        writes = op not in ("get", "list-versions")
        record["start"] = self.run.history.now()
        try:
            if op == "put":
                s3.put_object(Bucket=bucket, Key=key, Body=record["value"].encode())
            elif op == "put-if-absent":
                s3.put_object(Bucket=bucket, Key=key, Body=record["value"].encode(), IfNoneMatch="*")
            elif op == "put-if-match":
                s3.put_object(Bucket=bucket, Key=key, Body=record["value"].encode(), IfMatch=etag_of(record["expected"]))
            elif op == "delete":
                s3.delete_object(Bucket=bucket, Key=key)
            elif op == "get":
                body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
                record["read"] = body
            else:
                versions = self.list_versions(s3, bucket, key)
                if versions is None:
                    record["outcome"] = "failed"
                else:
                    record["versions"] = versions
            record.setdefault("outcome", "ok")
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            code = error.response.get("Error", {}).get("Code", "")
            if code == "NoSuchBucket" or status == 500:
                self.run.problem(f"{op} {bucket}/{key} via node {node + 1} answered {status} {code}")
            if op == "get" and code == "NoSuchKey":
                record["outcome"], record["read"] = "ok", None
            elif status == 412 and op in ("put-if-absent", "put-if-match"):
                record["outcome"] = "precondition-failed"
            elif status == 404 and op == "put-if-match" and code == "NoSuchKey":
                record["outcome"] = "not-found"
            elif status >= 500 and writes:
                record["outcome"] = "unknown"
            else:
                # Refused before anything happened (409 ConditionalRequestConflict, 503 of a read).
                record["outcome"] = "failed"
                if 400 <= status < 500 and status not in (409,):
                    self.run.problem(f"{op} {bucket}/{key} via node {node + 1} answered {status} {code}")
        except (EndpointConnectionError, ConnectTimeoutError):
            record["outcome"] = "failed"  # never sent: the node was down
        except Exception:  # noqa: BLE001 - a timeout or a dropped connection: the outcome is unknown
            record["outcome"] = "unknown" if writes else "failed"
        if record["outcome"] != "unknown":
            record["end"] = self.run.history.now()
        if record["outcome"] == "ok" and op in ("put", "put-if-absent", "put-if-match"):
            self.run.last_values[(bucket, key)] = record["value"]
        elif record["outcome"] == "ok" and op == "get" and record["read"] is not None:
            self.run.last_values[(bucket, key)] = record["read"]
        self.run.history.record(record)

    def list_versions(self, s3, bucket: str, key: str) -> list[str | None] | None:
        """The key's versions oldest first (None for a delete marker), from the raw XML, whose
        order interleaves versions and delete markers (boto3 splits them apart)."""
        url = s3.generate_presigned_url("list_object_versions", Params={"Bucket": bucket, "Prefix": key})
        try:
            with urllib.request.urlopen(url, timeout=8) as response:
                root = ElementTree.fromstring(response.read())
        except urllib.error.HTTPError as error:
            code = re.search(rb"<Code>([^<]*)</Code>", error.read() or b"")
            code = code.group(1).decode() if code else ""
            if code == "NoSuchBucket" or error.code == 500:
                self.run.problem(f"list-versions {bucket}/{key} answered {error.code} {code}")
            return None
        # One page is one observation (a listing continued on a second page is not atomic); a key
        # with more than 1,000 versions is no longer checked by listings: use more keys in long runs.
        if root.findtext(f"{S3_NAMESPACE}IsTruncated") == "true":
            return None
        versions: list[str | None] = []
        for element in root:
            if element.findtext(f"{S3_NAMESPACE}Key") != key:
                continue
            if element.tag == f"{S3_NAMESPACE}Version":
                etag = element.findtext(f"{S3_NAMESPACE}ETag")
                versions.append(self.run.etags.get(etag, f"unknown-etag-{etag}"))
            elif element.tag == f"{S3_NAMESPACE}DeleteMarker":
                versions.append(None)
        versions.reverse()
        return versions


class ChaosRun:
    def __init__(
        self, folder: Path, seed: int, duration: float, nodes: int, etcd_members: int, clients: int, keys: int,
        partitions: bool = False, drive_faults: bool = False, overlap: bool = False, network_faults: bool = False,
        frozen_drives: bool = False,
    ) -> None:
        self.folder = folder
        self.seed = seed
        self.duration = duration
        self.node_count = nodes
        self.etcd_members = etcd_members
        self.client_count = clients
        self.keys = [(PLAIN_BUCKET, f"k{i}") for i in range(keys)] + [(VERSIONED_BUCKET, f"v{i}") for i in range(keys)]
        self.history = History()
        self.etags: dict[str, str] = {}
        self.last_values: dict[tuple[str, str], str] = {}
        self.result = ChaosResult(
            seed, faults=schedule(
                seed, duration, nodes, etcd_members, partitions, drive_faults, overlap, network_faults, frozen_drives))
        self.network = netns.Network(nodes, etcd_members) if partitions else None
        self.network_faults = network_faults
        self.relays: Relays | None = None
        self.frozen_drives = frozen_drives
        self.mounts = Mounts() if drive_faults or frozen_drives else None
        self.lock = threading.Lock()
        self.node_locks = [threading.Lock() for _ in range(nodes)]
        self.etcd: EtcdCluster | None = None
        self.cluster: StowageCluster | None = None

    def problem(self, text: str) -> None:
        with self.lock:
            self.result.problems.append(text)

    def log(self, text: str) -> None:
        print(f"chaos [{self.history.now() / 1e9:6.1f} s] {text}", file=sys.stderr, flush=True)

    def run(self) -> ChaosResult:
        self.etcd = EtcdCluster(self.folder / "etcd", size=self.etcd_members, network=self.network)
        try:
            if self.network:
                self.network.start()
            if self.network_faults:
                # On the bridge's address with namespaces (it exists once the network started).
                network = self.network
                self.relays = Relays(
                    f"{network.prefix}.254" if network else "127.0.0.1", self.seed,
                    cut=(lambda a, b: (a, b) in network.cuts) if network else None,
                    source_name=network.name_of if network else None)
            # With frozen drives, a deadline on local drive calls shorter than the longest freezes: a short freeze
            # holds its writes until the thaw, a long one fails them and takes the drive offline until it answers.
            self.cluster = StowageCluster(
                self.folder / "cluster", self.etcd, nodes=self.node_count, network=self.network, relays=self.relays,
                extra_args=["--drive-timeout", "2"] if self.frozen_drives else None)
            if self.mounts:
                for node in range(self.node_count):
                    home = self.mounts.tmpfs(self.folder / "cluster" / f"node{node + 1}", "256m")
                    if self.frozen_drives:
                        # Drive 2 on an ext4 of its own (the image outside the tmpfs, which drive-full fills),
                        # one that fsfreeze can make hang; the drive folder is a link into it.
                        (self.folder / "images").mkdir(exist_ok=True)
                        filesystem = self.mounts.ext4(home / "fs2", self.folder / "images" / f"node{node + 1}.img")
                        (filesystem / "drive2").mkdir()
                        (home / "drive2").symlink_to(filesystem / "drive2")
            self.etcd.start()
            self.cluster.start()
            admin = self.cluster.client(0)
            admin.create_bucket(Bucket=PLAIN_BUCKET)
            admin.create_bucket(Bucket=VERSIONED_BUCKET)
            admin.put_bucket_versioning(Bucket=VERSIONED_BUCKET, VersioningConfiguration={"Status": "Enabled"})
            self.history = History()
            stop = threading.Event()
            clients = [Client(self, index) for index in range(self.client_count)]
            threads = [threading.Thread(target=self.client_loop, args=(client, stop)) for client in clients]
            for thread in threads:
                thread.start()
            try:
                self.nemesis()
            finally:
                stop.set()
                for thread in threads:
                    thread.join()
            self.log(f"{len(self.history.operations)} operations; every fault healed")
            if self.relays:
                self.log(f"relays: {self.relays.chunks} chunks relayed, {self.relays.stalls} stalled")
                if self.relays.chunks == 0:
                    self.problem("no internode or etcd traffic went through the relays")
            self.final_checks(clients[0])
        finally:
            self.result.history_path = self.folder / "history.jsonl"
            self.history.write(self.result.history_path)
            if self.mounts:
                # A process blocked on a frozen filesystem cannot exit: thaw before stopping anything.
                for point in list(self.mounts.frozen):
                    self.mounts.freeze(point, False)
            if self.cluster:
                self.cluster.stop()
            self.etcd.stop()
            if self.relays:
                self.relays.stop()
            if self.network:
                self.network.stop()
            if self.mounts:
                # The drives live on tmpfs mounts: keep a copy of their indexes for a failed run's post-mortem.
                for index in sorted((self.folder / "cluster").glob("node*/drive*/index*")):
                    copy = self.folder / "drive-indexes" / index.relative_to(self.folder / "cluster")
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(index, copy)
                self.mounts.unmount_all()
        self.result.operations = len(self.history.operations)
        self.check_history()
        return self.result

    def client_loop(self, client: Client, stop: threading.Event) -> None:
        while not stop.is_set():
            client.step()

    def nemesis(self) -> None:
        """Each fault in its own thread, from its start to its heal (faults may overlap: see `schedule`)."""
        start = time.monotonic()
        threads = [threading.Thread(target=self.inject, args=(fault, start)) for fault in self.result.faults]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        time.sleep(max(0.0, start + self.duration - time.monotonic()))

    def inject(self, fault: Fault, start: float) -> None:
        time.sleep(max(0.0, start + fault.at - time.monotonic()))
        # A fault's heal can outlast its schedule (a restart waits for the node to answer): the next fault on the
        # same node waits for it, rather than meet a process that is not there (seed 901: a pause during the
        # restart that ended a clock skew).
        node = fault.node()
        with self.node_locks[node] if node is not None else contextlib.nullcontext():
            self.log(f"fault: {fault.describe()}")
            try:
                self.apply(fault)
            except Exception as error:  # noqa: BLE001 (the run must go on to heal the rest)
                self.problem(f"the nemesis failed on {fault.describe()}: {error!r}")
            self.log(f"healed: {fault.kind}")

    def apply(self, fault: Fault) -> None:
        if fault.kind == "kill":
            node = self.cluster.nodes[fault.target]
            node.kill()
            time.sleep(fault.duration)
            node.stop()
            node.start()
        elif fault.kind == "pause":
            node = self.cluster.nodes[fault.target]
            node.process.send_signal(signal.SIGSTOP)
            time.sleep(fault.duration)
            node.process.send_signal(signal.SIGCONT)
        elif fault.kind == "skew":
            # Restarted with its wall clock off, then restarted on time.
            node = self.cluster.nodes[fault.target]
            skew = skewed_clock_env(fault.offset)
            node.stop()
            node.extra_env.update(skew)
            node.start()
            time.sleep(fault.duration)
            node.stop()
            for name in skew:
                node.extra_env.pop(name, None)
            node.start()
        elif fault.kind == "drive-full":
            home = self.folder / "cluster" / f"node{fault.target + 1}"
            fillers = [home / "filler"] + ([home / "fs2" / "filler"] if self.frozen_drives else [])
            for filler in fillers:
                fill(filler)
            time.sleep(fault.duration)
            for filler in fillers:
                filler.unlink()
        elif fault.kind == "drive-frozen":
            filesystem = self.folder / "cluster" / f"node{fault.target + 1}" / "fs2"
            self.mounts.freeze(filesystem, True)
            try:
                time.sleep(fault.duration)
            finally:
                self.mounts.freeze(filesystem, False)
        elif fault.kind == "drive-failing":
            # Inside the node's mount namespace: with partitions it runs in its own.
            drive = self.folder / "cluster" / f"node{fault.target + 1}" / "drive1"
            pid = self.cluster.nodes[fault.target].pid
            self.mounts.set_read_only(drive, True, pid=pid)
            time.sleep(fault.duration)
            self.mounts.set_read_only(drive, False, pid=pid)
            self.mounts.release(drive, pid)
        elif fault.kind == "slow-net":
            self.relays.set(list(self.relays.conditions), delay=fault.offset, jitter=fault.offset / 2)
            time.sleep(fault.duration)
            self.relays.clear()
        elif fault.kind == "lossy-net":
            self.relays.set([f"n{fault.target + 1}"], delay=0.002, loss=fault.offset)
            time.sleep(fault.duration)
            self.relays.clear()
        elif fault.kind == "etcd-kill":
            member = self.etcd.members[fault.target]
            member.stop(signal.SIGKILL)
            time.sleep(fault.duration)
            member.start()
        else:
            if fault.kind == "isolate":
                self.network.isolate(f"n{fault.target + 1}")
            elif fault.kind == "etcd-isolate":
                self.network.isolate(f"e{fault.target}")
            elif fault.kind == "bridge":
                # The bridge node is in neither group: it keeps every link.
                _, with_etcd, alone = fault.bridge_sides(self.node_count)
                etcd = [f"e{j}" for j in range(self.etcd_members)]
                self.network.partition([[f"n{n + 1}" for n in with_etcd] + etcd, [f"n{n + 1}" for n in alone]])
            else:
                side = [f"n{n + 1}" for n in fault.split_side(self.node_count)]
                etcd = [f"e{j}" for j in range(self.etcd_members)]
                others = [f"n{n + 1}" for n in range(self.node_count) if f"n{n + 1}" not in side]
                self.network.partition([side + etcd, others])
            time.sleep(fault.duration)
            self.network.heal()

    def final_checks(self, client: Client) -> None:
        self.cluster.wait_until_writable(timeout=120)
        # Heal everything, then a second heal must find nothing left to repair.
        for attempt in range(2):
            result = run_admin(self.cluster.nodes[attempt % self.node_count], "heal", "--json", timeout=600)
            try:
                report = json.loads(result.stdout)
            except json.JSONDecodeError:
                self.problem(f"admin heal printed no JSON (exit {result.returncode}): {result.stderr[-500:]}")
                return
            self.log(f"heal {attempt + 1}: exit {result.returncode}, {json.dumps(report, sort_keys=True)[:300]}")
            if result.returncode != 0 or report.get("failures"):
                self.problem(f"admin heal {attempt + 1} failed: {report}")
            if attempt == 1 and (report.get("shardsHealed") or report.get("objectsHealed")):
                self.problem(f"a second heal still repaired something: {report}")
        # Every node reads every key (recorded: the checker holds them to the history), and lists.
        for node in range(self.node_count):
            for bucket, key in self.keys:
                client.perform("get", bucket, key, node)
                if bucket == VERSIONED_BUCKET:
                    client.perform("list-versions", bucket, key, node)
        listings = [self.listing(index) for index in range(self.node_count)]
        for index, listing in enumerate(listings[1:], start=2):
            if listing != listings[0]:
                self.problem(f"node {index} lists {listing}, node 1 lists {listings[0]}")

    def listing(self, index: int) -> dict:
        s3 = self.cluster.client(index)
        objects = {
            bucket: sorted((o["Key"], o["ETag"]) for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))
            for bucket in (PLAIN_BUCKET, VERSIONED_BUCKET)
        }
        versions = s3.list_object_versions(Bucket=VERSIONED_BUCKET)
        objects["versions"] = sorted(
            [(v["Key"], v["VersionId"], v["IsLatest"]) for v in versions.get("Versions", [])]
            + [(m["Key"], m["VersionId"], m["IsLatest"]) for m in versions.get("DeleteMarkers", [])])
        return objects

    def check_history(self) -> None:
        result = subprocess.run(
            [str(stowage_binary()), "check-history", str(self.result.history_path)],
            capture_output=True, text=True, timeout=600)
        self.result.check_output = result.stdout + result.stderr
        if result.returncode != 0:
            self.problem(f"stowage check-history exited {result.returncode}")


def run_chaos(
    folder: Path, seed: int, duration: float = 30, nodes: int = 4, etcd_members: int = 1, clients: int = 6, keys: int = 3,
    partitions: bool = False, drive_faults: bool = False, overlap: bool = False, network_faults: bool = False,
    frozen_drives: bool = False,
) -> ChaosResult:
    """One chaos run in `folder` (which keeps the logs and the history)."""
    return ChaosRun(
        folder, seed, duration, nodes, etcd_members, clients, keys, partitions, drive_faults, overlap, network_faults,
        frozen_drives,
    ).run()
