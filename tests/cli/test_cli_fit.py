"""``bgoptimizer fit``: outputs, flags from the parameter table, one-line errors, exit codes."""

from __future__ import annotations

import hashlib
import json
import os
import re

import numpy as np
import pytest

from bgoptimizer.cli.main import build_parser, main
from bgoptimizer.engine.synthetic import make_sky
from bgoptimizer.io import read_image, write_image
from bgoptimizer.io.image import ImageData
from bgoptimizer.params import param_specs

FAST = ["-e", "5", "-dx", "4"]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fit")
    path = folder / "sky.xisf"
    write_image(
        path, ImageData(make_sky(64, 96, gradients=("moon",), seed=2).image, "Float32", "RGB")
    )
    return path


def test_every_parameter_has_a_flag():
    parser = build_parser()
    for name, (_, default, spec) in param_specs().items():
        for flag in filter(None, (f"--{name.replace('_', '-')}", spec.short)):
            args = parser.parse_args(["fit", "in.xisf", flag, str(default)])
            assert getattr(args, name) == default, flag
    args = parser.parse_args(["fit", "in.xisf", "-m", "m.xisf", "--device", "cpu", "--quiet"])
    assert (str(args.mask), args.device, args.quiet, args.samples) == ("m.xisf", "cpu", True, None)


def test_fit_writes_results_and_leaves_the_input(source, tmp_path, capsys):
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    code = main(["fit", str(source), "-o", str(tmp_path), *FAST, "-N", "9", "--report"])
    assert code == 0
    assert hashlib.sha256(source.read_bytes()).hexdigest() == digest
    summary = json.loads(capsys.readouterr().out)
    report = json.loads((tmp_path / "sky_report.json").read_text())
    assert summary["report"] == str(tmp_path / "sky_report.json")
    assert report["parameters"]["samples"] == 9 and report["parameters"]["epochs"] == 5
    assert (tmp_path / "sky_background.xisf").is_file()
    assert (tmp_path / "sky_corrected.xisf").is_file()
    objects = read_image(tmp_path / "sky_objects.xisf")
    assert objects.shape[2] == 1 and set(np.unique(objects.pixels)) <= {0.0, 1.0}


def test_plain_progress_lines_when_not_a_tty(source, tmp_path, capsys):
    assert main(["fit", str(source), "-o", str(tmp_path), *FAST]) == 0
    captured = capsys.readouterr()
    assert "corrected:" in captured.out
    lines = captured.err.splitlines()
    assert any(line.startswith("optimising") for line in lines)
    assert not any("\r" in line for line in lines)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-N", "2"], r"samples must be in \[3, 512\], got 2"),
        (["-m", "{mask}"], r"mask is 10x10x1 but the image is 96x64x3"),
        (["-tm", "0.5", "-tM", "0.4"], r"threshold_min \(0.5\) must be below threshold_max"),
    ],
)
def test_errors_are_one_line_and_exit_2(source, tmp_path, capsys, extra, message):
    mask = tmp_path / "mask.xisf"
    write_image(mask, ImageData(np.ones((10, 10, 1), np.float32)))
    args = [a.format(mask=mask) for a in extra]
    assert main(["fit", str(source), "-o", str(tmp_path), *FAST, *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after any progress lines
    assert err.startswith("bgoptimizer fit: error: ")
    assert re.search(message, err)


def test_missing_input_and_quiet(tmp_path, capsys):
    assert main(["fit", str(tmp_path / "none.xisf"), "--quiet"]) == 2
    assert "no such file" in capsys.readouterr().err


def _one_error_line(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("bgoptimizer fit: error: ")
    return lines[0]


def test_output_folder_that_is_the_input_file(source, capsys):
    """``-o in.xisf`` used to end in a 12-line FileExistsError traceback and exit 1."""
    assert main(["fit", str(source), "-o", str(source), "--quiet"]) == 2
    assert "is a file: -o takes the folder" in _one_error_line(capsys)


def test_directory_as_input_says_so(tmp_path, capsys):
    assert main(["fit", str(tmp_path), "--quiet"]) == 2
    assert f"{tmp_path} is a directory, not an image file" in _one_error_line(capsys)


def test_stale_temporaries_of_its_own_outputs_are_removed(source, tmp_path, capsys):
    """What a ``kill -9`` while writing leaves; only this run's names, only old ones."""
    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".sky_corrected.xisf.a1b2c3d4.tmp"
    fresh = out / ".sky_background.xisf.zz99yy88.tmp"  # another writer may be at it now
    foreign = out / ".other.xisf.a1b2c3d4.tmp"
    for path in (stale, fresh, foreign):
        path.write_bytes(b"half")
    for path in (stale, foreign):
        os.utime(path, (0, 0))
    mask = tmp_path / "mask.xisf"  # a refused mask stops the run before any fit
    write_image(mask, ImageData(np.ones((10, 10, 1), np.float32)))
    assert main(["fit", str(source), "-o", str(out), "-m", str(mask), "--quiet"]) == 2
    capsys.readouterr()
    assert not stale.exists() and fresh.exists() and foreign.exists()


def test_tensorflow_start_up_text_stays_off_the_terminal(source, tmp_path):
    # A new process, as a user runs it: TensorFlow's native text (written to descriptor 2
    # before its logging starts) goes to the log file; the progress and errors still show.
    import subprocess
    import sys

    from bgoptimizer.cli.native_log import native_log_path

    command = [sys.executable, "-m", "bgoptimizer", "fit", str(source), "-o", str(tmp_path)]
    run = subprocess.run([*command, *FAST], capture_output=True, text=True, check=True)
    assert "absl" not in run.stderr and "I0000" not in run.stderr and "E0000" not in run.stderr
    assert "writing" in run.stderr + run.stdout
    assert native_log_path().is_file()
    bad = subprocess.run([*command, "-N", "1"], capture_output=True, text=True)
    assert bad.returncode == 2 and "error:" in bad.stderr
