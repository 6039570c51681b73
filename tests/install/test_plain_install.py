"""The wheel installed as a user installs it: a new venv, no extras, then the three commands.

Every other test runs in the dev venv, which has the ``test`` extra; a runtime import that is
declared only there (scipy was) passes them all and breaks the user's first fit. Here the
package gets only ``project.dependencies``, from the same package index as every install on
this machine (pip's own config files), and runs ``demo``, ``fit`` on a real PixInsight XISF
and a whole job through ``serve`` over HTTP.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jobflow import free_port, run_job, wait_healthy
from shared_data import ROOT

pytestmark = pytest.mark.slow

# What the wheel is built from: exactly what a source distribution would carry.
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "worker")
REAL_IMAGE = "pixinsight/xisfsharp_400x300-u16-lz4.xisf"
SERVED_IMAGE = "pixinsight/xisfsharp_400x300-u16-zstd-shuffle.xisf"
TOKEN = "plain-install-token"


def _clean_env() -> dict[str, str]:
    """This process's environment without what points at the dev venv or the repository."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    return env | {"TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}


def _run(cmd: list[str | Path], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        cmd, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{cmd}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def venv_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv holding the wheel and only what its metadata asks for."""
    base = tmp_path_factory.mktemp("plain")
    source = base / "src"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    wheels = base / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", wheels, source], base, 600)
    (wheel,) = wheels.glob("bgoptimizer-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", venv], base, 120)
    _run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel], base, 1200)
    return venv / "bin"


def test_the_wheel_not_the_repository_is_imported(venv_bin: Path, tmp_path: Path) -> None:
    done = _run(
        [venv_bin / "python", "-c", "import bgoptimizer; print(bgoptimizer.__file__)"], tmp_path, 60
    )
    assert Path(done.stdout.strip()).is_relative_to(venv_bin.parent / "lib")
    extras = _run([venv_bin / "python", "-m", "pip", "list", "--format=freeze"], tmp_path, 60)
    assert "pytest==" not in extras.stdout  # no test extra crept in


def test_demo(venv_bin: Path, tmp_path: Path) -> None:
    done = _run(
        [venv_bin / "bgoptimizer", "demo", "-o", tmp_path, "--size", "240x160", "--quiet"],
        tmp_path,
        600,
    )
    assert "residual vs truth: RMS" in done.stdout
    assert (tmp_path / "demo_sky_corrected.xisf").is_file()


def test_fit_a_real_pixinsight_image(venv_bin: Path, real_data: Path, tmp_path: Path) -> None:
    image = real_data / "xisf" / REAL_IMAGE
    _run(
        [
            venv_bin / "bgoptimizer",
            "fit",
            image,
            "-o",
            tmp_path,
            "-e",
            "10",
            "-dx",
            "4",
            "-N",
            "9",
            "--quiet",
        ],
        tmp_path,
        600,
    )
    for suffix in ("corrected", "background"):
        assert (tmp_path / f"{image.stem}_{suffix}.xisf").read_bytes().startswith(b"XISF0100")


@pytest.fixture
def served(venv_bin: Path, tmp_path: Path) -> Iterator[httpx.Client]:
    """``bgoptimizer serve`` from the new venv on a free loopback port, with a token."""
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [
            venv_bin / "bgoptimizer",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            tmp_path / "data",
            "--token",
            TOKEN,
        ],
        cwd=tmp_path,
        env=_clean_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, 120, alive=lambda: proc.poll() is None)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            yield client
    except AssertionError:
        log.flush()
        raise AssertionError((tmp_path / "serve.log").read_text()) from None
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_a_whole_job_through_serve(served: httpx.Client, real_data: Path) -> None:
    outcome = run_job(served, real_data / "xisf" / SERVED_IMAGE)
    assert outcome.report["parameters"]["samples"] == 9
    assert len(outcome.corrected) > 400 * 300 * 4  # float32 at least, uncompressed
