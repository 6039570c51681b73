"""The job store on a real temporary folder: records, atomic writes, ids, retention."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bgoptimizer.server.errors import NotFoundError
from bgoptimizer.server.layout import JOB_FILE
from bgoptimizer.server.store import JobRecord, JobState, JobStore


def test_record_round_trips_through_job_json(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    job = store.create(name="M51", params={"samples": 16})
    store.update(job.id, state=JobState.QUEUED, queued_at=123.0)
    data = json.loads((tmp_path / "jobs" / job.id / JOB_FILE).read_text())
    assert data["state"] == "queued" and data["name"] == "M51"
    reloaded = JobStore(tmp_path).load()
    assert reloaded == [store.get(job.id)]
    assert isinstance(reloaded[0], JobRecord) and reloaded[0].state is JobState.QUEUED


def test_progress_updates_need_not_touch_disk(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    job = store.create(name=None, params={})
    store.update(job.id, persist=False, progress=0.5)
    assert store.get(job.id).progress == 0.5
    assert json.loads((tmp_path / "jobs" / job.id / JOB_FILE).read_text())["progress"] == 0.0


@pytest.mark.parametrize("bad", ["../etc", "j_../../x", "J_0123456789AB", "j_0123", ""])
def test_malformed_ids_never_reach_the_file_system(tmp_path: Path, bad: str) -> None:
    with pytest.raises(NotFoundError, match="no such job"):
        JobStore(tmp_path).get(bad)


def test_unknown_job_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no such job: j_000000000000"):
        JobStore(tmp_path).get("j_000000000000")


def test_unreadable_job_folder_is_dropped_on_load(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    job = store.create(name=None, params={})
    (tmp_path / "jobs" / job.id / JOB_FILE).write_text("{half")
    assert JobStore(tmp_path).load() == []
    assert not (tmp_path / "jobs" / job.id).exists()


def test_retention_by_age_keeps_active_jobs(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    old = store.create(name="old", params={})
    store.update(old.id, state=JobState.DONE, finished_at=time.time() - 100)
    active = store.create(name="active", params={})
    store.update(active.id, state=JobState.RUNNING, created_at=time.time() - 100)
    fresh = store.create(name="fresh", params={})
    assert list(store.expired(time.time(), 50.0, 10**12)) == [old.id]
    assert fresh.id not in store.expired(time.time(), 50.0, 10**12)


def test_retention_by_size_removes_oldest_first(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    ids = []
    for age in (30, 20, 10):
        job = store.create(name=None, params={})
        store.update(job.id, state=JobState.FAILED, finished_at=time.time() - age)
        (tmp_path / "jobs" / job.id / "image.xisf").write_bytes(b"x" * 10_000)
        ids.append(job.id)
    assert list(store.expired(time.time(), 3600.0, 25_000)) == ids[:1]
    assert list(store.expired(time.time(), 3600.0, 15_000)) == ids[:2]
