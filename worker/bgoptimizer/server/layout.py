"""Every file and folder name of the data directory, in one place.

``<data>/jobs/<id>/`` holds one job: ``job.json`` (its record, replaced atomically), the
uploads, ``preview.png``, ``results/`` (only complete files, renamed in) and ``work/`` (where
the engine writes; never served).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "IMAGE_FILE",
    "JOBS_DIR",
    "JOB_FILE",
    "JOB_ID_RE",
    "MASK_FILE",
    "OBJECTS_FILE",
    "PREVIEW_FILE",
    "QUARANTINE_DIR",
    "RESULT_FILES",
    "JobPaths",
]

JOBS_DIR = "jobs"
QUARANTINE_DIR = "quarantine"
"""Beside ``jobs/``: job folders whose ``job.json`` could not be read at start."""
JOB_FILE = "job.json"
IMAGE_FILE = "image.xisf"
MASK_FILE = "mask.xisf"
PREVIEW_FILE = "preview.png"
RESULTS_DIR = "results"
WORK_DIR = "work"
PART_PREFIX = ".part-"
"""Start of every temporary name; whatever carries it after a restart is removed."""
BACKGROUND_FILE = "background.xisf"
CORRECTED_FILE = "corrected.xisf"
REPORT_FILE = "report.json"
OBJECTS_FILE = "objects.xisf"
RESULT_FILES = (BACKGROUND_FILE, CORRECTED_FILE, REPORT_FILE, PREVIEW_FILE, OBJECTS_FILE)
"""The names ``GET /v1/jobs/{id}/result/{name}`` serves."""

JOB_ID_RE = re.compile(r"j_[0-9a-f]{12}")
"""What a job id looks like; anything else is refused before it touches the file system."""


@dataclass(frozen=True)
class JobPaths:
    """The paths of one job's directory."""

    root: Path

    @property
    def record(self) -> Path:
        """``job.json``."""
        return self.root / JOB_FILE

    @property
    def image(self) -> Path:
        """The uploaded image."""
        return self.root / IMAGE_FILE

    @property
    def mask(self) -> Path:
        """The uploaded mask."""
        return self.root / MASK_FILE

    @property
    def preview(self) -> Path:
        """The live / final preview."""
        return self.root / PREVIEW_FILE

    @property
    def results(self) -> Path:
        """Folder of finished results."""
        return self.root / RESULTS_DIR

    @property
    def work(self) -> Path:
        """Folder the engine writes into."""
        return self.root / WORK_DIR

    def result(self, name: str) -> Path:
        """Where a served result lives (``preview.png`` sits at the job's top level)."""
        return self.preview if name == PREVIEW_FILE else self.results / name

    def part(self, name: str, tag: str) -> Path:
        """A temporary name for an upload in progress (``tag`` keeps two uploads apart; the
        extension stays, since readers choose the format from it).
        """
        return self.root / f"{PART_PREFIX}{tag}-{name}"
