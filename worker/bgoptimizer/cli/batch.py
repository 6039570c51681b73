"""``bgoptimizer batch``: every sub of a night, or a folder of masters, in one command."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from ..exceptions import ParameterError
from ..params import DEVICES
from .options import add_param_arguments, params_from_args

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register the sub-command."""
    p = subparsers.add_parser(
        "batch",
        help="fit many images (files, globs, folders) into one output folder",
        description="Writes what `fit` writes for each input into OUTDIR, then batch.json "
        "and batch.csv (one row per file: time, epochs, residual scale, share protected, "
        "clipped pixels, background level and gradient per channel). A rerun skips files "
        "whose outputs are complete, newer than the input and made with the same "
        "parameters. Exit code 1 when a file failed.",
    )
    p.add_argument("inputs", nargs="+", help="XISF/FITS files, glob patterns or folders")
    p.add_argument("-o", "--outdir", type=Path, required=True, help="output folder")
    p.add_argument("-m", "--mask", type=Path, help="mask image for every input (1 = use)")
    p.add_argument("--device", choices=DEVICES, default="auto")
    p.add_argument("-j", "--jobs", type=int, default=1, help="files fitted at once (processes)")
    p.add_argument(
        "--cluster", metavar="ADDRESS", help="Dask scheduler (tcp://host:8786): one task per file"
    )
    p.add_argument("--force", action="store_true", help="fit even files that are up to date")
    p.add_argument("--quiet", action="store_true", help="no progress")
    add_param_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Find the inputs, run them, write the summary (also when interrupted)."""
    from ..batch.discover import find_inputs
    from ..batch.runner import BatchProgress, run_rows
    from ..batch.summary import JSON_NAME, write_summary
    from ..batch.task import BatchTask

    if args.jobs < 1:
        raise ParameterError(f"--jobs must be at least 1, got {args.jobs}")
    outdir = args.outdir.resolve()
    if outdir.exists() and not outdir.is_dir():
        raise ParameterError(f"-o {outdir} is a file: -o takes the folder to write into")
    inputs = find_inputs(args.inputs, outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    mask = None if args.mask is None else args.mask.resolve()
    task = BatchTask(
        outdir, params_from_args(args), device=args.device, mask=mask, force=args.force
    )
    header = {
        "parameters": task.params.to_dict(),
        "digest": task.digest,
        "mask": None if mask is None else str(mask),
        "device": args.device,
        "runner": f"cluster {args.cluster}" if args.cluster else f"{args.jobs} process(es)",
    }
    progress = BatchProgress(len(inputs), quiet=args.quiet)
    rows: list[dict[str, Any]] = []
    start = time.perf_counter()
    try:
        for row in run_rows(task, inputs, jobs=args.jobs, cluster=args.cluster):
            rows.append(row)
            progress.update(row)
    finally:  # an interrupted batch says what it did and what is left
        progress.close()
        header["elapsed_s"] = round(time.perf_counter() - start, 3)
        header["interrupted"] = len(rows) < len(inputs)
        summary = write_summary(outdir, rows, header, len(inputs))
    if not args.quiet:
        counts = summary["counts"]
        print(
            f"{counts['done']} fitted, {counts['skipped']} up to date, {counts['failed']} "
            f"failed: {outdir / JSON_NAME}"
        )
    return 1 if summary["counts"]["failed"] else 0
