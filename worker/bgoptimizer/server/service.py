"""What the job routes do, kept out of the handlers: status views, creation, results."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..engine.stretch import StretchParams
from ..params import FitParams
from .errors import BadRequestError, NotFoundError, NotReadyError
from .layout import PREVIEW_FILE, RESULT_FILES
from .runner import Runner
from .schemas import JobCreate
from .store import JobRecord, JobState, JobStore

__all__ = ["create_job", "job_status", "parse_job_body", "result_path"]

_MIN_PROGRESS_FOR_ETA = 0.05


def _iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return (
        datetime.fromtimestamp(stamp, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def job_status(record: JobRecord, runner: Runner, position: int | None = None) -> dict[str, Any]:
    """The API view of a record: stored fields plus elapsed, ETA and queue position.

    ``position`` is the queue position read together with a queued ``record`` (what starting
    a job answers); without it a queued record is read again with its position, since the
    runner may have dispatched the job since ``record`` was read.
    """
    if record.state == JobState.QUEUED and position is None:
        record, position = runner.queued_view(record.id)
    out = record.to_json()
    elapsed = None
    if record.started_at is not None:
        elapsed = round((record.finished_at or time.time()) - record.started_at, 3)
    eta = None
    if record.state == JobState.RUNNING and elapsed and record.progress >= _MIN_PROGRESS_FOR_ETA:
        eta = round(elapsed * (1.0 - record.progress) / record.progress, 1)
    out.update(
        elapsed=elapsed,
        eta=eta,
        queue_position=position if record.state == JobState.QUEUED else None,
        created_at=_iso(record.created_at),
        queued_at=_iso(record.queued_at),
        started_at=_iso(record.started_at),
        finished_at=_iso(record.finished_at),
    )
    return out


def parse_job_body(raw: bytes) -> JobCreate:
    """The create body: empty (every default) or a JSON object."""
    if not raw.strip():
        return JobCreate()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequestError(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadRequestError("the body is not valid JSON: nested too deep") from None
    if not isinstance(data, dict):
        raise BadRequestError("the body must be a JSON object")
    return JobCreate.model_validate(data)


def create_job(store: JobStore, body: JobCreate) -> JobRecord:
    """Validate the parameters against the table (cross-field rules too) and create the job."""
    params = FitParams.from_mapping(body.params.model_dump()).to_dict()
    stretch = None
    if body.stretch is not None:
        stretch = body.stretch.model_dump()
        StretchParams(**stretch)  # same rules as the engine: finite, s > 0, 0 < m < 1
    return store.create(name=body.name, params=params, stretch=stretch)


def result_path(store: JobStore, job_id: str, name: str) -> Path:
    """Path of a complete result; ``preview.png`` may be served while the job runs."""
    record = store.get(job_id)
    if name not in RESULT_FILES:
        raise NotFoundError(f"no such result: {name!r} (one of {', '.join(RESULT_FILES)})")
    if name != PREVIEW_FILE and record.state != JobState.DONE:
        raise NotReadyError(f"{name} is not ready: job {job_id} is {record.state}")
    path = store.paths(job_id).result(name)
    if not path.is_file():
        raise NotReadyError(f"{name} is not ready yet for job {job_id}")
    return path
