"""Erasure coding end to end: real servers on 4 drives (2 data + 2 parity) and 8 drives (4 + 4).

Specifies: objects of every storage shape (empty, 1 byte, inline at 64 KiB, just past inline, one
byte past a 1 MiB block, a 100 MiB multipart upload) read back exactly while parity-many drives have
lost their contents, have flipped bytes in their shard files, or have truncated shard files, both
with the fault injected under a running server and before a restart; `stowage admin heal` and,
separately, the background scanner put back every shard file (same names, same sizes) so that the
healed drives alone serve exact bytes; past the parity limit a GET fails with an S3 error and never
returns wrong bytes; and a write without write quorum fails with 503 and leaves no object behind.

Which drives get damaged is chosen from a seed printed in the output (STOWAGE_E2E_SEED replays it).
"""

from __future__ import annotations

import http.client
import os
import random
import shutil
import time
from pathlib import Path

import pytest
from botocore.exceptions import BotoCoreError, ClientError
from urllib3.exceptions import HTTPError as Urllib3Error

import raw_http
from e2e_support import (
    INLINE_LIMIT,
    MiB,
    admin_heal,
    assert_objects_exact,
    assert_range_exact,
    drive_states,
    error_code,
    http_status,
    make_client,
    metrics,
    put_objects,
    shard_digests,
    shard_inventory,
    wait_until,
    wipe_folder,
)

SHARD_HEADER_BYTES = 16
SIZES = {
    "empty": 0, "one-byte": 1, "inline-64k": INLINE_LIMIT, "past-inline": INLINE_LIMIT + 1, "block-plus-one": MiB + 1
}
LARGE_MULTIPART = {"multipart-100m": 100 * MiB}  # 7 parts of 16 MiB (the last 4 MiB)


def parity_for(drive_count: int) -> int:
    return drive_count // 2  # the default layout: 4 drives 2 + 2, 8 drives 4 + 4


def seeded_rng(*labels) -> random.Random:
    seed = int(os.environ.get("STOWAGE_E2E_SEED", time.time_ns() % 1_000_000))
    print(f"erasure test seed: {seed} (set STOWAGE_E2E_SEED={seed} to replay)")
    return random.Random("-".join(map(str, (seed, *labels))))


def start_erasure_node(start_server, tmp_path: Path, drive_count: int, *extra_args: str):
    """A server on `drive_count` new folders, named in expansion notation (`drive{1...N}`) that the
    server expands itself; drive health is checked every second. Returns (server, drive folders)."""
    drives = [tmp_path / f"drive{i}" for i in range(1, drive_count + 1)]
    server = start_server(
        drives=[tmp_path / f"drive{{1...{drive_count}}}"], extra_args=["--drive-check-interval", "1", *extra_args]
    )
    assert [d["path"] for d in drive_states(server)] == [str(d) for d in drives]
    return server, drives


def shard_files(drive: Path) -> list[Path]:
    return sorted(p for p in (drive / "shards").rglob("*") if p.is_file())


def damage(fault: str, drives: list[Path], rng: random.Random) -> int:
    """Injects `fault` into every shard file of `drives`: "wipe" deletes the drive folder's whole
    contents (format record, index, shards), "flip" XORs 1-3 bytes past the 16-byte header (block
    data or a CRC), "truncate" cuts each file to a random shorter length. Returns the files hit."""
    damaged = 0
    for drive in drives:
        files = shard_files(drive)
        damaged += len(files)
        if fault == "wipe":
            wipe_folder(drive)
            continue
        for path in files:
            size = path.stat().st_size
            if fault == "flip":
                with open(path, "r+b") as handle:
                    for offset in rng.sample(range(SHARD_HEADER_BYTES, size), k=rng.randint(1, 3)):
                        handle.seek(offset)
                        byte = handle.read(1)[0]
                        handle.seek(offset)
                        handle.write(bytes([byte ^ rng.randrange(1, 256)]))
            else:
                os.truncate(path, rng.randrange(0, size))
    return damaged


def shards_healed(server) -> float:
    return metrics(server)["stowage_heal_shards_healed_total"]


def settled_shards_healed(server, timeout: float = 30) -> float:
    """`shards_healed` once it is above zero and has not moved for a second (at most `timeout`)."""
    deadline = time.monotonic() + timeout
    last = shards_healed(server)
    while time.monotonic() < deadline:
        time.sleep(1)
        now = shards_healed(server)
        if now == last and now > 0:
            return now
        last = now
    return last


def inventory_problems(expected: dict, actual: dict) -> list[str]:
    """What differs between two shard inventories, drive by drive (empty when they are equal)."""
    problems = []
    for drive, files in expected.items():
        found = actual.get(drive, {})
        problems += [f"{drive}: missing {name}" for name in sorted(set(files) - set(found))]
        problems += [f"{drive}: unexpected {name}" for name in sorted(set(found) - set(files))]
        problems += [
            f"{drive}: {name} has {found[name]} bytes, expected {size}"
            for name, size in sorted(files.items()) if name in found and found[name] != size
        ]
    return problems


def assert_every_drive_holds_the_same_shards(inventory: dict, expected_files: int) -> None:
    """Every drive has one shard file per part of every non-inline object, and all drives agree."""
    first_drive, first = next(iter(inventory.items()))
    assert len(first) == expected_files, f"expected {expected_files} shard files per drive: {first}"
    for drive, layout in inventory.items():
        assert inventory_problems({drive: first}, {drive: layout}) == [], f"{drive} differs from {first_drive}"


def expected_shard_files(stored) -> int:
    return sum(item.multipart_parts or 1 for item in stored.values() if len(item.data) > INLINE_LIMIT)


def assert_reads_exact(s3, bucket: str, stored, context: str) -> None:
    """Every object exactly, plus ranged GETs across a 1 MiB block boundary and a part boundary."""
    assert_objects_exact(s3, bucket, stored, context)
    assert_range_exact(s3, bucket, stored["block-plus-one"], MiB - 5, MiB)
    big = stored.get("multipart-100m") or stored.get("multipart")
    assert_range_exact(s3, bucket, big, MiB - 1000, MiB + 999)
    assert_range_exact(s3, bucket, big, big.part_size - 1000, big.part_size + 999)


def assert_clean_second_heal(server) -> None:
    code, report = admin_heal(server)
    assert code == 0
    assert report["failures"] == []
    assert report["corruptionsFound"] == 0
    assert report["shardsHealed"] == 0
    assert report["recordsHealed"] == 0


def prove_healed_drives_serve(server, bucket: str, stored, drives: list[Path], healed: list[int], rng) -> None:
    """Wipes parity-many drives that were not healed (so the data can only come from the healed
    ones, wholly or through reconstruction) and GETs everything again: exact bytes."""
    others = [i for i in range(len(drives)) if i not in healed]
    wiped = sorted(rng.sample(others, parity_for(len(drives))))
    print(f"wiping drives {wiped} so that drives {healed} must serve the data")
    server.stop()
    for index in wiped:
        wipe_folder(drives[index])
    server.start()
    assert_reads_exact(make_client(server), bucket, stored, "served by the healed drives: ")


# --- Faults within parity: exact reads, then heal ---------------------------------------------------


@pytest.mark.parametrize("timing", ["running", "restart"])
@pytest.mark.parametrize("fault", ["wipe", "flip", "truncate"])
@pytest.mark.parametrize("drive_count", [4, 8])
def test_fault_on_parity_drives_reads_exact_and_heal_restores_every_shard(
    drive_count, fault, timing, start_server, tmp_path
):
    """Damages exactly parity-many drives ("running": under the live server, then restarts it;
    "restart": while it is stopped) and checks that every GET (and ranged GETs across block and
    part boundaries) is exact, that `admin heal` exits 0 having healed shards, that afterwards
    every drive has exactly the shard files and sizes it had before the fault, that a second heal
    finds nothing, and that the healed drives alone serve exact bytes."""
    rng = seeded_rng(drive_count, fault, timing)
    server, drives = start_erasure_node(start_server, tmp_path, drive_count)
    s3 = make_client(server)
    s3.create_bucket(Bucket="erasure")
    stored = put_objects(s3, "erasure", SIZES, LARGE_MULTIPART)
    before = shard_inventory(drives)
    digests = shard_digests(drives)
    assert_every_drive_holds_the_same_shards(before, expected_shard_files(stored))
    chosen = sorted(rng.sample(range(drive_count), parity_for(drive_count)))
    print(f"{fault} on drives {chosen} of {drive_count}, {timing}")

    healed_by_first_process = 0.0
    if timing == "running":
        damaged = damage(fault, [drives[i] for i in chosen], rng)
        assert_reads_exact(s3, "erasure", stored, "live after the fault: ")
        # The reads queued the damage for healing, which goes on in the background: count what this
        # process healed once it is done, not while it runs (a heal that finished between a count and
        # the restart was counted by neither process).
        healed_by_first_process = settled_shards_healed(server)
        server.restart()
    else:
        server.stop()
        damaged = damage(fault, [drives[i] for i in chosen], rng)
        server.start()
    assert damaged == len(chosen) * expected_shard_files(stored)
    assert_reads_exact(s3, "erasure", stored, "after the restart: ")

    code, report = admin_heal(server)
    assert code == 0, report
    assert report["failures"] == []
    healed = healed_by_first_process + shards_healed(server)
    print(f"{damaged} shard files damaged; shards healed (read repair, scanner, admin heal): {healed:.0f}")
    if timing == "restart":
        # One process saw every damaged file: each one must have been rewritten.
        assert healed >= damaged
    else:
        assert healed > 0
    assert inventory_problems(before, shard_inventory(drives)) == []
    # Rebuilt shards are byte for byte what was written (flipped bytes included).
    assert shard_digests(drives) == digests
    assert_clean_second_heal(server)
    prove_healed_drives_serve(server, "erasure", stored, drives, chosen, rng)


@pytest.mark.parametrize("drive_count", [2, 3])
def test_small_sets_with_one_parity_shard_survive_a_lost_drive(drive_count, start_server, tmp_path):
    """2 drives (1 data + 1 parity) and 3 drives (2 + 1): objects of every shape read back exactly,
    also after one drive's contents are gone (the one parity shard rebuilds them); `admin heal`
    restores that drive's shard files."""
    server, drives = start_erasure_node(start_server, tmp_path, drive_count)
    s3 = make_client(server)
    s3.create_bucket(Bucket="small-set")
    stored = put_objects(s3, "small-set", SIZES, {"multipart": 20 * MiB}, part_size=8 * MiB)
    assert_objects_exact(s3, "small-set", stored, "before: ")
    before = shard_inventory(drives)
    assert_every_drive_holds_the_same_shards(before, expected_shard_files(stored))
    server.stop()
    wipe_folder(drives[0])
    server.start()
    s3 = make_client(server)
    assert_objects_exact(s3, "small-set", stored, "one drive lost: ")
    assert_range_exact(s3, "small-set", stored["block-plus-one"], MiB - 5, MiB)
    code, report = admin_heal(server)
    assert code == 0 and report["failures"] == [], report
    assert inventory_problems(before, shard_inventory(drives)) == []


# --- Past the parity limit ------------------------------------------------------------------------


def raw_get(server, path: str) -> tuple[int, dict[str, str], bytes, bool]:
    """GET over http.client: status, headers, whatever body arrived, and whether it was complete."""
    headers = raw_http.signed_headers(server, "GET", path)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        chunks, complete = [], True
        try:
            while chunk := response.read(64 * 1024):
                chunks.append(chunk)
            complete = not response.length  # None (chunked, ended cleanly) or 0 left
        except http.client.IncompleteRead as partial:
            chunks.append(partial.partial)
            complete = False
        except OSError:
            complete = False
        return response.status, {k.lower(): v for k, v in response.getheaders()}, b"".join(chunks), complete
    finally:
        connection.close()


def assert_error_or_truncated_prefix(server, bucket: str, key: str, data: bytes) -> str:
    """A GET of an unrecoverable object is a 503 S3 error document, or (when the server had
    already sent 200) a body cut short that is a prefix of the original. Returns which happened."""
    status, headers, body, complete = raw_get(server, raw_http.object_path(bucket, key))
    if status != 200:
        assert status == 503, (status, body[:500])
        assert headers.get("content-type", "").startswith("application/xml")
        response = raw_http.RawResponse(status, headers, body)
        assert response.error()["Code"] == "ServiceUnavailable", body[:500]
        return "503 ServiceUnavailable"
    assert not complete, "200 with a complete body from data damaged past parity"
    assert len(body) < len(data) and data.startswith(body), "the partial body is not a prefix of the original"
    return f"200, body aborted after {len(body)} of {len(data)} bytes"


@pytest.mark.parametrize("where", ["missing-shards", "first-block", "last-block"])
@pytest.mark.parametrize("drive_count", [4, 8])
def test_damage_past_parity_gives_an_error_never_wrong_bytes(drive_count, where, start_server, tmp_path):
    """Deletes one object's shard files, or flips a byte in their first or last block, on parity + 1
    drives: its GET never returns wrong bytes: a 503 ServiceUnavailable XML error, or (only when
    the damage is in the last block, after earlier blocks were sent) a 200 whose body is aborted
    short as a prefix of the original. boto3 raises instead of returning bytes, a range of
    undamaged blocks still reads exactly, other objects are unaffected, and `admin heal` exits
    non-zero naming the object without making it readable with wrong bytes."""
    rng = seeded_rng(drive_count, where)
    server, drives = start_erasure_node(start_server, tmp_path, drive_count)
    s3 = make_client(server)
    s3.create_bucket(Bucket="past-parity")
    victim = put_objects(s3, "past-parity", {"victim": 6 * MiB + 300 * 1024})["victim"]
    victim_files = {d: shard_files(d) for d in drives}
    assert all(len(files) == 1 for files in victim_files.values())
    others = put_objects(s3, "past-parity", {"small": 100, "large": 3 * MiB + 7})
    chosen = sorted(rng.sample(range(drive_count), parity_for(drive_count) + 1))
    print(f"damaging the victim's shard files ({where}) on drives {chosen}")
    tail_block = -(-(300 * 1024) // (drive_count - parity_for(drive_count))) + 4  # its bytes in each shard file
    for index in chosen:
        path = victim_files[drives[index]][0]
        if where == "missing-shards":
            path.unlink()
            continue
        size = path.stat().st_size
        if where == "first-block":
            offset = rng.randrange(SHARD_HEADER_BYTES, 1000)
        else:
            offset = rng.randrange(size - tail_block, size)
        with open(path, "r+b") as handle:
            handle.seek(offset)
            byte = handle.read(1)[0]
            handle.seek(offset)
            handle.write(bytes([byte ^ 0x5A]))

    first_outcome = assert_error_or_truncated_prefix(server, "past-parity", "victim", victim.data)
    print(f"GET past parity ({where}): {first_outcome}")
    with pytest.raises((ClientError, BotoCoreError, Urllib3Error)):
        body = s3.get_object(Bucket="past-parity", Key="victim")["Body"].read()
        print(f"boto3 got {len(body)} bytes, sha256 match: {body == victim.data}")
    if where != "missing-shards":
        undamaged = (2 * MiB, 3 * MiB + 10) if where == "first-block" else (0, MiB + 10)
        assert_range_exact(s3, "past-parity", victim, *undamaged)
    assert s3.head_object(Bucket="past-parity", Key="victim")["ContentLength"] == len(victim.data)
    assert_objects_exact(s3, "past-parity", others)

    code, report = admin_heal(server)
    assert code != 0
    assert any("victim" in failure for failure in report["failures"]), report
    outcome = assert_error_or_truncated_prefix(server, "past-parity", "victim", victim.data)
    print(f"GET after the failed heal: {outcome}")
    assert_objects_exact(s3, "past-parity", others)
    if where != "last-block":
        # The first block (or the shard files) is unusable before a single byte is due, so the
        # server can, and must, answer with the S3 error rather than a 200 it cannot honour.
        assert first_outcome == "503 ServiceUnavailable"


# --- Background scanner -----------------------------------------------------------------------------


@pytest.mark.parametrize(("drive_count", "fault"), [(4, "flip"), (8, "truncate")])
def test_background_scanner_finds_and_heals_damaged_shards(drive_count, fault, start_server, tmp_path):
    """With a 2 s scanner interval, shards damaged on parity-many drives (never read by a client)
    are healed by the scanner alone: the heal counter reaches the number of damaged files within
    60 s, every drive then holds its shard files again, `admin heal` finds nothing to do, and the
    healed drives alone serve exact bytes."""
    rng = seeded_rng(drive_count, fault, "scanner")
    server, drives = start_erasure_node(
        start_server, tmp_path, drive_count, "--scanner-interval", "2", "--scanner-rate", "1000"
    )
    s3 = make_client(server)
    s3.create_bucket(Bucket="scanned")
    stored = put_objects(s3, "scanned", SIZES, {"multipart": 24 * MiB}, part_size=8 * MiB)
    before = shard_inventory(drives)
    digests = shard_digests(drives)
    assert_every_drive_holds_the_same_shards(before, expected_shard_files(stored))
    chosen = sorted(rng.sample(range(drive_count), parity_for(drive_count)))
    print(f"{fault} on drives {chosen} of {drive_count}; waiting for the scanner")
    start = metrics(server)
    damaged = damage(fault, [drives[i] for i in chosen], rng)

    healed = wait_until(
        lambda: (m := metrics(server))["stowage_heal_shards_healed_total"] - start["stowage_heal_shards_healed_total"]
        >= damaged and m,
        timeout=60, what=f"the scanner to heal {damaged} shard files", interval=0.5,
    )
    print({k: v for k, v in healed.items() if k.startswith(("stowage_scanner", "stowage_heal", "stowage_corr"))})
    assert healed["stowage_scanner_passes_total"] > start["stowage_scanner_passes_total"]
    assert healed["stowage_corruptions_found_total"] > start["stowage_corruptions_found_total"]
    assert inventory_problems(before, shard_inventory(drives)) == []
    assert shard_digests(drives) == digests
    code, report = admin_heal(server)
    assert code == 0
    assert report["corruptionsFound"] == 0 and report["shardsHealed"] == 0 and report["failures"] == []
    prove_healed_drives_serve(server, "scanned", stored, drives, chosen, rng)


# --- Write quorum -----------------------------------------------------------------------------------


def multipart_put(s3, bucket: str, key: str, data: bytes) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=data)["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )


@pytest.mark.parametrize("drive_count", [4, 8])
def test_write_without_write_quorum_fails_cleanly(drive_count, start_server, tmp_path):
    """With parity-many drives replaced by plain files while running (one short of write quorum:
    3 of 4 and 5 of 8 are needed), PUTs of inline, large and multipart objects fail with 503
    ServiceUnavailable (not 507: no drive is full), leave no object, listing entry or shard file behind, and earlier
    objects still read exactly; once empty folders are put back the drives come online, writes
    succeed again and a heal brings every drive to the same shard files."""
    rng = seeded_rng(drive_count, "quorum")
    server, drives = start_erasure_node(start_server, tmp_path, drive_count)
    s3 = make_client(server)
    s3.create_bucket(Bucket="quorum")
    stored = put_objects(s3, "quorum", {"small": 10, "large": 2 * MiB + 1})
    chosen = sorted(rng.sample(range(drive_count), parity_for(drive_count)))
    print(f"replacing drives {chosen} of {drive_count} with plain files")
    for index in chosen:
        shutil.rmtree(drives[index])
        drives[index].write_text("not a drive")
    wait_until(
        lambda: [d["state"] for d in drive_states(server)]
        == ["offline" if i in chosen else "online" for i in range(drive_count)],
        timeout=15, what=f"drives {chosen} to go offline",
    )
    survivors = [d for i, d in enumerate(drives) if i not in chosen]
    inventory = shard_inventory(survivors)

    attempts = {
        "new-small": lambda: s3.put_object(Bucket="quorum", Key="new-small", Body=b"x" * 100),
        "new-large": lambda: s3.put_object(Bucket="quorum", Key="new-large", Body=os.urandom(3 * MiB)),
        "new-multipart": lambda: multipart_put(s3, "quorum", "new-multipart", os.urandom(5 * MiB + 1)),
        "small": lambda: s3.put_object(Bucket="quorum", Key="small", Body=b"overwrite"),
    }
    for key, attempt in attempts.items():
        with pytest.raises(ClientError) as failure:
            attempt()
        print(f"{key}: {http_status(failure.value)} {error_code(failure.value)}")
        # The surviving drives have plenty of room: this is a quorum failure, not a full disk.
        assert (http_status(failure.value), error_code(failure.value)) == (503, "ServiceUnavailable")
    for key in ("new-small", "new-large", "new-multipart"):
        with pytest.raises(ClientError) as missing:
            s3.head_object(Bucket="quorum", Key=key)
        assert http_status(missing.value) == 404
    listed = [item["Key"] for item in s3.list_objects_v2(Bucket="quorum").get("Contents", [])]
    assert listed == ["large", "small"]
    assert_objects_exact(s3, "quorum", stored, "without write quorum: ")
    assert inventory_problems(inventory, shard_inventory(survivors)) == []

    for index in chosen:
        drives[index].unlink()
        drives[index].mkdir()
    wait_until(
        lambda: all(d["state"] == "online" for d in drive_states(server)), timeout=15, what="the drives to come back"
    )
    stored |= put_objects(s3, "quorum", {"after": 2 * MiB + 3})
    code, report = admin_heal(server)
    assert code == 0 and report["failures"] == []
    assert_every_drive_holds_the_same_shards(shard_inventory(drives), 2)
    assert_objects_exact(s3, "quorum", stored, "after the drives came back: ")
