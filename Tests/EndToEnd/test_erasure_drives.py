"""Erasure-coded drives going bad and coming back, end to end, on a real 4-drive (2 + 2) server.

Specifies: a drive that turns read-only or fills up is taken offline within seconds (with the
reason in `stowage admin status`) while reads stay exact and writes keep succeeding on the other
three, comes back online when it recovers, and is refilled by `stowage admin heal`; drives given in
the wrong order stop the server from starting; a drive from another deployment, a missing folder, a
folder with files but no format record and an unreadable format record are taken offline with a
reason (and left untouched) while the server serves from the rest; an empty folder in a slot, at
startup or while running, is adopted and healed until it holds every shard again.
"""

from __future__ import annotations

import concurrent.futures
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from drive_faults import fill, mounts  # noqa: F401 (a fixture)
from e2e_support import (
    MiB,
    admin_heal,
    assert_objects_exact,
    drive_states,
    make_client,
    metrics,
    put_objects,
    root_env,
    shard_inventory,
    wait_until,
)
from stowage_process import StowageServer
from test_erasure import (
    SIZES,
    assert_clean_second_heal,
    assert_every_drive_holds_the_same_shards,
    assert_reads_exact,
    expected_shard_files,
    inventory_problems,
    prove_healed_drives_serve,
    seeded_rng,
)

CHECK_EVERY_SECOND = ["--drive-check-interval", "1"]


def wait_for_state(server, index: int, state: str, timeout: float = 15) -> dict:
    return wait_until(
        lambda: (drive := drive_states(server)[index])["state"] == state and drive,
        timeout, f"drive {index} to be {state}",
    )


def start_explicit(start_server, drives: list[Path]):
    return start_server(drives=drives, extra_args=CHECK_EVERY_SECOND)


# --- (d) A read-only or full drive ------------------------------------------------------------------


@pytest.mark.parametrize("condition", ["read-only", "full"])
def test_read_only_or_full_drive_goes_offline_writes_continue_and_heal_refills_it(
    condition, mounts, start_server, tmp_path
):
    """Drive 1 of 4 lives on a 64 MiB tmpfs. Made read-only (or filled up with a file next to it),
    it is shown offline within seconds, with a reason naming the condition, and counted in
    `stowage_drives_offline`; every GET stays exact and PUTs succeed on the other 3 drives. After a
    restart it is still offline and every GET still exact. Made writable again (or the filler
    deleted), it comes back online; `admin heal` then writes the records and shards it missed,
    every drive holds the same shard files, a second heal finds nothing, and drive 1 with one
    other drive serves exact bytes."""
    rng = seeded_rng(condition)
    small = mounts.tmpfs(tmp_path / "small")
    drives = [small / "drive1"] + [tmp_path / f"drive{i}" for i in range(2, 5)]
    server = start_explicit(start_server, drives)
    s3 = make_client(server)
    s3.create_bucket(Bucket="condition")
    stored = put_objects(s3, "condition", SIZES, {"multipart": 20 * MiB}, part_size=5 * MiB)
    assert_every_drive_holds_the_same_shards(shard_inventory(drives), expected_shard_files(stored))

    if condition == "read-only":
        mounts.set_read_only(drives[0], True)
    else:
        print(f"filler: {fill(small / 'filler') / MiB:.1f} MiB")
    offline = wait_for_state(server, 0, "offline")
    print(f"drive 1 {condition}: offline, reason: {offline['reason']}")
    expected_words = ("read-only", "readonly") if condition == "read-only" else ("full", "reserve")
    assert any(word in (offline["reason"] or "").lower() for word in expected_words), offline
    assert [d["state"] for d in drive_states(server)[1:]] == ["online"] * 3
    assert metrics(server)["stowage_drives_offline"] == 1

    assert_reads_exact(s3, "condition", stored, f"drive 1 {condition}: ")
    stored |= put_objects(s3, "condition", {"while-offline-small": 500, "while-offline-large": 2 * MiB + 9})
    assert_objects_exact(s3, "condition", stored, f"written while drive 1 was {condition}: ")
    server.restart()
    restarted = drive_states(server)[0]
    print(f"after a restart, drive 1 still {condition}: {restarted}")
    assert restarted["state"] == "offline"
    assert_reads_exact(s3, "condition", stored, f"after a restart, drive 1 {condition}: ")

    if condition == "read-only":
        mounts.set_read_only(drives[0], False)
    else:
        (small / "filler").unlink()
    wait_for_state(server, 0, "online")
    code, report = admin_heal(server)
    assert code == 0 and report["failures"] == []
    counters = metrics(server)
    # Drive 1 missed both new records and the new large object's shard file.
    assert counters["stowage_heal_records_healed_total"] >= 2
    assert counters["stowage_heal_shards_healed_total"] >= 1
    assert counters["stowage_drives_offline"] == 0
    assert_every_drive_holds_the_same_shards(shard_inventory(drives), expected_shard_files(stored))
    assert_clean_second_heal(server)
    prove_healed_drives_serve(server, "condition", stored, drives, [0], rng)


def test_a_drive_that_hangs_fails_its_calls_at_the_deadline_and_goes_offline(mounts, start_server, tmp_path):
    """Drive 4 of 4 lives on a loop-mounted ext4 that `fsfreeze` makes hang: every write to it blocks in the
    kernel. Before per-call deadlines every PUT, overwrite and listing of the node waited with it (over 30 s
    measured, until the thaw), though three drives held a quorum. With `--drive-timeout 2` the first requests
    wait at most about the deadline, the drive is shown offline with a reason naming it, and everything after
    answers at once; thawed, it comes back online and a heal writes what it missed."""
    drives = [tmp_path / f"drive{i}" for i in range(1, 4)] + [mounts.ext4(tmp_path / "hangs", tmp_path / "hangs.img") / "drive4"]
    server = start_server(drives=drives, extra_args=CHECK_EVERY_SECOND + ["--drive-timeout", "2"])
    s3 = make_client(server, read_timeout=60, max_pool_connections=32)
    s3.create_bucket(Bucket="hangs")
    stored = put_objects(s3, "hangs", {"before-small": 700, "before-large": 3 * MiB + 5})
    mounts.freeze(drives[3].parent, True)
    try:
        started = time.monotonic()
        # 24 writers at once: more calls to the hung drive than it has threads. Its calls must not hold up
        # the other drives' (each drive has threads of its own), so those stay online and every write succeeds.
        with concurrent.futures.ThreadPoolExecutor(24) as writers:
            batches = list(writers.map(
                lambda n: put_objects(s3, "hangs", {f"during-{n}-small": 900 + n, f"during-{n}-large": 300_000 + n}), range(24)))
        for batch in batches:
            stored |= batch
        listed = s3.list_objects_v2(Bucket="hangs")["Contents"]
        first = time.monotonic() - started
        print(f"first writes and a listing with drive 4 hung: {first:.1f} s")
        assert sorted(o["Key"] for o in listed) == sorted(stored)
        offline = wait_for_state(server, 3, "offline")
        assert "did not answer within" in (offline["reason"] or ""), offline
        assert [d["state"] for d in drive_states(server)[:3]] == ["online"] * 3
        started = time.monotonic()
        stored |= put_objects(s3, "hangs", {"later-small": 300})
        assert_objects_exact(s3, "hangs", stored, "with drive 4 hung and offline: ")
        later = time.monotonic() - started
        print(f"later writes and reads: {later:.1f} s")
        # No request waits on the hung drive once it is offline (the deadline is 2 s; a generous bound).
        assert later < 10, later
        assert first < 30, first
    finally:
        mounts.freeze(drives[3].parent, False)
    wait_for_state(server, 3, "online")
    code, report = admin_heal(server)
    assert code == 0 and report["failures"] == []
    assert_clean_second_heal(server)
    assert_objects_exact(s3, "hangs", stored, "after the thaw and a heal: ")


# --- Drive identity ---------------------------------------------------------------------------------


def test_drives_in_the_wrong_order_refuse_to_start(start_server, tmp_path):
    """Restarted with its first two drives swapped on the command line, the server exits non-zero
    saying the drives are in the wrong order (and naming them), without serving; started again in
    the right order it serves the objects exactly."""
    drives = [tmp_path / f"drive{i}" for i in range(1, 5)]
    server = start_explicit(start_server, drives)
    s3 = make_client(server)
    s3.create_bucket(Bucket="order")
    stored = put_objects(s3, "order", {"small": 10, "large": 2 * MiB + 1})
    server.stop()

    swapped = StowageServer(
        tmp_path / "unused", tmp_path / "swapped.log", server.access_key, server.secret_key, port=server.port,
        drives=[drives[1], drives[0], *drives[2:]], extra_args=CHECK_EVERY_SECOND,
    )
    result = subprocess.run(
        swapped.command(), env=root_env(server), capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
    )
    output = result.stdout + result.stderr
    print(output)
    assert result.returncode != 0
    assert "drives are in the wrong order" in output
    assert str(drives[0]) in output and str(drives[1]) in output

    server.start()
    assert [d["state"] for d in drive_states(server)] == ["online"] * 4
    assert_objects_exact(s3, "order", stored)


def test_foreign_drive_is_left_untouched_and_an_empty_folder_in_its_place_is_adopted(start_server, tmp_path):
    """A drive copied from another deployment into slot 3 keeps the server starting, shows offline
    with a reason saying "foreign", is never written to (not by the drive monitor, not by heal),
    and reads and writes go on with the other 3. Replacing it by an empty folder while the server
    runs gets that folder formatted and online, and a heal gives it every shard."""
    rng = seeded_rng("foreign")
    other = start_explicit(start_server, [tmp_path / "other" / f"drive{i}" for i in range(1, 5)])
    make_client(other).create_bucket(Bucket="other")
    put_objects(make_client(other), "other", {"theirs": 3 * MiB})
    other.stop()

    drives = [tmp_path / f"drive{i}" for i in range(1, 5)]
    server = start_explicit(start_server, drives)
    s3 = make_client(server)
    s3.create_bucket(Bucket="ours")
    stored = put_objects(s3, "ours", SIZES, {"multipart": 12 * MiB}, part_size=5 * MiB)
    server.stop()
    shutil.rmtree(drives[2])
    shutil.copytree(tmp_path / "other" / "drive3", drives[2])
    foreign_files = {p.relative_to(drives[2]): p.read_bytes() for p in drives[2].rglob("*") if p.is_file()}

    server.start()
    states = drive_states(server)
    print(f"drive 3: {states[2]}")
    assert states[2]["state"] == "offline" and "foreign" in (states[2]["reason"] or "")
    assert [states[i]["state"] for i in (0, 1, 3)] == ["online"] * 3
    assert_reads_exact(s3, "ours", stored, "with a foreign drive in slot 3: ")
    stored |= put_objects(s3, "ours", {"with-foreign": 2 * MiB + 5})
    code, report = admin_heal(server)  # it must not touch the foreign drive
    assert code == 0 and report["drivesRestored"] == [], report
    time.sleep(3)  # three drive-monitor checks: the foreign drive stays offline and untouched
    state = drive_states(server)[2]
    assert state["state"] == "offline" and "foreign" in (state["reason"] or ""), state
    assert metrics(server)["stowage_drives_offline"] == 1
    after = {p.relative_to(drives[2]): p.read_bytes() for p in drives[2].rglob("*") if p.is_file()}
    assert after.keys() == foreign_files.keys() and after == foreign_files, "the foreign drive was modified"

    shutil.rmtree(drives[2])
    drives[2].mkdir()
    wait_for_state(server, 2, "online")
    code, report = admin_heal(server)
    assert code == 0 and report["failures"] == []
    assert_every_drive_holds_the_same_shards(shard_inventory(drives), expected_shard_files(stored))
    assert_clean_second_heal(server)
    prove_healed_drives_serve(server, "ours", stored, drives, [2], rng)


def test_empty_folder_replacing_a_drive_while_stopped_is_adopted_and_healed(start_server, tmp_path):
    """A drive folder replaced by a new empty folder while the server is stopped is formatted at
    startup and online; heal (the one the adoption starts, and `admin heal`) rewrites each of its
    shard files, after which it holds exactly the shard files it had, and with one other drive
    serves exact bytes."""
    rng = seeded_rng("replaced")
    drives = [tmp_path / f"drive{i}" for i in range(1, 5)]
    server = start_explicit(start_server, drives)
    s3 = make_client(server)
    s3.create_bucket(Bucket="replaced")
    stored = put_objects(s3, "replaced", SIZES, {"multipart": 12 * MiB}, part_size=5 * MiB)
    before = shard_inventory(drives)
    replaced = rng.randrange(4)
    print(f"replacing drive {replaced + 1} with an empty folder")
    server.stop()
    shutil.rmtree(drives[replaced])
    drives[replaced].mkdir()

    server.start()
    assert [d["state"] for d in drive_states(server)] == ["online"] * 4
    code, report = admin_heal(server)
    assert code == 0 and report["failures"] == []
    # The replaced drive got every one of its shard files back (from the heal the adoption started,
    # or from this one).
    healed = metrics(server)["stowage_heal_shards_healed_total"]
    assert healed >= len(before[str(drives[replaced])]), f"only {healed} shards healed"
    assert inventory_problems(before, shard_inventory(drives)) == []
    assert_clean_second_heal(server)
    prove_healed_drives_serve(server, "replaced", stored, drives, [replaced], rng)


def break_folder(folder: Path, how: str) -> str:
    """Damages a stopped drive folder; returns a word the offline reason must contain."""
    if how == "missing":
        shutil.rmtree(folder)
        return "missing"
    if how == "files-without-format":
        shutil.rmtree(folder)
        folder.mkdir()
        (folder / "notes.txt").write_text("someone else's files")
        return "no stowage format record"
    if how == "corrupt-index":
        # The format record is intact; the metadata index is not a database any more.
        for name in ("index.sqlite-wal", "index.sqlite-shm"):
            (folder / name).unlink(missing_ok=True)
        (folder / "index.sqlite").write_bytes(b"\x00garbage, not SQLite" * 400)
        return "not a database"
    (folder / "stowage.format").write_text("{ this is not a format record")
    return "unreadable"


@pytest.mark.parametrize("how", ["missing", "files-without-format", "garbled-format", "corrupt-index"])
def test_unusable_drive_folder_is_offline_with_a_reason_until_emptied(how, start_server, tmp_path):
    """A drive folder that is missing, holds files but no format record, has an unreadable
    format record, or whose metadata index is corrupt is offline at startup with a reason saying so (the server starts on the other
    3 and serves exactly); the folder is not reformatted behind the user's back. Once it is made
    empty while the server runs, it is adopted within seconds and a heal refills it."""
    rng = seeded_rng(how)
    drives = [tmp_path / f"drive{i}" for i in range(1, 5)]
    server = start_explicit(start_server, drives)
    s3 = make_client(server)
    s3.create_bucket(Bucket="unusable")
    stored = put_objects(s3, "unusable", SIZES, {"multipart": 12 * MiB}, part_size=5 * MiB)
    broken = rng.randrange(4)
    server.stop()
    word = break_folder(drives[broken], how)
    broken_files = {p.relative_to(drives[broken]): p.read_bytes() for p in drives[broken].rglob("*") if p.is_file()}

    server.start()
    state = drive_states(server)[broken]
    print(f"drive {broken + 1} ({how}): {state}")
    assert state["state"] == "offline" and word in (state["reason"] or "").lower()
    assert_reads_exact(s3, "unusable", stored, f"drive {broken + 1} {how}: ")
    stored |= put_objects(s3, "unusable", {"meanwhile": 2 * MiB + 1})
    # Left exactly as it was (or still missing): nothing reformats it behind the user's back.
    after = {p.relative_to(drives[broken]): p.read_bytes() for p in drives[broken].rglob("*") if p.is_file()}
    assert after == broken_files, f"the {how} folder was written to"
    assert drives[broken].exists() == (how != "missing")

    shutil.rmtree(drives[broken], ignore_errors=True)
    drives[broken].mkdir()
    wait_for_state(server, broken, "online")
    code, report = admin_heal(server)
    assert code == 0 and report["failures"] == []
    assert_every_drive_holds_the_same_shards(shard_inventory(drives), expected_shard_files(stored))
    assert_clean_second_heal(server)
    prove_healed_drives_serve(server, "unusable", stored, drives, [broken], rng)
