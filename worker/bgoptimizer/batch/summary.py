"""The batch's summary: ``batch.json`` (everything) and ``batch.csv`` (one row per file).

The CSV is for a spreadsheet: sort by ``gradient_1`` or ``level_1`` to find the subs the Moon
or a passing car ruined. Per-channel figures get one column per channel (``_1`` … ``_3``: R,
G, B for colour images); a mono file fills ``_1`` only.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..io.atomic import atomic_write, write_json

__all__ = ["CSV_NAME", "JSON_NAME", "write_summary"]

JSON_NAME = "batch.json"
CSV_NAME = "batch.csv"

_PER_CHANNEL = ("residual_sigma", "level", "gradient")
_SCALARS = ("file", "status", "seconds", "epochs", "objects_pct", "clipped")


def write_summary(
    outdir: Path, rows: Sequence[dict[str, Any]], header: dict[str, Any], total: int
) -> dict[str, Any]:
    """Write both files atomically and return what ``batch.json`` holds.

    ``header`` describes the run (parameters, digest, runner); ``total`` is the number of
    inputs, so an interrupted batch says how many were left.
    """
    counts = Counter(row["status"] for row in rows)
    summary = {
        "tool": f"bgoptimizer {__version__}",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        **header,
        "counts": {
            "done": counts["done"],
            "skipped": counts["skipped"],
            "failed": counts["failed"],
            "left": total - len(rows),
        },
        "files": sorted(rows, key=lambda row: row["file"]),
    }
    write_json(outdir / JSON_NAME, summary)
    with atomic_write(outdir / CSV_NAME) as f:
        f.write(csv_text(summary["files"]).encode("utf-8"))
    return summary


def csv_text(rows: Sequence[dict[str, Any]]) -> str:
    """The rows as CSV, per-channel lists spread over numbered columns.

    Examples
    --------
    >>> row = {"file": "a.xisf", "status": "done", "seconds": 1.5, "epochs": 300,
    ...        "objects_pct": 2.0, "clipped": 0, "residual_sigma": [0.01],
    ...        "level": [0.05], "gradient": [0.02], "error": None}
    >>> print(csv_text([row]).splitlines()[1])
    a.xisf,done,1.5,300,2.0,0,0.01,0.05,0.02,
    """
    channels = max((len(row[name]) for row in rows for name in _PER_CHANNEL), default=0)
    names = [f"{name}_{c + 1}" for name in _PER_CHANNEL for c in range(max(channels, 1))]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*_SCALARS, *names, "error"])
    for row in rows:
        spread = [
            row[name][c] if c < len(row[name]) else ""
            for name in _PER_CHANNEL
            for c in range(max(channels, 1))
        ]
        cells = [("" if row[k] is None else row[k]) for k in _SCALARS]
        writer.writerow([*cells, *spread, row["error"] or ""])
    return out.getvalue()
