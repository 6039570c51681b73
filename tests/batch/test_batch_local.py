"""``bgoptimizer batch`` in one process and with ``--jobs``: outputs, summary, failures,
reruns that skip what is up to date, Ctrl-C."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from batchdata import FAST, image_outputs, same_images, write_subs

from bgoptimizer.cli.main import main
from bgoptimizer.files import OutputPaths
from bgoptimizer.io import read_image
from shared_data import real_files


@pytest.fixture(scope="module")
def subs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("night") / "lights"
    paths = write_subs(folder, 3)
    (folder / "broken.xisf").write_bytes(b"XISF0100 not really")
    (folder / "notes.txt").write_text("not an image")
    return folder, paths


@pytest.fixture(scope="module")
def first_run(subs, tmp_path_factory):
    folder, _ = subs
    outdir = tmp_path_factory.mktemp("out")
    code = main(["batch", str(folder), "-o", str(outdir), "--quiet", *FAST])
    return outdir, code


def test_every_image_fitted_and_the_broken_one_reported(subs, first_run):
    _, paths = subs
    outdir, code = first_run
    assert code == 1  # one file failed
    summary = json.loads((outdir / "batch.json").read_text())
    assert summary["counts"] == {"done": 3, "skipped": 0, "failed": 1, "left": 0}
    rows = {os.path.basename(r["file"]): r for r in summary["files"]}
    assert rows["broken.xisf"]["status"] == "failed" and "header" in rows["broken.xisf"]["error"]
    for path in paths:
        row = rows[path.name]
        assert row["status"] == "done" and row["epochs"] > 0 and row["seconds"] > 0
        assert len(row["level"]) == len(row["gradient"]) == len(row["residual_sigma"]) == 3
        assert all(0.03 < v < 0.2 for v in row["level"])  # the synthetic sky's level
        assert all(v > 0.005 for v in row["gradient"])  # a moon and a light dome
    for out in image_outputs(paths, outdir):
        assert read_image(out).shape[:2] == (200, 300)


def test_csv_has_a_row_per_file_and_a_column_per_channel(first_run):
    outdir, _ = first_run
    with open(outdir / "batch.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4
    assert {"seconds", "epochs", "objects_pct", "clipped", "residual_sigma_3", "level_1"} <= set(
        rows[0]
    )
    done = [r for r in rows if r["status"] == "done"]
    assert len(done) == 3 and all(float(r["gradient_3"]) > 0 for r in done)
    assert next(r["error"] for r in rows if r["status"] == "failed")


def test_a_rerun_skips_what_is_up_to_date_and_redoes_what_changed(subs, first_run):
    folder, paths = subs
    outdir, _ = first_run
    before = {p: p.stat().st_mtime_ns for p in outdir.iterdir()}
    code = main(["batch", str(folder), "-o", str(outdir), "--quiet", *FAST])
    counts = json.loads((outdir / "batch.json").read_text())["counts"]
    assert (code, counts["skipped"], counts["done"]) == (1, 3, 0)
    images = image_outputs(paths, outdir)
    assert all(p.stat().st_mtime_ns == before[p] for p in images)
    time.sleep(0.01)
    paths[1].touch()  # a re-calibrated sub: newer than its outputs
    main(["batch", str(folder), "-o", str(outdir), "--quiet", *FAST])
    rows = {os.path.basename(r["file"]): r["status"] for r in _files(outdir)}
    assert rows == {"sub_000.xisf": "skipped", "sub_001.xisf": "done", "sub_002.xisf": "skipped",
                    "broken.xisf": "failed"}  # fmt: skip
    for seed in ("3", "0"):  # other parameters, then the first ones back: refitted each time
        main(["batch", str(paths[0]), "-o", str(outdir), "--quiet", *FAST, "--seed", seed])
        assert [r["status"] for r in _files(outdir)] == ["done"]


def test_jobs_give_the_same_outputs_as_one_process(subs, first_run, tmp_path):
    folder, paths = subs
    outdir, _ = first_run
    pattern = str(folder / "sub_*.xisf")
    assert main(["batch", pattern, "-o", str(tmp_path), "--quiet", "--jobs", "2", *FAST]) == 0
    assert {r["status"] for r in _files(tmp_path)} == {"done"}
    assert len({r["worker"] for r in _files(tmp_path)}) == 2  # both processes worked
    for mine, theirs in zip(
        image_outputs(paths, tmp_path), image_outputs(paths, outdir), strict=True
    ):
        assert same_images(mine, theirs), mine.name


def test_a_folder_of_real_fits_images(tmp_path):
    """A real 10 s Seestar sub (``.fit``) and a real mono master (``.fits``), found by folder."""
    inputs = real_files("fits", "*.fit*")
    assert main(["batch", str(inputs[0].parent), "-o", str(tmp_path), "--quiet", *FAST]) == 0
    rows = {Path(r["file"]).name: r for r in _files(tmp_path)}
    assert sorted(rows) == sorted(p.name for p in inputs)
    for path in inputs:
        corrected = OutputPaths.for_input(path, tmp_path).corrected
        assert corrected.suffix == ".fits"  # FITS in, FITS out
        channels = read_image(corrected).shape[2]
        assert channels == read_image(path).shape[2] == len(rows[path.name]["level"])


def test_inputs_that_would_overwrite_each_other_are_refused(subs, tmp_path, capsys):
    _, paths = subs
    twin = tmp_path / "other" / paths[0].name
    twin.parent.mkdir()
    twin.write_bytes(paths[0].read_bytes())
    assert main(["batch", str(paths[0]), str(twin), "-o", str(tmp_path / "o"), *FAST]) == 2
    assert "would write the same outputs" in capsys.readouterr().err
    assert main(["batch", str(tmp_path / "none*.fits"), "-o", str(tmp_path / "o")]) == 2


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_cleanly(tmp_path, jobs):
    paths = write_subs(tmp_path / "in", 8)  # plenty left when the first is done
    outdir = tmp_path / "out"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    args = [sys.executable, "-m", "bgoptimizer", "batch", *map(str, paths), "-o", str(outdir)]
    proc = subprocess.Popen(  # a session of its own: Ctrl-C signals the whole group
        [*args, "--jobs", jobs, *FAST], env=env, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    first = outdir / "sub_000_report.json"
    deadline = time.monotonic() + 120
    while not first.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # the next file is being read, fitted or written
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    summary = json.loads((outdir / "batch.json").read_text())
    assert summary["interrupted"] and summary["counts"]["left"] >= 1, err
    assert summary["counts"]["done"] == len(summary["files"]) >= 1
    leftovers = [p.name for p in outdir.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # no temporary, no half-written file
    for out in image_outputs(paths, outdir):
        if out.exists():
            read_image(out)  # complete


def _files(outdir):
    return json.loads((outdir / "batch.json").read_text())["files"]
