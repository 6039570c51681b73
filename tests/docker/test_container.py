"""The built worker image, run for real: health, user, token, a whole job, a restart.

Needs a Docker engine and a built image, which scripts/docker-check provides (it runs this
file, in CI as a step of its own). BGOPT_DOCKER_IMAGE names the image, BGOPT_DOCKER the
client; without them the tests are skipped, since a plain ``pytest`` has no engine.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from jobflow import fetch_results, free_port, run_job, wait_healthy

IMAGE = os.environ.get("BGOPT_DOCKER_IMAGE", "")
DOCKER = os.environ.get("BGOPT_DOCKER", "docker")
SERVED_IMAGE = "pixinsight/xisfsharp_400x300-u16-zstd-shuffle.xisf"
TOKEN = "container-check-token"
UNPRIVILEGED_UID = 10001  # the Dockerfile's USER

pytestmark = pytest.mark.skipif(not IMAGE, reason="no image: run scripts/docker-check")


def docker(*args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [DOCKER, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"docker {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout.strip()


@dataclass(frozen=True)
class Container:
    """A running worker container on the host network, its port and its data volume."""

    name: str
    url: str

    def health(self) -> str:
        return docker("inspect", "-f", "{{.State.Health.Status}}", self.name)

    def wait_healthy(self, timeout: float = 180) -> None:
        """Docker's own verdict, from the image's HEALTHCHECK, must reach "healthy"."""
        deadline = time.monotonic() + timeout
        while (status := self.health()) != "healthy":
            assert status in ("starting", ""), docker("logs", self.name)
            assert time.monotonic() < deadline, f"still {status}:\n{docker('logs', self.name)}"
            time.sleep(1)
        wait_healthy(self.url, 60)

    def client(self, token: str | None = TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def container() -> Iterator[Container]:
    """The image started as docs/docker.md says, with a token and a named volume."""
    name = f"bgopt-check-{uuid.uuid4().hex[:8]}"
    port = free_port()
    docker("volume", "create", name)
    try:
        docker(
            "run", "-d", "--name", name, "--network", "host",
            "-e", f"BGOPT_TOKEN={TOKEN}", "-e", f"BGOPT_PORT={port}",
            "-v", f"{name}:/data",
            # The image's HEALTHCHECK command as it is, probed more often than every 30 s.
            "--health-interval", "2s", "--health-start-period", "120s",
            IMAGE,
        )  # fmt: skip
        box = Container(name, f"http://127.0.0.1:{port}")
        box.wait_healthy()
        yield box
    finally:
        subprocess.run([DOCKER, "rm", "-f", name], capture_output=True, timeout=60, check=False)
        subprocess.run([DOCKER, "volume", "rm", name], capture_output=True, timeout=60, check=False)


def test_health_check_is_healthy_and_asks_for_a_token(container: Container) -> None:
    assert container.health() == "healthy"
    with container.client(token=None) as client:
        assert client.get("/v1/health").json()["auth_required"] is True


def test_worker_runs_as_the_unprivileged_user(container: Container) -> None:
    status = docker("exec", container.name, "cat", "/proc/1/status")
    uids = next(line.split()[1:] for line in status.splitlines() if line.startswith("Uid:"))
    assert uids == [str(UNPRIVILEGED_UID)] * 4
    assert "bgoptimizer" in docker("exec", container.name, "cat", "/proc/1/cmdline")


def test_idle_memory_stays_small(container: Container) -> None:
    """Idle, the worker holds TensorFlow and the engine process, no job buffers: well under
    1 GiB (docs/docker.md has the measured figure, which this prints)."""
    usage = docker("stats", "--no-stream", "--format", "{{.MemUsage}}", container.name)
    print(f"\nmeasured: idle container memory (engine ready, no job): {usage}")
    number, unit = re.fullmatch(r"([\d.]+)([KMG]i?B) / .*", usage).groups()
    mib = float(number) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}[unit]
    assert 50 < mib < 1024, usage


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_requests_without_the_token_are_refused(container: Container, token: str | None) -> None:
    with container.client(token) as client:
        r = client.post("/v1/jobs", json={})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"


def test_a_job_runs_and_survives_a_restart(container: Container, real_data: Path) -> None:
    with container.client() as client:
        outcome = run_job(client, real_data / "xisf" / SERVED_IMAGE)
    job_id = outcome.status["id"]
    files = docker("exec", container.name, "find", "/data", "-name", "corrected.xisf")
    assert job_id in files  # in the volume, not somewhere the restart could lose

    docker("restart", container.name)
    container.wait_healthy()
    with container.client() as client:
        status = client.get(f"/v1/jobs/{job_id}").json()
        assert status["state"] == "done", status
        corrected, background, report = fetch_results(client, job_id)
    assert (corrected, background) == (outcome.corrected, outcome.background)
    assert json.dumps(report, sort_keys=True) == json.dumps(outcome.report, sort_keys=True)


def test_the_image_can_join_a_dask_cluster(container: Container) -> None:
    """The image carries the `cluster` extra: a GPU machine runs it as a `dask worker`."""
    out = docker("exec", container.name, "dask", "worker", "--version")
    assert re.search(r"\d+\.\d+", out), out
