"""Where a batch's tasks run: this process, a pool of ``--jobs`` processes, or a Dask cluster.

Each runner yields one row per file as files finish, in whatever order they finish; the
caller shows progress and writes the summary. Stopping the iteration early (Ctrl-C) stops
the runner: nothing more is started, the pool's processes stop their files at the engine's
next cancellation check (nothing is renamed into place half-written) and a cluster's
queued tasks are cancelled (a task already running on a worker finishes and writes
complete files).
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, TextIO

from ..exceptions import ParameterError
from ..files import OutputPaths
from ..io.atomic import remove_stale_temporaries
from .task import BatchTask, every_output, failed_row, stop_on

__all__ = ["BatchProgress", "run_rows"]


def run_rows(
    task: BatchTask, inputs: Sequence[Path], *, jobs: int = 1, cluster: str | None = None
) -> Iterator[dict[str, Any]]:
    """One row per input as each finishes: first those up to date, then the others fitted on
    ``cluster`` (a Dask scheduler's address), in ``jobs`` processes, or here one by one.
    """
    todo = []
    for path in inputs:
        row = task.skipped_row(path)
        if row is None:
            todo.append(path)
        else:
            yield row
    if not todo:
        return
    if cluster is not None:
        yield from _on_cluster(task, todo, cluster)
    elif jobs > 1 and len(todo) > 1:
        yield from _in_pool(task, todo, jobs)
    else:
        for path in todo:
            yield task(path)


def _in_pool(task: BatchTask, inputs: Sequence[Path], jobs: int) -> Iterator[dict[str, Any]]:
    """``jobs`` spawned processes (TensorFlow does not survive a fork), each kept for the
    whole batch so that its compiled code stays warm. On Ctrl-C (or any early stop) the
    parent sets an event the processes' tasks check at the engine's cancellation points.
    """
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    workers = min(jobs, len(inputs))
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_listen, initargs=(stop,))
    try:
        futures = {pool.submit(task, path): path for path in inputs}
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as exc:  # a process lost (killed, out of memory)
                yield failed_row(futures[future], exc)
    finally:
        stop.set()  # nothing left to stop once every file is done
        pool.shutdown(wait=True, cancel_futures=True)


def _listen(stop: Any) -> None:
    """A pool process: Ctrl-C is the parent's to handle; it stops us through ``stop``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stop_on(stop.is_set)


def _on_cluster(task: BatchTask, inputs: Sequence[Path], address: str) -> Iterator[dict[str, Any]]:
    """One Dask task per file. A worker lost mid-file has its files rescheduled on the others
    by the scheduler (up to ``distributed.scheduler.allowed-failures`` times, then the file
    is reported failed with ``KilledWorker``).
    """
    try:
        from distributed import Client
        from distributed import as_completed as cluster_completed
    except ImportError as exc:
        raise ParameterError(
            "--cluster needs Dask distributed: pip install 'bgoptimizer[cluster]'"
        ) from exc
    token = uuid.uuid4().hex[:8]
    with Client(address, timeout=30) as client:
        keys = [f"bgoptimizer-{path.stem}-{token}" for path in inputs]
        futures = client.map(task, list(inputs), key=keys, pure=False)
        owner = dict(zip(keys, inputs, strict=True))
        try:
            for future in cluster_completed(futures):
                try:
                    yield future.result()
                except Exception as exc:  # KilledWorker after too many lost workers
                    yield failed_row(owner[future.key], exc)
        finally:
            client.cancel(futures)
    _sweep(task, inputs)


def _sweep(task: BatchTask, inputs: Sequence[Path]) -> None:
    """Remove the temporaries a worker killed mid-write left: every task has finished, so no
    writer of these outputs is alive any more.
    """
    for path in inputs:
        outputs = OutputPaths.for_input(path, task.outdir)
        for target in every_output(outputs):
            remove_stale_temporaries(target, min_age_s=0)


class BatchProgress:
    """One bar over the batch on stderr: files done, failed and left, and an ETA.

    A failed file gets a line of its own; without a terminal each file gets a plain line.
    The ETA is the time per file fitted or failed so far (skipped ones cost nothing) times the files
    left, which already counts in the processes working side by side.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = BatchProgress(3, out)
    >>> bar.update({"file": "a.xisf", "status": "failed", "error": "bad file"})
    >>> print(out.getvalue().strip())
    failed a.xisf: bad file
    [1/3] 0 done, 1 failed, 2 left, ETA 00:00:00
    """

    def __init__(self, total: int, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty()
        self.done = self.failed = self.fitted = 0
        self.start = time.monotonic()

    def update(self, row: dict[str, Any]) -> None:
        """Count one finished file and redraw."""
        if row["status"] == "failed":
            self.failed += 1
        else:
            self.done += 1
            self.fitted += row["status"] == "done"
        if self.quiet:
            return
        clear = "\r\x1b[K" if self.tty else ""
        if row["status"] == "failed":
            self.stream.write(f"{clear}failed {row['file']}: {row['error']}\n")
        elif not self.tty:
            self.stream.write(f"{row['status']} {row['file']}\n")
        self.stream.write(f"{clear}{self.line()}" + ("" if self.tty else "\n"))
        self.stream.flush()

    def close(self) -> None:
        """End the redrawn line."""
        if self.tty and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()

    def line(self) -> str:
        """``[seen/total] d done, f failed, l left, ETA hh:mm:ss``."""
        seen = self.done + self.failed
        left = self.total - seen
        eta = "--"
        worked = self.fitted + self.failed
        if worked:
            seconds = (time.monotonic() - self.start) / worked * left
            eta = time.strftime("%H:%M:%S", time.gmtime(seconds))
        filled = int(30 * seen / max(self.total, 1))
        bar = f"[{'#' * filled}{'.' * (30 - filled)}] " if self.tty else ""
        counts = f"{self.done} done, {self.failed} failed, {left} left"
        return f"{bar}[{seen}/{self.total}] {counts}, ETA {eta}"
