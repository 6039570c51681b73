"""Atomic writes: a failure mid-write never leaves a partial file under the final name."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from bgoptimizer.exceptions import FormatError
from bgoptimizer.io import ImageData, atomic, read_image, write_image
from bgoptimizer.io.atomic import atomic_write


def test_exception_inside_leaves_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "out.xisf"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"), atomic_write(target) as f:
        f.write(b"partial")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xisf"]


def test_unwritable_directory(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"cannot write .*absent"):
        write_image(tmp_path / "absent" / "x.xisf", ImageData(np.zeros((2, 2, 1), np.float32)))


def test_full_disk_via_rlimit(tmp_path: Path) -> None:
    """A real write error (EFBIG from RLIMIT_FSIZE, as a full disk would give ENOSPC)."""
    target = tmp_path / "big.xisf"
    write_image(target, ImageData(np.full((8, 8, 1), 0.25, np.float32)))
    before = target.read_bytes()
    script = textwrap.dedent(
        f"""
        import resource, signal, numpy as np
        from bgoptimizer.exceptions import FormatError
        from bgoptimizer.io import ImageData, write_image
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
        try:
            write_image({str(target)!r}, ImageData(np.ones((300, 300, 3), np.float32)))
        except FormatError as exc:
            print("FormatError:", exc)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "FormatError: cannot write" in out.stdout and "File too large" in out.stdout
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.xisf"]
    assert read_image(target).pixels.max() == 0.25


def test_permissions_like_a_plain_open(tmp_path: Path) -> None:
    """mkstemp makes 0600 files; the result must get the mode a plain open() would give."""
    target = tmp_path / "mode.xisf"
    write_image(target, ImageData(np.zeros((2, 2, 1), np.float32)))
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    assert target.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777


def test_large_files_are_written_out_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Write-behind: every WRITE_BEHIND bytes an fdatasync runs beside the writer."""
    synced: list[int] = []

    def fdatasync(fd: int) -> None:
        synced.append(os.fstat(fd).st_size)

    monkeypatch.setattr(atomic, "WRITE_BEHIND", 1000)
    monkeypatch.setattr(os, "fdatasync", fdatasync)
    target = tmp_path / "big.bin"
    with atomic_write(target) as f:
        for k in range(10):
            f.write(bytes([k]) * 600)
    assert target.read_bytes() == b"".join(bytes([k]) * 600 for k in range(10))
    # at least one (a sync still running when the next threshold passes is not doubled up),
    # each over data already flushed to the file
    assert synced and all(size >= 1000 for size in synced)


def test_a_failed_background_sync_fails_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fdatasync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(atomic, "WRITE_BEHIND", 1000)
    monkeypatch.setattr(os, "fdatasync", fdatasync)
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with (
        pytest.raises(FormatError, match=r"cannot write .*Input/output error"),
        atomic_write(target) as f,
    ):
        for _ in range(10):
            f.write(bytes(600))
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]
