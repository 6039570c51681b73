"""``bgoptimizer fit``: model and remove the background of one image file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..exceptions import ParameterError
from ..params import DEVICES
from .options import TerminalProgress, add_param_arguments, params_from_args

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register the sub-command."""
    p = subparsers.add_parser(
        "fit",
        help="fit the background of an image and write the model and the corrected image",
        description="Writes <stem>_background, <stem>_corrected, <stem>_objects (what the "
        "model was kept away from; XISF, or FITS for FITS input) and <stem>_report.json; "
        "the input file is only read.",
    )
    p.add_argument("input", type=Path, help="linear XISF or FITS image")
    p.add_argument("-o", "--outdir", type=Path, help="output folder (default: the input's)")
    p.add_argument("-m", "--mask", type=Path, help="mask image (1 = use, 0 = ignore)")
    p.add_argument("--device", choices=DEVICES, default="auto")
    p.add_argument("--quiet", action="store_true", help="no progress, no summary")
    p.add_argument("--report", action="store_true", help="print the report's summary as JSON")
    add_param_arguments(p)
    p.set_defaults(func=run)


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The few report fields worth printing."""
    fit = report["fit"]
    return {
        "report": report["files"]["report"],
        "epochs_run": fit["epochs_run"],
        "best_loss": fit["best_loss"],
        "stopped_early": fit["stopped_early"],
        "device": report["device"],
        "timings": report["timings"],
        "clipped": report["correction"]["clipped"],
        "objects_pct": report["objects"]["share_pct"],
    }


def run(args: argparse.Namespace) -> int:
    """Fit, write, print where the results are."""
    from ..files import OutputPaths, run_files
    from ..io.atomic import remove_stale_temporaries

    params = params_from_args(args)
    outdir = args.outdir or args.input.parent
    if outdir.exists() and not outdir.is_dir():
        raise ParameterError(f"-o {outdir} is a file: -o takes the folder to write into")
    outdir.mkdir(parents=True, exist_ok=True)
    outputs = OutputPaths.for_input(args.input, outdir)
    for target in (outputs.background, outputs.corrected, outputs.report):
        remove_stale_temporaries(target)  # left by a run killed while it wrote
    progress = TerminalProgress(quiet=args.quiet)
    report = run_files(
        args.input, outputs, params, mask_path=args.mask, hooks=progress.hooks(), device=args.device
    )
    if args.report:
        print(json.dumps(summary(report), indent=2))
    elif not args.quiet:
        print(
            f"background: {outputs.background}\ncorrected:  {outputs.corrected}\n"
            f"objects:    {outputs.objects} "
            f"({report['objects']['share_pct']:.1f} % of the frame kept out of the model)\n"
            f"report:     {outputs.report}"
        )
    return 0
