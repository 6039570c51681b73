"""One file of a batch: skip it when its outputs are up to date, else fit it as ``fit`` does.

A task runs in the batch's own process, in a ``--jobs`` pool process or on a Dask worker;
it is a small picklable object and returns a plain row (:func:`row_from_report`), so every
runner collects the same summary. Outputs go through :func:`bgoptimizer.files.run_files`,
whose atomic writes give each output its final name only once it is complete: a file
interrupted or retried elsewhere is never seen half-written.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..files import OutputPaths, run_files
from ..io.atomic import remove_stale_temporaries
from ..params import FitParams
from ..progress import ProgressHooks

__all__ = ["BatchTask", "every_output", "failed_row", "row_from_report", "stop_on"]

_stop: Callable[[], bool] | None = None


def stop_on(is_set: Callable[[], bool]) -> None:
    """Make this process's tasks stop at the engine's next cancellation check once
    ``is_set()`` holds: how a ``--jobs`` pool's processes hear Ctrl-C (they ignore SIGINT,
    which a long native call would leave unseen until the file is done).
    """
    global _stop
    _stop = is_set


@dataclass(frozen=True)
class BatchTask:
    """What every file of the batch shares: where outputs go, the parameters, mask, device."""

    outdir: Path
    params: FitParams
    device: str = "auto"
    mask: Path | None = None
    force: bool = False
    """Fit even the files whose outputs are up to date."""

    @property
    def digest(self) -> str:
        """Digest of what decides the outputs besides the input: parameters and mask.

        Examples
        --------
        >>> a = BatchTask(Path("out"), FitParams())
        >>> b = BatchTask(Path("out"), FitParams.from_mapping({"samples": 16}))
        >>> len(a.digest), a.digest == b.digest
        (16, False)
        """
        text = json.dumps(self._settings(), sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def _settings(self) -> dict[str, Any]:
        return {"parameters": self.params.to_dict(), "mask": _str(self.mask)}

    def __call__(self, input_path: Path) -> dict[str, Any]:
        """Fit one file; any error becomes a ``failed`` row, not a raise."""
        try:
            outputs = OutputPaths.for_input(input_path, self.outdir)
            for target in every_output(outputs):
                remove_stale_temporaries(target)  # left by a run killed while it wrote
            start = time.perf_counter()
            hooks = ProgressHooks(is_cancelled=_stop)
            report = run_files(
                input_path,
                outputs,
                self.params,
                mask_path=self.mask,
                hooks=hooks,
                device=self.device,
            )
            return row_from_report(input_path, report, "done", time.perf_counter() - start)
        except Exception as exc:  # reported in the summary; the batch goes on
            return failed_row(input_path, exc)

    def skipped_row(self, input_path: Path) -> dict[str, Any] | None:
        """The ``skipped`` row of a file whose outputs are up to date (None: fit it).

        Checked by the runner before it sends anything, so a rerun of a finished batch
        starts no process and no cluster task.
        """
        if self.force:
            return None
        report = self.up_to_date(input_path, OutputPaths.for_input(input_path, self.outdir))
        return None if report is None else row_from_report(input_path, report, "skipped", 0.0)

    def up_to_date(self, input_path: Path, outputs: OutputPaths) -> dict[str, Any] | None:
        """The existing report when every output is there, newer than the input (and the
        mask), and was made with the same parameters and mask; else None.

        The report is written last, so its presence says the images before it are complete.
        """
        try:
            oldest = min(p.stat().st_mtime_ns for p in every_output(outputs))
            sources = [input_path] if self.mask is None else [input_path, self.mask]
            if oldest < max(Path(p).stat().st_mtime_ns for p in sources):
                return None
            report = json.loads(outputs.report.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        same = report.get("parameters") == self.params.to_dict() and report.get("files", {}).get(
            "mask"
        ) == _str(self.mask)
        return report if same else None


def row_from_report(
    input_path: Path, report: dict[str, Any], status: str, seconds: float
) -> dict[str, Any]:
    """The summary's row for one fitted (or skipped) file.

    ``residual_sigma`` is the robust sigma of the residual at the last rejection pass (in
    stretched units, per channel; empty without rejection passes); ``clipped`` counts the
    corrected values clipped at 0 or 1 over every channel.
    """
    rejections = report["fit"].get("rejections") or []
    clipped = report["correction"]["clipped"]
    background = report.get("background", {})
    return {
        "file": str(input_path),
        "status": status,
        "error": None,
        "seconds": round(seconds, 3),
        "epochs": report["fit"]["epochs_run"],
        "residual_sigma": list(rejections[-1]["sigma"]) if rejections else [],
        "objects_pct": report["objects"]["share_pct"],
        "clipped": sum(clipped["corrected_low"]) + sum(clipped["corrected_high"]),
        "level": background.get("level", []),
        "gradient": background.get("gradient", []),
        "report": report["files"]["report"],
        "worker": _worker(),
    }


def failed_row(input_path: Path, exc: BaseException) -> dict[str, Any]:
    """The row of a file that failed: the error's one line, the figures empty."""
    return {
        "file": str(input_path),
        "status": "failed",
        "error": str(exc) or type(exc).__name__,
        "seconds": None,
        "epochs": None,
        "residual_sigma": [],
        "objects_pct": None,
        "clipped": None,
        "level": [],
        "gradient": [],
        "report": None,
        "worker": _worker(),
    }


def every_output(outputs: OutputPaths) -> tuple[Path, Path, Path, Path]:
    """The four files one input gives, the report (written last) last."""
    return (outputs.background, outputs.corrected, outputs.objects, outputs.report)


def _worker() -> str:
    """Which process made a row (``host:pid``): where a file ran, and retried."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _str(path: Path | None) -> str | None:
    return None if path is None else str(path)
