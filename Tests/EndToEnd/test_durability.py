"""Durability under crashes, a full drive, and memory bounds while streaming.

Specifies: (a) after SIGKILL mid-traffic and a restart, every acknowledged PUT is readable with
exactly its bytes and no torn object is visible; (b) on a full drive writes fail with 507
InsufficientStorage while reads and deletes keep working, and writes succeed again after
deletions; (c) a large streamed upload and download keep the server's memory growth bounded.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import struct
import subprocess
import threading
import time
from dataclasses import dataclass, field

import pytest
from botocore.exceptions import BotoCoreError, ClientError

import raw_http
from e2e_support import drive_states, error_code, http_status, make_client

MiB = 1024 * 1024


# --- (a) Crash consistency -------------------------------------------------------------------------


@dataclass
class KeyHistory:
    """What a key may legally hold after a crash: its last acknowledged value, or any value attempted after it."""

    acknowledged: str | None = None
    attempted_since: set[str] = field(default_factory=set)

    def allowed(self) -> set[str | None]:
        return {self.acknowledged} | self.attempted_since


def random_payload(rng: random.Random) -> tuple[str, list[bytes]]:
    """A kind of upload and its parts: small, over 1 MiB, or multipart (5 MiB + tail)."""
    kind = rng.choice(["small", "small", "large", "multipart"])
    if kind == "small":
        return kind, [os.urandom(rng.randrange(1, 64 * 1024))]
    if kind == "large":
        return kind, [os.urandom(rng.randrange(MiB + 1, 3 * MiB))]
    return kind, [os.urandom(5 * MiB), os.urandom(rng.randrange(1, MiB))]


def upload(s3, bucket: str, key: str, kind: str, parts: list[bytes]) -> None:
    if kind != "multipart":
        s3.put_object(Bucket=bucket, Key=key, Body=parts[0])
        return
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    completed = []
    for number, data in enumerate(parts, start=1):
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data)["ETag"]
        completed.append({"PartNumber": number, "ETag": etag})
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": completed})


def writer(s3, bucket: str, thread_id: int, seed: int, histories: dict[str, KeyHistory], lock, stop) -> None:
    """Overwrites its own few keys sequentially until the server dies or `stop` is set."""
    rng = random.Random(seed * 1000 + thread_id)
    while not stop.is_set():
        key = f"writer-{thread_id}/key-{rng.randrange(4)}"
        kind, parts = random_payload(rng)
        digest = hashlib.md5(b"".join(parts)).hexdigest()
        with lock:
            histories.setdefault(key, KeyHistory()).attempted_since.add(digest)
        try:
            upload(s3, bucket, key, kind, parts)
        except (ClientError, BotoCoreError, OSError):
            return  # the server was killed under us; this attempt stays unacknowledged
        with lock:
            history = histories[key]
            history.acknowledged = digest
            history.attempted_since.clear()


def test_acknowledged_writes_survive_sigkill_and_no_torn_object_is_visible(start_server):
    seed = int(os.environ.get("STOWAGE_E2E_SEED", time.time()))
    print(f"crash test seed: {seed} (set STOWAGE_E2E_SEED to replay)")
    rng = random.Random(seed)
    server = start_server()
    bucket = "crash-consistency"
    make_client(server).create_bucket(Bucket=bucket)
    histories: dict[str, KeyHistory] = {}
    total_acknowledged = 0

    for round_number in range(3):
        s3 = make_client(server, connect_timeout=5, read_timeout=30)
        lock, stop = threading.Lock(), threading.Event()
        threads = [
            threading.Thread(target=writer, args=(s3, bucket, t, seed + round_number, histories, lock, stop))
            for t in range(4)
        ]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(0.5, 2.5))
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
            assert not thread.is_alive(), "a writer hung after the server was killed"

        server.start()
        s3 = make_client(server)
        listed = {
            item["Key"]: item["Size"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for item in page.get("Contents", [])
        }
        assert set(listed) <= set(histories), f"unexpected keys after crash: {set(listed) - set(histories)}"
        for key, history in sorted(histories.items()):
            if key in listed:
                body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                assert len(body) == listed[key], f"{key}: listing size disagrees with the bytes"
                observed = hashlib.md5(body).hexdigest()
            else:
                observed = None
            assert observed in history.allowed(), (
                f"round {round_number}, {key}: holds {observed}, expected the acknowledged "
                f"{history.acknowledged} or one of the in-flight {sorted(history.attempted_since)}"
            )
            if history.acknowledged is not None:
                total_acknowledged += 1
            histories[key] = KeyHistory(acknowledged=observed)
        print(f"round {round_number}: {len(listed)} objects verified after SIGKILL")

    assert total_acknowledged > 0, "no upload was acknowledged before the kills; the test proved nothing"


# --- (b) Full drive --------------------------------------------------------------------------------


@pytest.fixture
def small_tmpfs(tmp_path):
    mount_point = tmp_path / "tmpfs"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a 64 MiB tmpfs here: {result.stderr.strip()}")
    yield mount_point
    # The server using it has been stopped by start_server's teardown, which runs before this one.
    subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def test_full_drive_rejects_writes_with_507_and_recovers_after_deletes(small_tmpfs, start_server):
    """A single folder filled past its reserve refuses writes with 507 InsufficientStorage; reads
    and deletes keep working, also after the drive monitor has checked the drive a few times (a
    full drive is not a broken one), and deletes make room for new writes."""
    server = start_server(data_dir=small_tmpfs / "data", extra_args=["--drive-check-interval", "1"])
    s3 = make_client(server)
    s3.create_bucket(Bucket="full-drive")
    stored: dict[str, bytes] = {}
    failure = None
    for i in range(100):  # 100 MiB into a 64 MiB drive must fail before the loop ends
        data = os.urandom(MiB)
        try:
            s3.put_object(Bucket="full-drive", Key=f"fill-{i:03d}", Body=data)
        except ClientError as error:
            failure = error
            break
        stored[f"fill-{i:03d}"] = data
    assert failure is not None, "the drive never reported being full"
    assert http_status(failure) == 507
    assert error_code(failure) == "InsufficientStorage"
    assert len(stored) >= 10, f"only {len(stored)} MiB fit on a 64 MiB drive"
    print(f"drive full after {len(stored)} MiB")
    time.sleep(3)  # several drive checks
    assert [d["state"] for d in drive_states(server)] == ["online"]

    # Reads of earlier objects still return the right bytes.
    for key in list(stored)[:: max(1, len(stored) // 8)]:
        assert s3.get_object(Bucket="full-drive", Key=key)["Body"].read() == stored[key]
    # The failed object is not visible.
    assert len(s3.list_objects_v2(Bucket="full-drive")["Contents"]) == len(stored)

    # Deletes work on a full drive, and free room for new writes.
    for key in list(stored)[:8]:
        assert s3.delete_object(Bucket="full-drive", Key=key)["ResponseMetadata"]["HTTPStatusCode"] == 204
        del stored[key]
    fresh = os.urandom(MiB)
    s3.put_object(Bucket="full-drive", Key="after-delete", Body=fresh)
    assert s3.get_object(Bucket="full-drive", Key="after-delete")["Body"].read() == fresh
    remaining = {item["Key"] for item in s3.list_objects_v2(Bucket="full-drive")["Contents"]}
    assert remaining == set(stored) | {"after-delete"}


# --- (c) Bounded memory ----------------------------------------------------------------------------

BIG_UPLOAD_BYTES = int(os.environ.get("STOWAGE_BIG_UPLOAD_BYTES", 1024 * MiB))
MEMORY_GROWTH_LIMIT_KIB = 100 * 1024


class PatternStream:
    """`size` pseudo-random bytes made on the fly from a 1 MiB block and a chunk counter; never held whole."""

    CHUNK = MiB

    def __init__(self, size: int, seed: int = 7) -> None:
        self.size = size
        self.block = random.Random(seed).randbytes(self.CHUNK)

    def chunks(self):
        offset, index = 0, 0
        while offset < self.size:
            chunk = struct.pack(">Q", index) + self.block[8:]
            chunk = chunk[: self.size - offset]
            yield chunk
            offset += len(chunk)
            index += 1


class MemorySampler(threading.Thread):
    """Samples the server's VmRSS every 50 ms and remembers the peak."""

    def __init__(self, server) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.peak_kib = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            try:
                self.peak_kib = max(self.peak_kib, self.server.status_kib("VmRSS"))
            except (OSError, KeyError, AssertionError):
                return
            time.sleep(0.05)

    def stop(self) -> int:
        self.running = False
        self.join()
        return self.peak_kib


def measure_growth(server, work) -> int:
    """Runs `work()` and returns the server's peak RSS growth over the baseline, in KiB."""
    baseline = server.status_kib("VmRSS")
    hwm_before = server.status_kib("VmHWM")
    sampler = MemorySampler(server)
    sampler.start()
    try:
        work()
    finally:
        peak = sampler.stop()
    hwm_after = server.status_kib("VmHWM")
    if hwm_after > hwm_before:  # the high-water mark moved during the work, so it is a true peak
        peak = max(peak, hwm_after)
    return max(0, peak - baseline)


def test_streaming_a_large_object_in_and_out_keeps_memory_bounded(start_server, tmp_path):
    free = shutil.disk_usage(tmp_path).free
    if free < BIG_UPLOAD_BYTES * 2:
        pytest.skip(f"needs {2 * BIG_UPLOAD_BYTES} bytes free, has {free}")
    server = start_server()
    s3 = make_client(server, read_timeout=600)
    s3.create_bucket(Bucket="big")
    s3.put_object(Bucket="big", Key="warm-up", Body=os.urandom(MiB))
    stream = PatternStream(BIG_UPLOAD_BYTES)
    sent_md5 = hashlib.md5()
    responses: list[raw_http.RawResponse] = []

    def put_streaming() -> None:
        path = raw_http.object_path("big", "streamed.bin")
        headers = raw_http.signed_headers(
            server, "PUT", path,
            headers={"Content-Length": str(BIG_UPLOAD_BYTES)}, payload_hash=raw_http.UNSIGNED_PAYLOAD,
        )
        with raw_http.open_socket(server, timeout=600) as sock:
            sock.sendall(raw_http.request_head_bytes(server, "PUT", path, headers))
            for chunk in stream.chunks():
                sent_md5.update(chunk)
                sock.sendall(chunk)
            reply = sock.makefile("rb")
            status_line = reply.readline()
            responses.append(raw_http.RawResponse(int(status_line.split()[1]), {}, status_line))

    started = time.monotonic()
    upload_growth = measure_growth(server, put_streaming)
    upload_seconds = time.monotonic() - started
    assert responses and responses[0].status == 200, responses
    head = s3.head_object(Bucket="big", Key="streamed.bin")
    assert head["ContentLength"] == BIG_UPLOAD_BYTES
    assert head["ETag"] == f'"{sent_md5.hexdigest()}"'

    received_md5 = hashlib.md5()
    received = [0]

    def get_streaming() -> None:
        body = s3.get_object(Bucket="big", Key="streamed.bin")["Body"]
        for chunk in body.iter_chunks(MiB):
            received_md5.update(chunk)
            received[0] += len(chunk)

    started = time.monotonic()
    download_growth = measure_growth(server, get_streaming)
    download_seconds = time.monotonic() - started
    print(
        f"{BIG_UPLOAD_BYTES} bytes: upload {upload_seconds:.1f}s, peak RSS growth {upload_growth / 1024:.1f} MiB; "
        f"download {download_seconds:.1f}s, peak RSS growth {download_growth / 1024:.1f} MiB"
    )
    assert received[0] == BIG_UPLOAD_BYTES
    assert received_md5.hexdigest() == sent_md5.hexdigest()
    assert upload_growth < MEMORY_GROWTH_LIMIT_KIB, f"upload grew RSS by {upload_growth / 1024:.1f} MiB"
    assert download_growth < MEMORY_GROWTH_LIMIT_KIB, f"download grew RSS by {download_growth / 1024:.1f} MiB"
