"""docker/Dockerfile: hadolint-clean, a pinned base by default, the GPU settings.

What the image does is checked by building and running it (scripts/docker-check, which runs
tests/docker/test_container.py); these are the rules that a run cannot show: lint, pins, and
the GPU variant's settings, which nothing here can run.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from dockerspec import (
    DOCKERFILE,
    ROOT,
    Instruction,
    env_of,
    final_image,
    global_args,
    read_instructions,
)
from packaging.requirements import Requirement

VENV_BIN = Path(sys.executable).parent
INSTRUCTIONS = read_instructions()
IMAGE = final_image(INSTRUCTIONS)
ARGS = dict(i.args.partition("=")[::2] for i in IMAGE if i.keyword == "ARG")
DEPENDENCIES = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def _of(instructions: list[Instruction], keyword: str) -> list[Instruction]:
    return [i for i in instructions if i.keyword == keyword]


def _hadolint(dockerfile: Path, tmp_path: Path) -> list[dict]:
    # An explicit empty config, so no stray .hadolint.yaml can silence a rule.
    config = tmp_path / "hadolint.yaml"
    config.write_text("ignored: []\n")
    done = subprocess.run(
        [VENV_BIN / "hadolint", "--config", config, "--format", "json", dockerfile],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.stderr == "", done.stderr
    return json.loads(done.stdout)


def test_hadolint_has_no_findings(tmp_path: Path) -> None:
    assert _hadolint(DOCKERFILE, tmp_path) == []


def test_hadolint_does_flag_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install flask\n")
    assert {f["code"] for f in _hadolint(bad, tmp_path)} >= {"DL3007", "DL3013"}


def test_every_hadolint_ignore_has_a_reason_above_it() -> None:
    lines = DOCKERFILE.read_text().splitlines()
    for n, line in enumerate(lines):
        if "hadolint ignore=" in line:
            above = lines[n - 1].strip() if n else ""
            assert above.startswith("#") and "hadolint" not in above, f"line {n + 1}: no reason"


def test_base_image_defaults_to_a_pinned_python_slim_and_other_stages_build_on_it() -> None:
    """The stand-in CI builds on is a build argument; users get the real, pinned image."""
    (first, *others) = _of(INSTRUCTIONS, "FROM")
    assert first.args.split()[0] == "${BASE_IMAGE}"
    image = global_args(INSTRUCTIONS)["BASE_IMAGE"]
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", image), image
    assert [o.args.split()[0] for o in others] == ["base", "base"]


def test_pinned_tensorflow_satisfies_pyproject() -> None:
    (tensorflow,) = [Requirement(d) for d in DEPENDENCIES if Requirement(d).name == "tensorflow"]
    assert tensorflow.specifier.contains(ARGS["TF_VERSION"]), (ARGS, tensorflow)
    assert ARGS["VARIANT"] == "gpu"


def test_gpu_driver_capabilities_include_compute() -> None:
    """Without "compute" the toolkit mounts no libcuda and TensorFlow sees no GPU."""
    capabilities = env_of(IMAGE)["NVIDIA_DRIVER_CAPABILITIES"].split(",")
    assert "compute" in capabilities
