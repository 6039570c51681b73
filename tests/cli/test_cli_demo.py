"""``bgoptimizer demo``: runs with no data and reports the residual against the truth."""

from __future__ import annotations

import numpy as np

from bgoptimizer.cli.main import main


def test_demo(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path), "--size", "240x160", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "residual vs truth: RMS" in out and "% of the frame protected as objects" in out
    names = {p.name for p in tmp_path.iterdir()}
    assert {
        "demo_sky.xisf",
        "demo_truth.npz",
        "demo_sky_corrected.xisf",
        "demo_sky_background.xisf",
        "demo_sky_report.json",
    } <= names
    extended = np.load(tmp_path / "demo_truth.npz")["extended"].max(axis=2)
    nebula = extended > 0.01 * extended.max()  # issue 13: a large nebula that runs off an edge
    edges = np.concatenate([nebula[0], nebula[-1], nebula[:, 0], nebula[:, -1]])
    assert nebula.mean() > 0.2 and edges.any()


def test_demo_bad_size(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path), "--size", "big"]) == 2
    assert "--size must look like 900x600, got 'big'" in capsys.readouterr().err


def test_a_first_run_says_why_it_is_slow_and_the_next_one_does_not(tmp_path):
    """New processes sharing an empty XLA cache folder, as a new user's first two runs."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "BGOPT_XLA_CACHE": str(tmp_path / "xla"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("TF_XLA_FLAGS", None)  # an earlier in-process fit named its own cache folder there
    command = [
        sys.executable,
        "-m",
        "bgoptimizer",
        "demo",
        "-o",
        str(tmp_path),
        "--size",
        "200x130",
    ]
    runs = [
        subprocess.run(command, capture_output=True, text=True, env=env, check=True) for _ in "12"
    ]
    first, second = (run.stdout for run in runs)
    assert "first run: TensorFlow's import took" in first and str(tmp_path / "xla") in first
    assert "XLA compiled the fit" in first
    assert "first run" not in second and "residual vs truth" in second
