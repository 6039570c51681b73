"""docker/compose.yaml and docker/.env.example: valid Compose, GPU reserved, loopback only.

The schema is the Compose Specification's JSON schema as vendored by check-jsonschema
(``--builtin-schema vendor.compose-spec``, Apache-2.0, from github.com/compose-spec).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from dockerspec import (
    COMPOSE,
    DOCKERFILE,
    ENV_EXAMPLE,
    ROOT,
    env_of,
    final_image,
    healthcheck_of,
    read_instructions,
)

from bgoptimizer.server.settings import ENV as SETTINGS_ENV

IMAGE = final_image(read_instructions())
SPEC: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())  # resolves the <<: merges
SERVICES: dict[str, dict[str, Any]] = SPEC["services"]


CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHECK_JSONSCHEMA, "--builtin-schema", "vendor.compose-spec", path],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_compose_file_matches_the_compose_schema() -> None:
    done = _validate(COMPOSE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_schema_check_rejects_an_unknown_key(tmp_path: Path) -> None:
    bad = tmp_path / "compose.yaml"
    bad.write_text(COMPOSE.read_text().replace("restart: unless-stopped", "restrat: always"))
    done = _validate(bad)
    assert done.returncode == 1
    assert "'restrat' was unexpected" in done.stdout


def test_gpu_service_reserves_an_nvidia_gpu() -> None:
    (device,) = SERVICES["worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia"
    assert "gpu" in device["capabilities"]
    assert SERVICES["worker"]["build"]["args"]["VARIANT"] == "gpu"


def test_cpu_service_is_opt_in_and_reserves_nothing() -> None:
    cpu = SERVICES["worker-cpu"]
    assert cpu["profiles"] == ["cpu"]
    assert "deploy" not in cpu
    assert cpu["build"]["args"]["VARIANT"] == "cpu"
    assert "profiles" not in SERVICES["worker"]


@pytest.mark.parametrize("name", ["worker", "worker-cpu"])
def test_service_is_built_from_the_repository(name: str) -> None:
    build = SERVICES[name]["build"]
    context = (COMPOSE.parent / build["context"]).resolve()
    assert context == ROOT
    assert context / build["dockerfile"] == DOCKERFILE


@pytest.mark.parametrize("name", ["worker", "worker-cpu"])
def test_port_is_published_on_host_loopback_only(name: str) -> None:
    (port,) = SERVICES[name]["ports"]
    container_port = env_of(IMAGE)["BGOPT_PORT"]
    assert re.fullmatch(rf"127\.0\.0\.1:\$\{{BGOPT_HOST_PORT:-\d+\}}:{container_port}", port)


@pytest.mark.parametrize("name", ["worker", "worker-cpu"])
def test_data_dir_is_a_named_volume(name: str) -> None:
    (volume,) = SERVICES[name]["volumes"]
    source, target = volume.split(":")
    assert source in SPEC["volumes"]
    assert target == env_of(IMAGE)["BGOPT_DATA_DIR"]


@pytest.mark.parametrize("name", ["worker", "worker-cpu"])
def test_token_comes_from_the_git_ignored_env_file(name: str) -> None:
    assert SERVICES[name]["env_file"] == [".env"]
    assert "environment" not in SERVICES[name]
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "docker/.env"], cwd=ROOT, timeout=30, check=False
    )
    assert ignored.returncode == 0, "docker/.env (the real token) must be git-ignored"


@pytest.mark.parametrize("name", ["worker", "worker-cpu"])
def test_restarts_and_health_check_match_the_image(name: str) -> None:
    service = SERVICES[name]
    assert service["restart"] == "unless-stopped"
    options, command = healthcheck_of(IMAGE)
    check = service["healthcheck"]
    assert check["test"] == ["CMD", *command]
    assert {k: str(check[k.replace("-", "_")]) for k in options} == options


def _env_example() -> dict[str, str]:
    """Every ``KEY=VALUE`` line of .env.example, commented-out ones (``#KEY=...``) included."""
    pairs = re.findall(r"^#?([A-Z][A-Z0-9_]*)=(.*)$", ENV_EXAMPLE.read_text(), re.MULTILINE)
    return dict(pairs)


def test_env_example_asks_for_a_token_and_holds_none() -> None:
    example = _env_example()
    assert re.search(r"^BGOPT_TOKEN=$", ENV_EXAMPLE.read_text(), re.MULTILINE)
    assert example["BGOPT_TOKEN"] == ""


def test_env_example_names_only_real_settings() -> None:
    """Anything else would be silently ignored by the worker (or, for these three, break
    the port mapping and the volume the image fixes)."""
    names = set(_env_example()) - {"BGOPT_HOST_PORT"}
    assert names <= set(SETTINGS_ENV.values())
    assert not names & {"BGOPT_HOST", "BGOPT_PORT", "BGOPT_DATA_DIR"}
    assert "${BGOPT_HOST_PORT:-" in COMPOSE.read_text()
