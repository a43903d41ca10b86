"""Real drive faults for end-to-end tests, made with mounts (root only): a drive folder on a small tmpfs that
a filler file fills (the kernel answers ENOSPC), or a drive folder bind-mounted read-only onto itself (EROFS on
every new open for writing: what a failing disk looks like). The server is told nothing; it meets the errors a
real full or failing disk gives. Used by test_erasure_drives.py (one node) and test_cluster_drive_faults.py.
"""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest

from e2e_support import MiB, wait_until


class Mounts:
    """Mounts made by one test, lazily unmounted (newest first) when it ends. A mount can be made inside the
    mount namespace of a running process (`pid`): a node started by `ip netns exec` has its own, a copy taken
    when it started, which later mounts in ours do not reach (mounts here are private)."""

    def __init__(self) -> None:
        self.points: list[tuple[Path, int | None]] = []
        self.frozen: list[Path] = []

    @staticmethod
    def mount(*args, pid: int | None = None) -> subprocess.CompletedProcess:
        inside = ["nsenter", "-t", str(pid), "-m"] if pid else []
        return subprocess.run([*inside, "mount", *map(str, args)], capture_output=True, text=True)

    def tmpfs(self, point: Path, size: str = "64m") -> Path:
        point.mkdir(parents=True)
        result = self.mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", point)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
        self.points.append((point, None))
        return point

    def ext4(self, point: Path, image: Path, size: str = "128M") -> Path:
        """An ext4 filesystem in `image`, loop-mounted on `point`: one that `freeze` can make hang."""
        point.mkdir(parents=True)
        subprocess.run(["truncate", "-s", size, str(image)], check=True)
        made = subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], capture_output=True, text=True)
        if made.returncode != 0:
            pytest.skip(f"cannot make an ext4 image here: {made.stderr.strip()}")
        result = self.mount("-o", "loop", image, point)
        if result.returncode != 0:
            pytest.skip(f"cannot loop-mount a filesystem here: {result.stderr.strip()}")
        self.points.append((point, None))
        return point

    def freeze(self, point: Path, frozen: bool) -> None:
        """`fsfreeze`: every write to the filesystem blocks (the writer waits in the kernel, unkillable)
        until it is thawed; a disk that hangs. A test that freezes must thaw in a `finally`, before its
        servers are stopped: a process blocked there cannot exit."""
        subprocess.run(["fsfreeze", "-f" if frozen else "-u", str(point)], check=True)
        if frozen:
            self.frozen.append(point)
        elif point in self.frozen:
            self.frozen.remove(point)

    def set_read_only(self, folder: Path, read_only: bool, pid: int | None = None) -> None:
        """Makes `folder` read-only through a bind mount onto itself. (A whole-filesystem
        `remount,ro` is refused while the server holds its index open for writing; the bind mount
        turns every new open for writing into EROFS, which is what a failing disk looks like.)"""
        if (folder, pid) not in self.points:
            result = self.mount("--bind", folder, folder, pid=pid)
            assert result.returncode == 0, result.stderr
            self.points.append((folder, pid))
        flags = "remount,bind,ro" if read_only else "remount,bind,rw"
        # EBUSY while the server has a file open for writing through the new mount (its probe): retry.
        wait_until(lambda: self.mount("-o", flags, folder, pid=pid).returncode == 0, 10, f"mount -o {flags} {folder}")

    def release(self, folder: Path, pid: int | None = None) -> None:
        """Unmounts one mount made here (a bind mount: the folder is itself again)."""
        if (folder, pid) in self.points:
            self.points.remove((folder, pid))
            inside = ["nsenter", "-t", str(pid), "-m"] if pid else []
            subprocess.run([*inside, "umount", "-l", str(folder)], capture_output=True)

    def unmount_all(self) -> None:
        for point in list(self.frozen):
            self.freeze(point, False)
        for point, pid in reversed(list(self.points)):
            self.release(point, pid)


@pytest.fixture
def mounts():
    """Request before `start_server` (or the cluster), so that the servers are stopped before the unmounts."""
    if os.geteuid() != 0:
        pytest.skip("mounting needs root")
    made = Mounts()
    yield made
    made.unmount_all()


def fill(filesystem_file: Path) -> int:
    """Writes `filesystem_file` until its filesystem has no space left; returns the bytes written."""
    written = 0
    chunk = b"\0" * MiB
    with open(filesystem_file, "wb") as handle:
        try:
            while True:
                written += handle.write(chunk)
                handle.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
    return written
