"""Real small file systems for the disk-fault tests (they run as root, as CI does).

- :func:`tmpfs`: a RAM file system of a fixed size: filled up with a file, it is a full
  disk; the file deleted, the space is back.
- :func:`ext4_image`: an ext4 file system on a loop device, mounted with
  ``errors=remount-ro``; :func:`turn_read_only` makes the kernel record an error on it
  (``/sys/fs/ext4/<dev>/trigger_fs_error``), and the kernel remounts it read-only, as it
  does when a disk fails under a running server.
"""

from __future__ import annotations

import errno
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from nerveglide.store.data_dir import write_refused


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


def _mount(*args: str) -> None:
    done = _run("mount", *args)
    if done.returncode != 0:
        pytest.fail(
            f"`mount {' '.join(args)}` failed ({done.stderr.strip()}): the disk-fault tests "
            "mount small file systems and need root (CAP_SYS_ADMIN), as in CI",
            pytrace=False,
        )


def _unmount(mountpoint: Path) -> None:
    for _ in range(50):
        if _run("umount", str(mountpoint)).returncode == 0:
            return
        time.sleep(0.2)  # a process that used it is still exiting
    _run("umount", "--lazy", str(mountpoint))


def is_mounted(mountpoint: Path) -> bool:
    return any(
        line.split()[1] == str(mountpoint)
        for line in Path("/proc/self/mounts").read_text().splitlines()
    )


def mount_options(mountpoint: Path) -> list[str]:
    for line in Path("/proc/self/mounts").read_text().splitlines():
        fields = line.split()
        if fields[1] == str(mountpoint):
            return fields[3].split(",")
    raise AssertionError(f"nothing is mounted at {mountpoint}")


def device_of(mountpoint: Path) -> str:
    """The block device's name (``loop3``) of what is mounted at ``mountpoint``."""
    for line in Path("/proc/self/mounts").read_text().splitlines():
        fields = line.split()
        if fields[1] == str(mountpoint):
            return Path(fields[0]).name
    raise AssertionError(f"nothing is mounted at {mountpoint}")


@contextmanager
def tmpfs(mountpoint: Path, size: str, *options: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (e.g. ``"8m"``) mounted at ``mountpoint`` for the block."""
    mountpoint.mkdir(exist_ok=True)
    _mount("-t", "tmpfs", "-o", ",".join((f"size={size}", "mode=0755", *options)), "tmpfs",
           str(mountpoint))  # fmt: skip
    try:
        yield mountpoint
    finally:
        _unmount(mountpoint)


@contextmanager
def ext4_image(image: Path, mountpoint: Path, size_mb: int = 32) -> Iterator[Path]:
    """An ext4 file system in the file ``image``, mounted at ``mountpoint`` (loop device,
    ``errors=remount-ro``) for the block."""
    with image.open("wb") as handle:
        handle.truncate(size_mb * 1024 * 1024)
    made = _run("mkfs.ext4", "-q", "-F", str(image))
    assert made.returncode == 0, made.stderr
    mountpoint.mkdir(exist_ok=True)
    mount_ext4(image, mountpoint)
    try:
        yield mountpoint
    finally:
        if is_mounted(mountpoint):
            _unmount(mountpoint)


def mount_ext4(image: Path, mountpoint: Path) -> None:
    _mount("-o", "loop,errors=remount-ro", str(image), str(mountpoint))


def unmount(mountpoint: Path) -> None:
    _unmount(mountpoint)


def check_ext4(image: Path) -> str:
    """Run ``e2fsck`` on the (unmounted) image, repairing; its report."""
    checked = _run("e2fsck", "-f", "-y", str(image))
    # 0: clean; 1: errors corrected (the recorded error, the journal replayed).
    assert checked.returncode in (0, 1), checked.stdout + checked.stderr
    return checked.stdout


def turn_read_only(mountpoint: Path) -> None:
    """Have the kernel record an ext4 error, which remounts the file system read-only."""
    trigger = Path("/sys/fs/ext4") / device_of(mountpoint) / "trigger_fs_error"
    if not trigger.exists():
        pytest.fail(f"{trigger} is missing: this kernel cannot fail an ext4 file system")
    trigger.write_text("nerveglide test: the disk failed\n")
    deadline = time.monotonic() + 10
    while (refused := write_refused(mountpoint)) is None or refused.errno != errno.EROFS:
        assert time.monotonic() < deadline, f"{mountpoint} did not turn read-only"
        time.sleep(0.05)


def fill(path: Path) -> Path:
    """Write ``path`` until its file system has no space left; returns it."""
    chunk = b"\0" * 65536
    with path.open("wb", buffering=0) as handle:
        while True:
            try:
                handle.write(chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                if len(chunk) == 1:
                    break
                chunk = chunk[: len(chunk) // 2]
    assert os.statvfs(path.parent).f_bavail == 0
    return path
