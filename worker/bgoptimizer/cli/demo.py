"""``bgoptimizer demo``: make a synthetic sky, fit it with the defaults, score it.

Needs no data: the README's first command on a fresh machine. It writes the synthetic input
(with its truth) and the usual three results, and prints how far the model is from the truth.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..params import DEVICES

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register the sub-command."""
    p = subparsers.add_parser(
        "demo",
        help="fit a synthetic sky image (no data needed) and compare with its truth",
        description="Makes demo_sky.xisf (light dome + airglow + vignetting over stars, a "
        "small galaxy and nebula, and a large nebula that runs off an edge), fits it with the "
        "default parameters and reports the residual against the known background and how "
        "much of the objects' flux the model absorbed.",
    )
    p.add_argument(
        "-o",
        "--outdir",
        type=Path,
        default=Path("bgoptimizer-demo"),
        help="output folder (default ./bgoptimizer-demo)",
    )
    p.add_argument("--size", default="900x600", help="WIDTHxHEIGHT (default 900x600)")
    p.add_argument("--seed", type=int, default=1, help="synthetic sky seed (default 1)")
    p.add_argument("--device", choices=DEVICES, default="auto")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=run)


def _size(text: str) -> tuple[int, int]:
    from ..exceptions import ParameterError

    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ParameterError(f"--size must look like 900x600, got {text!r}") from None
    if not (64 <= width <= 8000 and 64 <= height <= 8000):
        raise ParameterError(f"--size must be between 64 and 8000 per side, got {text!r}")
    return width, height


def _cached(folder: Path | None) -> set[str]:
    """The compiled executables in the XLA cache folder."""
    return set() if folder is None or not folder.is_dir() else {p.name for p in folder.glob("*.pb")}


def run(args: argparse.Namespace) -> int:
    """Make, fit, score; on a first run (an empty XLA cache) say why it was slow."""
    import time

    from ..engine.runtime.xla_cache import cache_dir

    folder = cache_dir()
    cached = _cached(folder)
    start = time.perf_counter()
    import numpy as np

    from ..engine.synthetic import SMALL_OBJECTS, make_sky, score_model
    from ..files import OutputPaths, run_files

    import_s = time.perf_counter() - start
    from ..io import read_image, write_image
    from ..io.image import ImageData
    from ..params import FitParams
    from .options import TerminalProgress

    width, height = _size(args.size)
    args.outdir.mkdir(parents=True, exist_ok=True)
    sky = make_sky(
        height,
        width,
        gradients=("dome", "airglow", "vignette"),
        objects=(*SMALL_OBJECTS, "large_nebula"),
        seed=args.seed,
    )
    source = args.outdir / "demo_sky.xisf"
    write_image(source, ImageData(sky.image, color_space="RGB"))
    np.savez_compressed(
        args.outdir / "demo_truth.npz",
        background=sky.background,
        extended=sky.extended,
        missing=sky.missing,
    )
    outputs = OutputPaths.for_input(source, args.outdir)
    progress = TerminalProgress(quiet=args.quiet)
    report = run_files(source, outputs, FitParams(), hooks=progress.hooks(), device=args.device)
    scores = score_model(sky, read_image(outputs.background).pixels)
    total = sum(report["timings"].values())
    print(f"input:      {source} ({width}x{height} RGB, truth in demo_truth.npz)")
    print(
        f"background: {outputs.background}\ncorrected:  {outputs.corrected}\n"
        f"report:     {outputs.report}"
    )
    print(f"fit: {report['fit']['epochs_run']} epochs on {report['device']} in {total:.1f} s")
    print(
        f"residual vs truth: RMS {scores['residual_rms_pct']:.2f} %, max "
        f"{scores['residual_max_pct']:.2f} % of the gradient's peak-to-peak; "
        f"{scores['absorbed_pct']:.1f} % of the galaxies' and nebulae's flux absorbed; "
        f"{report['objects']['share_pct']:.1f} % of the frame protected as objects"
    )
    if folder is not None and not cached and _cached(folder) and not args.quiet:
        print(
            f"first run: TensorFlow's import took {import_s:.1f} s, and XLA compiled the fit "
            f"for this image size (seconds on a CPU). The compiled code is now kept in "
            f"{folder}: the next run of this size loads it instead and is faster."
        )
    return 0
