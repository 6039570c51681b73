"""XLA's persistent cache: where it goes, that fits fill and reuse it, and that an unreadable
entry costs a recompilation, not the fit.

TensorFlow reads its XLA flags once per process, so the behaviour is checked in child
processes, each with its own cache folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bgoptimizer.engine.runtime import xla_cache

FIT = """
import json
import numpy as np
from bgoptimizer.engine.runtime import xla_cache
from bgoptimizer.engine.model import model_image
from bgoptimizer.engine.fit.driver import fit_spline
from bgoptimizer.params import FitParams

rng = np.random.default_rng(0)
yy, xx = np.mgrid[0:40, 0:60]
image = (0.2 + 0.001 * xx + 0.05 * rng.random((40, 60)))[..., None].astype(np.float32)
coords = (np.stack([yy + 0.5, xx + 0.5], -1) / 60).astype(np.float32)
params = FitParams(samples=9, epochs=5, rejection_passes=0)
fit = fit_spline(image, np.ones_like(image), coords, params, execution="xla")
model = model_image(fit, 40, 60)
print(json.dumps({"folder": str(xla_cache._enabled), "loss": fit.best_loss,
                  "model": float(model.sum())}))
"""


def _fit(env_value: str, tmp_path: Path) -> dict:
    env = {"BGOPT_XLA_CACHE": env_value, "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", FIT], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_fits_fill_the_cache_reuse_it_and_survive_an_unreadable_entry(tmp_path: Path) -> None:
    folder = tmp_path / "xla"
    first = _fit(str(folder), tmp_path)
    assert first["folder"] == str(folder)
    entries = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.pb")}
    assert len(entries) >= 2  # the epoch function and the full-resolution evaluation

    again = _fit(str(folder), tmp_path)  # loaded, not rewritten
    assert again == first
    assert {p.name: p.stat().st_mtime_ns for p in folder.glob("*.pb")} == entries

    for path in folder.glob("*.pb"):
        path.write_bytes(path.read_bytes()[:100])  # truncated, as by a full disk
    recovered = _fit(str(folder), tmp_path)
    assert recovered == first
    assert all(p.stat().st_size > 1000 for p in folder.glob("*.pb"))


PIPELINE = """
import sys
import numpy as np
from bgoptimizer.engine.pipeline import run_image
from bgoptimizer.io.image import ImageData
from bgoptimizer.params import FitParams

passes = int(sys.argv[1])
rng = np.random.default_rng(passes)
yy, xx = np.mgrid[0:400, 0:600] / 600
sky = 0.2 + 0.1 * xx + 0.05 * yy * yy + 0.02 * rng.random((400, 600))
image = ImageData(sky[..., None].astype(np.float32))
run_image(image, FitParams(samples=9, epochs=30, rejection_passes=passes, downscale=8))
"""


def test_another_image_of_one_size_compiles_nothing_new(tmp_path: Path) -> None:
    """The whole pipeline's compiled functions (the fit's epochs, the model's evaluation)
    are found in the cache by a process fitting another image of the same size: a fit that
    does more work (here more rejection passes) must not give the model's evaluation a new
    name."""
    folder = tmp_path / "xla"
    env = {
        "BGOPT_XLA_CACHE": str(folder),
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),  # the tree under test
    }
    entries = []
    for passes in (0, 2):
        done = subprocess.run(
            [sys.executable, "-c", PIPELINE, str(passes)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        entries.append(sorted(p.name for p in folder.glob("*.pb")))
    assert len(entries[0]) >= 2  # the epoch function and the model's grid evaluation
    assert entries[1] == entries[0]


def test_off_leaves_no_folder(tmp_path: Path) -> None:
    result = _fit("off", tmp_path)
    assert result["folder"] == "None"
    assert not (tmp_path / ".cache").exists()


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """This process's cache state and XLA flags, restored afterwards."""
    monkeypatch.setattr(xla_cache, "_enabled", None)
    for name in ("BGOPT_XLA_CACHE", "TF_XLA_FLAGS", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_default_folder_follows_xdg_then_home(fresh: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fresh.setenv("HOME", str(tmp_path))
    assert xla_cache.cache_dir() == tmp_path / ".cache" / "bgoptimizer" / "xla"
    fresh.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert xla_cache.cache_dir() == tmp_path / "xdg" / "bgoptimizer" / "xla"
    for off in ("off", "OFF", "", "0"):
        fresh.setenv("BGOPT_XLA_CACHE", off)
        assert xla_cache.cache_dir() is None


def test_enable_keeps_other_flags_and_a_folder_the_user_chose(
    fresh: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fresh.setenv("BGOPT_XLA_CACHE", str(tmp_path / "mine"))
    fresh.setenv("TF_XLA_FLAGS", "--tf_xla_cpu_global_jit")
    assert xla_cache.enable() == tmp_path / "mine"
    assert (tmp_path / "mine").is_dir()
    assert xla_cache.enable() == tmp_path / "mine"  # idempotent: the flag is not added twice
    flags = os.environ["TF_XLA_FLAGS"]
    assert flags.startswith("--tf_xla_cpu_global_jit ") and flags.count("persistent_cache") == 1

    fresh.setattr(xla_cache, "_enabled", None)
    fresh.setenv("TF_XLA_FLAGS", f"--tf_xla_persistent_cache_directory={tmp_path / 'theirs'}")
    assert xla_cache.enable() is None
    assert "theirs" in os.environ["TF_XLA_FLAGS"] and "mine" not in os.environ["TF_XLA_FLAGS"]


def test_an_unmakeable_folder_switches_the_cache_off(
    fresh: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    fresh.setenv("BGOPT_XLA_CACHE", str(blocker / "xla"))
    assert xla_cache.enable() is None
    assert "TF_XLA_FLAGS" not in os.environ
