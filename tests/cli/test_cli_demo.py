"""``bgoptimizer demo``: runs with no data and reports the residual against the truth."""

from __future__ import annotations

from bgoptimizer.cli.main import main


def test_demo(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path), "--size", "240x160", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "residual vs truth: RMS" in out
    names = {p.name for p in tmp_path.iterdir()}
    assert {
        "demo_sky.xisf",
        "demo_truth.npz",
        "demo_sky_corrected.xisf",
        "demo_sky_background.xisf",
        "demo_sky_report.json",
    } <= names


def test_demo_bad_size(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path), "--size", "big"]) == 2
    assert "--size must look like 900x600, got 'big'" in capsys.readouterr().err
