"""docker/Dockerfile: hadolint-clean, pinned, layered for caching, non-root, one data volume.

No docker engine runs here, so the image is never built: these tests read the Dockerfile and
run the pieces of it that can run outside a container.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from dockerspec import (
    DOCKERFILE,
    ROOT,
    Instruction,
    env_of,
    exec_form,
    final_image,
    only,
    read_instructions,
    stages,
)
from packaging.requirements import Requirement

VENV_BIN = Path(sys.executable).parent
INSTRUCTIONS = read_instructions()
STAGES = dict(stages(INSTRUCTIONS))
IMAGE = final_image(INSTRUCTIONS)
ARGS = dict(i.args.split("=", 1) for i in IMAGE if i.keyword == "ARG")
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


def test_base_image_is_pinned_and_other_stages_build_on_it() -> None:
    (first, *others) = _of(INSTRUCTIONS, "FROM")
    image = first.args.split()[0]
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", image), image
    assert [o.args.split()[0] for o in others] == ["base", "base"]


def test_pinned_tensorflow_satisfies_pyproject() -> None:
    (tensorflow,) = [Requirement(d) for d in DEPENDENCIES if Requirement(d).name == "tensorflow"]
    assert tensorflow.specifier.contains(ARGS["TF_VERSION"]), (ARGS, tensorflow)
    assert ARGS["VARIANT"] == "gpu"


def test_dependencies_install_before_any_code_is_copied() -> None:
    """Neither a code change nor a tool setting in pyproject.toml may reinstall TensorFlow."""
    assert [c.args for c in _of(STAGES["requirements"], "COPY")] == ["pyproject.toml ./"]
    final = stages(INSTRUCTIONS)[-1][1]
    install = next(r for r in _of(final, "RUN") if "requirements.txt" in r.args)
    copies_before = [c.args.split()[0] for c in _of(final, "COPY") if c.line < install.line]
    assert copies_before == ["--from=requirements"]
    code_copy = next(c for c in _of(final, "COPY") if c.args.startswith("worker/"))
    (package_run,) = [r for r in _of(final, "RUN") if r.line > code_copy.line]
    assert package_run.args.split() == ["pip", "install", "--no-cache-dir", "--no-deps", "."]


def _sh(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Docker runs shell-form RUN lines with /bin/sh -c (dash on Debian, as here).
    assert not _of(INSTRUCTIONS, "SHELL")
    return subprocess.run(
        ["/bin/sh", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=30
    )


def _run_dependency_steps(variant: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The requirements stage, then the install line, with ``pip`` recording its call.

    The real install downloads several GB, so a stand-in ``pip`` (a script earlier on PATH)
    writes its arguments and the requirements file it was given; ``python`` is the real one.
    """
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    fake = tmp_path / "bin" / "pip"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho "$@" > pip-args\ncp requirements.txt pip-requirements\n')
    fake.chmod(0o755)
    env = {"PATH": f"{fake.parent}:{VENV_BIN}:/usr/bin:/bin", **ARGS, "VARIANT": variant}
    (listing,) = _of(STAGES["requirements"], "RUN")
    done = _sh(listing.args, tmp_path, env)
    assert done.returncode == 0, done.stderr
    install = next(r for r in _of(IMAGE, "RUN") if "VARIANT" in r.args)
    return _sh(install.args, tmp_path, env)


@pytest.mark.parametrize(
    ("variant", "tensorflow"), [("gpu", "tensorflow[and-cuda]"), ("cpu", "tensorflow")]
)
def test_variant_selects_the_tensorflow_build(
    variant: str, tensorflow: str, tmp_path: Path
) -> None:
    done = _run_dependency_steps(variant, tmp_path)
    assert done.returncode == 0, done.stderr
    pinned = f"{tensorflow}=={ARGS['TF_VERSION']}"
    pip_args = (tmp_path / "pip-args").read_text().split()
    assert pip_args == ["install", "--no-cache-dir", pinned, "-r", "requirements.txt"]
    assert (tmp_path / "pip-requirements").read_text().splitlines() == DEPENDENCIES
    assert not (tmp_path / "requirements.txt").exists()


def test_unknown_variant_stops_the_build(tmp_path: Path) -> None:
    done = _run_dependency_steps("tpu", tmp_path)
    assert done.returncode != 0
    assert re.search(r"VARIANT must be gpu or cpu, not 'tpu'", done.stderr)
    assert not (tmp_path / "pip-args").exists()


def test_runs_as_the_unprivileged_user_that_owns_the_data_dir() -> None:
    uid, gid = _of(IMAGE, "USER")[-1].args.split(":")
    assert uid.isdigit() and int(uid) != 0 and gid.isdigit() and int(gid) != 0
    setup = next(i.args for i in _of(IMAGE, "RUN") if "useradd" in i.args)
    assert f"groupadd --gid {gid} " in setup
    assert f"--uid {uid} --gid {gid} " in setup
    assert re.search(rf"chown \S+ {re.escape(env_of(IMAGE)['BGOPT_DATA_DIR'])}$", setup)


def test_data_dir_is_the_volume_and_port_is_exposed() -> None:
    env = env_of(IMAGE)
    assert exec_form(only(IMAGE, "VOLUME").args) == [env["BGOPT_DATA_DIR"]]
    assert only(IMAGE, "EXPOSE").args == env["BGOPT_PORT"] == "8765"


def test_command_serves_beyond_loopback() -> None:
    assert exec_form(only(IMAGE, "CMD").args) == ["bgoptimizer", "serve", "--host", "0.0.0.0"]
    assert not _of(INSTRUCTIONS, "ENTRYPOINT")
    assert "BGOPT_TOKEN" not in env_of(INSTRUCTIONS), "a token must never be baked in"


def test_gpu_driver_capabilities_include_compute() -> None:
    """Without "compute" the toolkit mounts no libcuda and TensorFlow sees no GPU."""
    capabilities = env_of(IMAGE)["NVIDIA_DRIVER_CAPABILITIES"].split(",")
    assert "compute" in capabilities
