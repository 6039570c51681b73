"""The durable job store: one directory per job, its record in ``job.json`` replaced atomically.

The in-memory copy answers reads; every transition is written through before it is visible to
the API, so a restart (even after ``kill -9``) finds the last transition on disk.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import secrets
import shutil
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from ..io.atomic import write_json
from .errors import NotFoundError
from .layout import JOB_ID_RE, JOBS_DIR, QUARANTINE_DIR, JobPaths

__all__ = ["FINISHED", "JobRecord", "JobState", "JobStore", "dir_size"]

log = logging.getLogger("bgoptimizer.server")


class JobState(StrEnum):
    """Life cycle of a job: created → queued → running → done | failed | cancelled."""

    CREATED = "created"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED})


@dataclass(frozen=True)
class JobRecord:
    """Everything known about a job; timestamps are Unix seconds (``None`` until reached)."""

    id: str
    name: str | None = None
    state: JobState = JobState.CREATED
    stage: str | None = None
    progress: float = 0.0
    epoch: int | None = None
    epochs: int | None = None
    loss: float | None = None
    lr: float | None = None
    message: str = "waiting for the image"
    error: dict[str, str] | None = None
    cancel_requested: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    stretch: dict[str, list[float]] | None = None
    image: dict[str, Any] | None = None
    mask: dict[str, Any] | None = None
    results: tuple[str, ...] = ()
    preview_version: int = 0
    created_at: float = 0.0
    queued_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain dict for ``job.json``."""
        out = dataclasses.asdict(self)
        out["results"] = list(self.results)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobRecord:
        """Rebuild from ``job.json`` (unknown keys from other versions are ignored)."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["state"] = JobState(values["state"])
        values["results"] = tuple(values.get("results", ()))
        return cls(**values)


def dir_size(path: Path) -> int:
    """Bytes of all files under ``path``."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


class JobStore:
    """Jobs under ``<data_dir>/jobs``; thread-safe (API threads and the runner share it)."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / JOBS_DIR
        self.root.mkdir(parents=True, exist_ok=True)
        self.quarantine = Path(data_dir) / QUARANTINE_DIR
        """Where job folders with an unreadable ``job.json`` are moved at start (kept)."""
        self.lock = threading.RLock()
        """Held while a change must see and write one consistent record (reentrant)."""
        self._jobs: dict[str, JobRecord] = {}

    def paths(self, job_id: str) -> JobPaths:
        """Paths of a job, after checking the id's shape (no request can name a path)."""
        if not JOB_ID_RE.fullmatch(job_id):
            raise NotFoundError(f"no such job: {job_id!r}")
        return JobPaths(self.root / job_id)

    def create(
        self,
        *,
        name: str | None,
        params: dict[str, Any],
        stretch: dict[str, list[float]] | None = None,
    ) -> JobRecord:
        """A new job in state ``created``, on disk before it is returned."""
        with self.lock:
            job_id = f"j_{secrets.token_hex(6)}"
            paths = self.paths(job_id)
            paths.root.mkdir()
            record = JobRecord(
                id=job_id, name=name, params=params, stretch=stretch, created_at=time.time()
            )
            try:
                return self._put(record)
            except BaseException:  # a full disk, say: leave no folder without its record
                shutil.rmtree(paths.root, ignore_errors=True)
                raise

    def get(self, job_id: str) -> JobRecord:
        """The current record, or :class:`NotFoundError`."""
        self.paths(job_id)
        with self.lock:
            try:
                return self._jobs[job_id]
            except KeyError:
                raise NotFoundError(f"no such job: {job_id}") from None

    def update(self, job_id: str, *, persist: bool = True, **changes: Any) -> JobRecord:
        """Apply ``changes``; write the record through when ``persist`` or the state changes
        (state changes are also fsynced).
        """
        with self.lock:
            before = self.get(job_id)
            record = dataclasses.replace(before, **changes)
            transition = record.state != before.state
            if transition:
                log.info("job %s %s -> %s", job_id, before.state, record.state)
            if persist or transition:
                return self._put(record, sync=transition)
            self._jobs[job_id] = record
            return record

    def delete(self, job_id: str) -> None:
        """Forget a job and remove its directory."""
        paths = self.paths(job_id)
        with self.lock:
            self.get(job_id)
            del self._jobs[job_id]
            shutil.rmtree(paths.root, ignore_errors=True)
        log.info("job %s deleted", job_id)

    def all(self) -> list[JobRecord]:
        """Every record, oldest first."""
        with self.lock:
            return sorted(self._jobs.values(), key=lambda r: r.created_at)

    def load(self) -> list[JobRecord]:
        """Read every ``job.json`` from disk (at start); a folder whose record cannot be read
        is moved to ``quarantine/`` with its results, for the user to look at.
        """
        with self.lock:
            for entry in sorted(self.root.iterdir()):
                if not JOB_ID_RE.fullmatch(entry.name) or not entry.is_dir():
                    continue
                paths = JobPaths(entry)
                try:
                    record = JobRecord.from_json(json.loads(paths.record.read_text("utf-8")))
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    self.quarantine.mkdir(exist_ok=True)
                    os.replace(entry, self.quarantine / entry.name)
                    log.warning(
                        "job folder %s has an unreadable %s (%s): moved to %s",
                        entry.name,
                        paths.record.name,
                        exc,
                        self.quarantine / entry.name,
                    )
                    continue
                self._jobs[record.id] = record
            return self.all()

    def quarantined(self) -> list[str]:
        """Names of the job folders in ``quarantine/`` (left there for the user)."""
        if not self.quarantine.is_dir():
            return []
        return sorted(entry.name for entry in self.quarantine.iterdir())

    def expired(self, now: float, retention_s: float, max_bytes: int) -> Iterable[str]:
        """Ids of finished or abandoned jobs to remove: older than the retention, then the
        oldest ones while the store is over ``max_bytes``. Queued/running jobs are kept.
        """
        idle = [r for r in self.all() if r.state not in (JobState.QUEUED, JobState.RUNNING)]
        idle.sort(key=lambda r: r.finished_at or r.created_at)
        over = dir_size(self.root) - max_bytes
        for record in idle:
            age = now - (record.finished_at or record.created_at)
            if age > retention_s or over > 0:
                over -= dir_size(self.paths(record.id).root)
                yield record.id

    def _put(self, record: JobRecord, *, sync: bool = True) -> JobRecord:
        write_json(self.paths(record.id).record, record.to_json(), indent=1, sync=sync)
        self._jobs[record.id] = record
        return record
