"""Flags generated from the parameter table, and the terminal progress display."""

from __future__ import annotations

import argparse
import io

import pytest

from bgoptimizer.cli.options import TerminalProgress, add_param_arguments, params_from_args
from bgoptimizer.exceptions import ParameterError
from bgoptimizer.params import FitParams
from bgoptimizer.progress import ProgressEvent, Stage


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _parser(names=None):
    parser = argparse.ArgumentParser()
    add_param_arguments(parser, names)
    return parser


def test_only_given_flags_override_defaults():
    args = _parser().parse_args(["-N", "12", "--learning-rate", "0.01", "-c", "divide"])
    params = params_from_args(args)
    assert params == FitParams(samples=12, learning_rate=0.01, correction="divide")
    with pytest.raises(ParameterError, match=r"alpha must be in \[0.0, 1000.0\], got -1.0"):
        params_from_args(_parser().parse_args(["-a", "-1"]))


def test_subset_of_flags():
    parser = _parser(("quantile", "target"))
    assert params_from_args(parser.parse_args(["-dq", "0.9"])).quantile == 0.9
    with pytest.raises(SystemExit):
        parser.parse_args(["-N", "3"])


def test_bar_on_a_terminal_and_lines_in_a_log():
    events = [
        ProgressEvent(Stage.OPTIMISING, 0.5, 1.0, "fit", epoch=10, epochs=100, loss=0.0123),
        ProgressEvent(Stage.WRITING, 1.0, 2.0, "done"),
    ]
    tty = _Terminal()
    for e in events:
        TerminalProgress(tty).on_event(e)
    assert tty.getvalue().startswith("\r[" + "#" * 15 + "." * 15 + "] optimising")
    assert "epoch 10/100  loss 0.0123" in tty.getvalue() and tty.getvalue().endswith("\n")
    log = io.StringIO()
    shown = TerminalProgress(log)
    for e in events:
        shown.on_event(e)
    assert log.getvalue().splitlines()[1].startswith("writing")
    assert "\r" not in log.getvalue()
    assert TerminalProgress(log, quiet=True).hooks().on_event is None
