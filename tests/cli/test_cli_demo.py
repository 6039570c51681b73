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
