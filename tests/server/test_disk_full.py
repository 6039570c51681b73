"""A full disk is ``507 resources`` everywhere, with how much space is needed: the worker's
data folder on a 30 MB tmpfs (mounting it needs root, as on the CI machine)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from harness import OCTET, TINY, Server, sky, write_xisf


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A 30 MB tmpfs, unmounted afterwards."""
    mount = tmp_path_factory.mktemp("tmpfs")
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (the CI machine runs as root)")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=30m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


@pytest.fixture(scope="module")
def small(disk: Path) -> Iterator[Server]:
    srv = Server(disk / "data", "--max-upload-mb", "64").start()
    yield srv
    srv.stop()


@pytest.fixture
def filler(disk: Path) -> Iterator[Path]:
    path = disk / "filler"
    yield path
    path.unlink(missing_ok=True)


def _fill(path: Path, leave: int) -> None:
    """Take all the free space of the file system but ``leave`` bytes."""
    size = shutil.disk_usage(path.parent).free - leave
    with open(path, "wb") as fh:
        os.posix_fallocate(fh.fileno(), 0, size)


def _resources(response: object) -> str:
    assert response.status_code == 507, response.text  # type: ignore[attr-defined]
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == "resources" and "the disk is full" in error["message"], error
    return str(error["message"])


def test_upload_that_fills_the_disk(small: Server) -> None:
    job = small.create(TINY)["id"]
    r = small.client.put(f"/v1/jobs/{job}/image", content=bytes(40 * 2**20), headers=OCTET)
    assert "it needs at least 40.0 MB" in _resources(r)
    assert not list((small.data_dir / "jobs" / job).glob(".part-*"))
    assert small.status(job)["image"] is None


def test_job_record_on_a_full_disk(small: Server, filler: Path) -> None:
    _fill(filler, 0)
    _resources(small.client.post("/v1/jobs", json={}))
    filler.unlink()
    assert small.client.get("/v1/health").json()["quarantined"] == []
    assert small.client.post("/v1/jobs", json={}).status_code == 201


def test_fit_that_cannot_write_its_results(small: Server, filler: Path, tmp_path: Path) -> None:
    """It failed as ``bad_image``, so the user blamed the image."""
    image = write_xisf(tmp_path / "big.xisf", np.tile(sky(), (22, 16, 1))[:1024, :1024])
    job = small.create(TINY)["id"]
    assert small.upload(job, "image", image).status_code == 200
    _fill(filler, 1 << 20)
    assert small.client.post(f"/v1/jobs/{job}/start").status_code == 202
    status = small.wait(job, timeout=120)
    assert status["state"] == "failed", status
    assert status["error"]["code"] == "resources", status["error"]
    assert "the disk is full" in status["error"]["message"]
    assert "it needs at least 9.0 MB" in status["error"]["message"]
