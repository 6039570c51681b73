"""Command-line flags generated from the parameter table, and a terminal progress display.

Each :class:`~bgoptimizer.params.FitParams` field becomes ``--field-name`` (plus its short
flag, e.g. ``-N``); values left out keep the table's default, and validation happens in
:meth:`FitParams.from_mapping` so the CLI, the HTTP API and the dialog share one set of rules.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from typing import TextIO

from ..params import FitParams, param_specs
from ..progress import ProgressEvent, ProgressHooks

__all__ = ["TerminalProgress", "add_param_arguments", "params_from_args"]


def add_param_arguments(
    parser: argparse.ArgumentParser, names: Iterable[str] | None = None
) -> None:
    """Add one option per parameter (all of them, or ``names``) to ``parser``."""
    specs = param_specs()
    group = parser.add_argument_group("fit parameters")
    for name in names or specs:
        kind, default, spec = specs[name]
        flags = [f"--{name.replace('_', '-')}"]
        if spec.short:
            flags.insert(0, spec.short)
        group.add_argument(
            *flags,
            dest=name,
            type=kind,
            choices=spec.choices,
            default=None,
            metavar=None if spec.choices else name.upper(),
            help=f"{spec.help} (default {default})",
        )


def params_from_args(args: argparse.Namespace) -> FitParams:
    """The validated parameters: table defaults overridden by the flags that were given."""
    given = {n: getattr(args, n) for n in param_specs() if getattr(args, n, None) is not None}
    return FitParams.from_mapping(given)


class TerminalProgress:
    """Progress on stderr: a redrawn bar with the loss on a terminal, plain lines otherwise."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty()
        self._last_line = 0.0
        self._stage = ""

    def hooks(self) -> ProgressHooks:
        """Hooks to hand to the pipeline (none when quiet)."""
        return ProgressHooks(on_event=None if self.quiet else self.on_event)

    def on_event(self, event: ProgressEvent) -> None:
        """Draw one event."""
        text = f"{event.stage.value:<11} {event.progress * 100:5.1f}%"
        if event.epoch is not None:
            text += f"  epoch {event.epoch}/{event.epochs}"
        if event.loss is not None:
            text += f"  loss {event.loss:.6g}"
        if self.tty:
            filled = int(event.progress * 30)
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {text}\x1b[K")
            if event.progress >= 1.0:
                self.stream.write("\n")
        else:
            now = time.monotonic()
            new_stage = event.stage.value != self._stage
            if not new_stage and now - self._last_line < 2.0 and event.progress < 1.0:
                return  # a line per stage and at most one every 2 s in a log
            self._stage, self._last_line = event.stage.value, now
            detail = "" if event.epoch is not None else f"  {event.message}"  # no repeats
            self.stream.write(f"{text}{detail}\n")
        self.stream.flush()
