"""``bgoptimizer preview``: the stretched, downscaled image with masked areas tinted.

It is what the PixInsight dialog shows while the stretch and the thresholds are tuned: the
working image the fit will see, red where the weight mask leaves pixels out.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .options import add_param_arguments, params_from_args

__all__ = ["add_parser", "run"]

PREVIEW_PARAMS = ("quantile", "target", "threshold_min", "threshold_max", "downscale_function")


def add_parser(subparsers: Any) -> None:
    """Register the sub-command."""
    p = subparsers.add_parser(
        "preview",
        help="write the stretched working image with masked areas tinted (PNG)",
        description="Shows what the fit sees: the image stretched and downscaled as the fit "
        "does it, red where the thresholds or the mask leave pixels out.",
    )
    p.add_argument("input", type=Path, help="linear XISF or FITS image")
    p.add_argument("-o", "--output", type=Path, required=True, help="PNG file to write")
    p.add_argument("-m", "--mask", type=Path, help="mask image (1 = use, 0 = ignore)")
    p.add_argument(
        "--max-size",
        type=int,
        default=1024,
        help="longest side of the preview in pixels (default 1024)",
    )
    add_param_arguments(p, PREVIEW_PARAMS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the working image and write the PNG."""
    from ..engine.downscale import auto_factor
    from ..engine.preview import tint
    from ..engine.working import prepare
    from ..exceptions import ParameterError
    from ..io import read_image
    from ..io.png import write_png

    if args.max_size < 16:
        raise ParameterError(f"--max-size must be at least 16, got {args.max_size}")
    inputs = [p.resolve() for p in (args.input, args.mask) if p is not None]
    if args.output.resolve() in inputs:
        raise ParameterError(f"refusing to overwrite the input {args.output}")
    params = params_from_args(args)
    image = read_image(args.input)
    mask = None if args.mask is None else read_image(args.mask).pixels
    height, width, _ = image.shape
    factor = auto_factor(height, width, args.max_size)
    work = prepare(image.pixels, params, mask=mask, factor=factor)
    write_png(args.output, tint(work.display(), work.weight))
    h, w, _ = work.image.shape
    print(f"preview: {args.output} ({w}x{h}, 1/{factor} scale)")
    return 0
