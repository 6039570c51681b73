"""Entry point: builds the sub-command parser and turns errors into one line and exit code 2.

Each sub-command lives in its own module exposing ``add_parser(subparsers)``; heavy imports
(TensorFlow, the web stack) happen inside the command's run function, so ``bgoptimizer info``
and ``--help`` stay fast.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence

from .. import __version__
from ..exceptions import BgoptError
from .native_log import VERBOSE_ENV, native_log_path, native_stderr_to

__all__ = ["build_parser", "main"]

COMMANDS = ("fit", "batch", "preview", "demo", "info", "serve")


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="bgoptimizer",
        description="Sky-background removal with a gradient-descent-fitted spline.",
    )
    parser.add_argument("--version", action="version", version=f"bgoptimizer {__version__}")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="let TensorFlow's native start-up text through, the worker's engines' too (else "
        "it goes to a log file; BGOPT_VERBOSE)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__package__}.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; exit code 0 on success, 2 on a usage or input error."""
    args = build_parser().parse_args(argv)
    if args.verbose:
        os.environ[VERBOSE_ENV] = "1"  # for the worker's engine processes
    verbose = bool(os.environ.get(VERBOSE_ENV))
    quiet_native = not verbose and args.command != "serve"  # serve's engines keep their own
    guard = native_stderr_to(native_log_path()) if quiet_native else contextlib.nullcontext()
    try:
        with guard:
            return int(args.func(args) or 0)
    except BgoptError as exc:
        print(f"bgoptimizer {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"bgoptimizer {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
