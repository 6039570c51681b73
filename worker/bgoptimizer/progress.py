"""Progress events and the cancel hook that connect the engine to its callers (CLI, worker).

The engine only ever calls ``report(event)`` and ``check_cancel()``; it knows nothing about
terminals or HTTP.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from .exceptions import CancelledError

__all__ = ["STAGE_SPANS", "JobProgress", "ProgressEvent", "ProgressHooks", "Stage"]


class Stage(StrEnum):
    """Pipeline stages in the order they run."""

    READING = "reading"
    STRETCHING = "stretching"
    DOWNSCALING = "downscaling"
    OPTIMISING = "optimising"
    EVALUATING = "evaluating"
    WRITING = "writing"


@dataclass(frozen=True)
class ProgressEvent:
    """One progress report.

    ``progress`` is the whole job's fraction done in [0, 1]. ``preview``, when present, is the
    corrected image at working resolution, display-stretched to [0, 1], shape (h, w, C): what
    the dialog shows live while the fit runs.
    """

    stage: Stage
    progress: float
    elapsed: float
    message: str = ""
    epoch: int | None = None
    epochs: int | None = None
    loss: float | None = None
    lr: float | None = None
    preview: np.ndarray | None = None


@dataclass
class ProgressHooks:
    """Callbacks handed to the engine; both optional."""

    on_event: Callable[[ProgressEvent], None] | None = None
    is_cancelled: Callable[[], bool] | None = None

    def report(self, event: ProgressEvent) -> None:
        """Forward an event to the caller, if it listens."""
        if self.on_event is not None:
            self.on_event(event)

    def check_cancel(self) -> None:
        """Raise :class:`CancelledError` when the caller asked to stop."""
        if self.is_cancelled is not None and self.is_cancelled():
            raise CancelledError("cancelled by the user")


STAGE_SPANS: dict[Stage, tuple[float, float]] = {
    Stage.READING: (0.0, 0.04),
    Stage.STRETCHING: (0.04, 0.08),
    Stage.DOWNSCALING: (0.08, 0.12),
    Stage.OPTIMISING: (0.12, 0.85),
    Stage.EVALUATING: (0.85, 0.95),
    Stage.WRITING: (0.95, 1.0),
}
"""Share of the whole job's progress each stage covers (the fit dominates)."""


class JobProgress:
    """One job's clock: turns stage starts and the fit's own events into whole-job events
    (progress in [0, 1] by :data:`STAGE_SPANS`), checks for cancellation at each stage, and
    times the stages for the report. The edges (reading and writing files) and the engine
    share one, so a job's progress runs from its first read to its last write.

    Examples
    --------
    >>> seen = []
    >>> clock = JobProgress(ProgressHooks(on_event=seen.append))
    >>> clock.stage(Stage.READING, "reading")
    >>> clock.finish(Stage.WRITING, "done")
    >>> [(e.stage.value, e.progress) for e in seen], sorted(clock.timings)
    ([('reading', 0.0), ('writing', 1.0)], ['reading'])
    """

    def __init__(self, hooks: ProgressHooks | None) -> None:
        self.hooks = hooks or ProgressHooks()
        self.start = time.perf_counter()
        self.timings: dict[str, float] = {}
        self._stage: Stage | None = None
        self._since = self.start

    @property
    def listening(self) -> bool:
        """Whether anyone receives events (live previews are only made for a listener)."""
        return self.hooks.on_event is not None

    def stage(self, stage: Stage, message: str) -> None:
        """Start ``stage`` (closing the one before) after checking for cancellation."""
        self.hooks.check_cancel()
        self._close()
        self._stage, self._since = stage, time.perf_counter()
        self.hooks.report(ProgressEvent(stage, STAGE_SPANS[stage][0], self._elapsed(), message))

    def fit_hooks(self) -> ProgressHooks:
        """Hooks for the fit, whose own progress in [0, 1] maps into the optimising span."""
        lo, hi = STAGE_SPANS[Stage.OPTIMISING]
        offset = self._elapsed()

        def forward(event: ProgressEvent) -> None:
            self.hooks.report(
                dataclasses.replace(
                    event,
                    progress=lo + (hi - lo) * min(max(event.progress, 0.0), 1.0),
                    elapsed=offset + event.elapsed,
                )
            )

        return ProgressHooks(on_event=forward, is_cancelled=self.hooks.is_cancelled)

    def finish(self, stage: Stage, message: str, preview: np.ndarray | None = None) -> None:
        """Close ``stage`` with an event at the end of its span."""
        self._close()
        self.hooks.report(
            ProgressEvent(stage, STAGE_SPANS[stage][1], self._elapsed(), message, preview=preview)
        )

    def _close(self) -> None:
        if self._stage is not None:
            self.timings[self._stage.value] = time.perf_counter() - self._since
            self._stage = None

    def _elapsed(self) -> float:
        return time.perf_counter() - self.start
