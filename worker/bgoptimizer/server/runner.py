"""The job queue: FIFO, one job at a time on the engine process, cancel, recovery, retention.

A single runner thread owns the engine; API threads only enqueue, cancel and read. A job whose
engine process dies (crash, out of memory, ``kill -9``) fails with the cause while the API
keeps answering, and a fresh engine is started for the next job.
"""

from __future__ import annotations

import collections
import logging
import math
import os
import queue
import shutil
import threading
import time
from typing import Any

from ..engine.stretch import StretchParams
from ..exceptions import JobError
from ..io.atomic import remove_stale_temporaries
from .engine_host import EngineHost
from .errors import QueueFullError
from .layout import PART_PREFIX, PREVIEW_FILE, RESULT_FILES
from .settings import Settings
from .store import FINISHED, JobRecord, JobState, JobStore

__all__ = ["Runner"]

log = logging.getLogger("bgoptimizer.server")

_TICK_S = 0.05
_PERSIST_PROGRESS_S = 1.0  # progress is written through at most once a second
_RESTART_BACKOFF_S = 5.0


def _check_stretch_fits(record: JobRecord) -> None:
    """An explicit stretch must suit the image (the engine's rule, checked before queueing)."""
    if record.stretch is not None and record.image is not None:
        StretchParams(**record.stretch).check_channels(int(record.image["channels"]))


class Runner:
    """Queue and engine supervisor; :meth:`start` runs it on its own thread."""

    def __init__(self, store: JobStore, settings: Settings) -> None:
        self.store, self.settings = store, settings
        self.engine = EngineHost()
        self._queue: collections.deque[str] = collections.deque()
        self._current: str | None = None
        self._cancel_deadline: float | None = None
        self._last_persist = 0.0
        self._last_cleanup = 0.0
        self._last_engine_start = 0.0
        self._durations: collections.deque[float] = collections.deque(maxlen=10)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bgopt-runner", daemon=True)

    # ---- called from API threads -------------------------------------------------------

    def start(self, *, thread: bool = True) -> None:
        """Recover the store, start the engine and (unless ``thread`` is false, for
        :meth:`drain`) the runner thread.
        """
        self._recover()
        self._cleanup()
        self._start_engine()
        if thread:
            self._thread.start()

    def drain(self, timeout_s: float = 120.0) -> None:
        """Run the queue on the calling thread until no job waits or runs, then return.

        The same steps as the runner thread, so a test can queue jobs, drain, and read the
        final states with no sleep and no polling; only for a runner started without thread.

        Raises
        ------
        TimeoutError
            When jobs still wait or run after ``timeout_s``.
        """
        if self._thread.is_alive():
            raise RuntimeError("drain() is for a runner started with thread=False")
        deadline = time.monotonic() + timeout_s
        while self._queue or self._current is not None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self._queue)} queued, {self._current} running")
            self._step()

    def stop(self) -> None:
        """Stop the thread and the engine (the running job is failed on the next start)."""
        self._stop.set()
        if self._thread.is_alive():  # a runner used with drain() never started it
            self._thread.join(timeout=5)
        self.engine.kill()

    def enqueue(self, job_id: str) -> tuple[JobRecord, int]:
        """Created → queued, or :class:`QueueFullError` when the queue is full.

        Returns the queued record and its place in the queue (1: next), read together: the
        runner may dispatch the job the moment the lock is released.
        """
        with self._lock:
            record = self.store.get(job_id)
            if record.state != JobState.CREATED:
                raise JobError(f"job {job_id} is {record.state}; only a created job can start")
            if record.image is None:
                raise JobError(f"job {job_id} has no image yet: upload it before starting")
            _check_stretch_fits(record)
            if len(self._queue) >= self.settings.max_queue:
                raise QueueFullError(
                    f"{len(self._queue)} jobs are waiting (limit {self.settings.max_queue})",
                    self._retry_after(),
                )
            record = self.store.update(
                job_id, state=JobState.QUEUED, queued_at=time.time(), message="waiting in the queue"
            )
            self._queue.append(job_id)
            return record, len(self._queue)

    def cancel(self, job_id: str) -> JobRecord:
        """Cancel a job: at once unless it runs; a running one stops within a second."""
        with self._lock:
            record = self.store.get(job_id)
            if record.state in FINISHED:
                if record.state == JobState.CANCELLED:
                    return record
                raise JobError(f"job {job_id} is already {record.state}")
            if job_id == self._current:
                self.engine.send({"op": "cancel", "job": job_id})
                self._cancel_deadline = time.monotonic() + self.settings.cancel_grace_s
                return self.store.update(job_id, cancel_requested=True, message="cancelling")
            if job_id in self._queue:
                self._queue.remove(job_id)
            return self._finish(job_id, JobState.CANCELLED, "cancelled", cancel_requested=True)

    def forget(self, job_id: str) -> None:
        """Cancel whatever the job is doing, wait until it stopped, delete it."""
        record = self.store.get(job_id)
        if record.state not in FINISHED:
            self.cancel(job_id)
        deadline = time.monotonic() + self.settings.cancel_grace_s + 2.0
        while self._current == job_id and time.monotonic() < deadline:
            time.sleep(_TICK_S)
        with self._lock:
            self.store.delete(job_id)

    def queued_view(self, job_id: str) -> tuple[JobRecord, int | None]:
        """The job's record and its queue position (1 for the next job to run, None when not
        queued), read together under the runner's lock, so a job dispatched meanwhile is seen
        running rather than queued without a place.
        """
        with self._lock:
            record = self.store.get(job_id)
            position = self._queue.index(job_id) + 1 if job_id in self._queue else None
            return record, position

    def health(self) -> dict[str, Any]:
        """Queue length, busy flag and what the engine reported about itself."""
        with self._lock:
            info = dict(self.engine.info) if self.engine.alive else {}
            return {
                "queue_length": len(self._queue),
                "busy": self._current is not None,
                "engine": "ready" if info else ("starting" if self.engine.alive else "stopped"),
                "devices": info.get("devices", []),
            }

    # ---- the runner thread ---------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._step()

    def _step(self) -> None:
        """One turn: take the engine's next message (or a tick), cancel deadline, dispatch."""
        try:
            generation, message = self.engine.messages.get(timeout=_TICK_S)
        except queue.Empty:
            generation, message = -1, {}
        try:
            with self._lock:
                if generation == self.engine.generation:
                    self._on_message(message)
                self._check_cancel_deadline()
                self._dispatch()
                if time.monotonic() - self._last_cleanup > self.settings.cleanup_interval_s:
                    self._cleanup()
        except Exception:  # the loop must survive anything one job does
            log.exception("runner error")

    def _dispatch(self) -> None:
        if self._current is not None or not self._queue:
            return
        if not self.engine.alive:
            if time.monotonic() - self._last_engine_start < _RESTART_BACKOFF_S:
                return
            self._start_engine()
        job_id = self._queue.popleft()
        record = self.store.get(job_id)
        paths = self.store.paths(job_id)
        shutil.rmtree(paths.work, ignore_errors=True)
        self._current, self._cancel_deadline = job_id, None
        self.store.update(
            job_id, state=JobState.RUNNING, started_at=time.time(), message="starting"
        )
        self.engine.send(
            {
                "op": "run",
                "job": job_id,
                "dir": str(paths.root),
                "params": record.params,
                "stretch": record.stretch,
                "mask": record.mask is not None,
                "device": self.settings.device,
            }
        )

    def _on_message(self, message: dict[str, Any]) -> None:
        kind, job_id = message.get("type"), message.get("job")
        if kind == "exit":
            self._on_engine_exit(int(message["code"]))
        elif job_id is None or job_id != self._current:
            return
        elif kind == "progress":
            fields = {
                k: message.get(k) for k in ("stage", "progress", "epoch", "epochs", "loss", "lr")
            }
            if not self.store.get(job_id).cancel_requested:
                fields["message"] = message.get("message", "")
            now = time.monotonic()
            persist = now - self._last_persist > _PERSIST_PROGRESS_S
            self._last_persist = now if persist else self._last_persist
            self.store.update(job_id, persist=persist, **fields)
        elif kind == "preview":
            record = self.store.get(job_id)
            self.store.update(
                job_id,
                persist=False,
                preview_version=record.preview_version + 1,
                results=tuple(sorted({*record.results, PREVIEW_FILE})),
            )
        elif kind == "done":
            self._publish_results(job_id)
        elif kind == "failed":
            if message["code"] == "cancelled":
                self._finish(job_id, JobState.CANCELLED, "cancelled")
            else:
                error = {"code": message["code"], "message": message["message"]}
                self._finish(job_id, JobState.FAILED, message["message"], error=error)

    def _publish_results(self, job_id: str) -> None:
        """Move complete outputs from ``work/`` into ``results/``; only then is the job done."""
        paths = self.store.paths(job_id)
        paths.results.mkdir(exist_ok=True)
        for name in RESULT_FILES:
            if (paths.work / name).is_file():
                os.replace(paths.work / name, paths.results / name)
        names = tuple(n for n in RESULT_FILES if paths.result(n).is_file())
        self._finish(job_id, JobState.DONE, "done", results=names, progress=1.0)

    def _on_engine_exit(self, code: int) -> None:
        log.warning("engine process exited with code %d", code)
        healthy_before = bool(self.engine.info)
        job_id = self._current
        if job_id is not None:
            cause = f"signal {-code}" if code < 0 else f"exit code {code}"
            text = f"the engine process died ({cause}); out of memory?"
            self._finish(
                job_id, JobState.FAILED, text, error={"code": "engine_crashed", "message": text}
            )
        if healthy_before:  # warm a new one now; one that never came up waits for a job
            self._start_engine()

    def _check_cancel_deadline(self) -> None:
        if self._cancel_deadline is None or time.monotonic() < self._cancel_deadline:
            return
        job_id = self._current
        log.warning("job %s did not stop in time: killing the engine", job_id)
        self.engine.kill()
        if job_id is not None:
            self._finish(job_id, JobState.CANCELLED, "cancelled")
        self._start_engine()

    def _finish(self, job_id: str, state: JobState, message: str, **changes: Any) -> JobRecord:
        if job_id == self._current:
            self._current, self._cancel_deadline = None, None
            shutil.rmtree(self.store.paths(job_id).work, ignore_errors=True)
        record = self.store.get(job_id)
        if record.started_at is not None:
            self._durations.append(time.time() - record.started_at)
        return self.store.update(
            job_id, state=state, stage=None, message=message, finished_at=time.time(), **changes
        )

    def _start_engine(self) -> None:
        self._last_engine_start = time.monotonic()
        self.engine.start()

    def _retry_after(self) -> int:
        per_job = sum(self._durations) / len(self._durations) if self._durations else 5.0
        return max(1, math.ceil(per_job))

    def _recover(self) -> None:
        """After a restart: queued jobs queue again, interrupted ones failed, no partial file."""
        for record in self.store.load():
            paths = self.store.paths(record.id)
            shutil.rmtree(paths.work, ignore_errors=True)
            for part in paths.root.glob(f"{PART_PREFIX}*"):
                part.unlink(missing_ok=True)
            remove_stale_temporaries(paths.record, min_age_s=0)  # a job.json write cut short
            if record.state == JobState.RUNNING:
                text = "worker restarted"
                self.store.update(
                    record.id,
                    state=JobState.FAILED,
                    stage=None,
                    message=text,
                    finished_at=time.time(),
                    error={"code": "worker_restarted", "message": text},
                )
        queued = [r for r in self.store.all() if r.state == JobState.QUEUED]
        self._queue.extend(r.id for r in sorted(queued, key=lambda r: r.queued_at or 0.0))

    def _cleanup(self) -> None:
        self._last_cleanup = time.monotonic()
        now = time.time()
        expired = self.store.expired(now, self.settings.retention_s, self.settings.max_data_bytes)
        for job_id in list(expired):
            if job_id != self._current:
                self.store.delete(job_id)
