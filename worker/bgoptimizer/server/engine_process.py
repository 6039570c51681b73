"""The engine process: runs one fit at a time for the worker, outside the API's process.

Started by :class:`~bgoptimizer.server.engine_host.EngineHost` as
``python -m bgoptimizer.server.engine_process``. Requests arrive as JSON lines on stdin (``run``,
``cancel``); answers leave as JSON lines on a private copy of the original stdout (``hello``,
``progress``, ``preview``, ``done``, ``failed``), while fd 1 is pointed at stderr so that stray
prints cannot corrupt the protocol. End of stdin means the API process is gone: exit at once.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import logging
import os
import queue
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import Any, TextIO

from ..cli.native_log import VERBOSE_ENV, native_log_path, native_stderr_to
from ..exceptions import BgoptError, DiskFullError
from ..progress import ProgressEvent, ProgressHooks
from .layout import (
    BACKGROUND_FILE,
    CORRECTED_FILE,
    IMAGE_FILE,
    MASK_FILE,
    OBJECTS_FILE,
    REPORT_FILE,
    JobPaths,
)

__all__ = ["main", "release_memory"]

log = logging.getLogger("bgoptimizer.engine")


class _Channel:
    """The message stream back to the API process (one writer at a time)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def send(self, kind: str, **fields: Any) -> None:
        line = json.dumps({"type": kind, **fields})
        with self.lock:
            self.stream.write(line + "\n")
            self.stream.flush()


class _JobHooks:
    """Forwards the pipeline's events and previews; answers the cancel flag.

    The fit throttles its own events (at most ten a second), and there are only a few stage
    events around it, so every event goes through.
    """

    def __init__(self, channel: _Channel, job: str, job_dir: Path, cancel: threading.Event):
        self.channel, self.job, self.job_dir, self.cancel = channel, job, job_dir, cancel

    def hooks(self) -> ProgressHooks:
        return ProgressHooks(on_event=self.on_event, is_cancelled=self.cancel.is_set)

    def on_event(self, event: ProgressEvent) -> None:
        from ..io.png import write_png

        if event.preview is not None:
            write_png(JobPaths(self.job_dir).preview, event.preview)
            self.channel.send("preview", job=self.job)
        self.channel.send(
            "progress",
            job=self.job,
            stage=event.stage.value,
            progress=round(float(event.progress), 4),
            elapsed=round(float(event.elapsed), 3),
            message=event.message,
            epoch=event.epoch,
            epochs=event.epochs,
            loss=None if event.loss is None else float(event.loss),
            lr=None if event.lr is None else float(event.lr),
        )


def _hello() -> dict[str, Any]:
    """TensorFlow version and devices, as ``GET /v1/health`` reports them."""
    from ..engine.runtime.devices import gpu_names
    from ..versions import tensorflow_version

    devices = [{"type": "GPU", "name": name} for name in gpu_names()]
    return {
        "tensorflow": tensorflow_version(),
        "devices": devices or [{"type": "CPU", "name": "CPU"}],
    }


def _run(task: dict[str, Any], channel: _Channel, cancel: threading.Event) -> None:
    """One fit: outputs go to ``work/``; the API process renames them into ``results/``."""
    from ..engine.stretch import StretchParams
    from ..files import OutputPaths, run_files
    from ..params import FitParams

    job, job_dir = task["job"], Path(task["dir"])
    paths = JobPaths(job_dir)
    work = paths.work
    outputs = OutputPaths(
        work / BACKGROUND_FILE, work / CORRECTED_FILE, work / REPORT_FILE, work / OBJECTS_FILE
    )
    try:
        work.mkdir(exist_ok=True)
        run_files(
            paths.image,
            outputs,
            FitParams.from_mapping(task["params"]),
            mask_path=paths.mask if task["mask"] else None,
            hooks=_JobHooks(channel, job, job_dir, cancel).hooks(),
            device=task["device"],
            stretch=StretchParams(**task["stretch"]) if task.get("stretch") else None,
            names={  # names as served, not paths inside the worker's data dir
                "input": IMAGE_FILE,
                "mask": MASK_FILE if task["mask"] else None,
                "background": BACKGROUND_FILE,
                "corrected": CORRECTED_FILE,
                "report": REPORT_FILE,
                "objects": OBJECTS_FILE,
            },
        )
    except MemoryError:
        channel.send("failed", job=job, code="resources", message="out of host memory")
    except Exception as exc:  # the engine must answer for every job, whatever broke
        if DiskFullError.caused(exc):  # results, preview or work folder: with what it needs
            exc = DiskFullError(job_dir, _space_needed(paths))
        if isinstance(exc, BgoptError):
            channel.send("failed", job=job, code=exc.code, message=str(exc))
            return
        traceback.print_exc()
        code = "resources" if type(exc).__name__ == "ResourceExhaustedError" else "internal"
        channel.send("failed", job=job, code=code, message=f"{type(exc).__name__}: {exc}")
    else:
        channel.send("done", job=job)


def _space_needed(paths: JobPaths) -> int:
    """What a job writes: two float32 images the size of the input, a preview, a report."""
    from ..io import probe

    info = probe(paths.image)[0]
    return 2 * 4 * int(info.width) * int(info.height) * int(info.channels) + (1 << 20)


def release_memory() -> None:
    """Hand the heap pages freed by the last job back to the system.

    glibc keeps freed pages of its arenas mapped: after a 3000×2000 RGB job the engine held
    ~130 MB it no longer used, until the next job. ``malloc_trim`` returns them (a no-op
    where the C library is not glibc).
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _read_requests(tasks: queue.Queue[dict[str, Any]], cancel: threading.Event) -> None:
    current: dict[str, str] = {}
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "run":
            current["job"] = request["job"]
            cancel.clear()
            tasks.put(request)
        elif request["op"] == "cancel" and request["job"] == current.get("job"):
            cancel.set()
    os._exit(0)  # stdin closed: the API process is gone, and so is whoever wanted the result


def main() -> None:
    """Serve fit requests until stdin closes.

    TensorFlow's native start-up text goes to the native log file, as the CLI's does, unless
    the worker runs with ``--verbose`` (``BGOPT_VERBOSE``): the worker's log, a Docker
    container's included, keeps our own lines.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is for the worker, which stops us
    channel = _Channel(os.fdopen(os.dup(1), "w", encoding="utf-8"))
    os.dup2(2, 1)
    verbose = bool(os.environ.get(VERBOSE_ENV))
    with contextlib.nullcontext() if verbose else native_stderr_to(native_log_path()):
        sys.stdout = sys.stderr
        logging.basicConfig(level=logging.INFO, format="engine %(levelname)s %(message)s")
        tasks: queue.Queue[dict[str, Any]] = queue.Queue()
        cancel = threading.Event()
        threading.Thread(target=_read_requests, args=(tasks, cancel), daemon=True).start()
        channel.send("hello", pid=os.getpid(), **_hello())
        while True:
            _run(tasks.get(), channel, cancel)
            release_memory()


if __name__ == "__main__":
    main()
