"""Progress events and the cancel hook that connect the engine to its callers (CLI, worker).

The engine only ever calls ``report(event)`` and ``check_cancel()``; it knows nothing about
terminals or HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from .exceptions import CancelledError

__all__ = ["ProgressEvent", "ProgressHooks", "Stage"]


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
