"""The image's own command line and environment, run directly on this machine.

No docker engine here, so this is the closest check of the container: the Dockerfile's CMD
with its ENV (only the port and data dir swapped for a free port and a temp folder, PATH for
this venv) must start a worker that answers /v1/health, refuses requests without the token,
passes the image's HEALTHCHECK, and refuses to start at all without a token.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dockerspec import env_of, exec_form, final_image, healthcheck_of, only, read_instructions

IMAGE = final_image(read_instructions())
COMMAND = exec_form(only(IMAGE, "CMD").args)
_, HEALTHCHECK = healthcheck_of(IMAGE)
TOKEN = "docker-test-token"
START_TIMEOUT_S = 45.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _image_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The Dockerfile's ENV as the container would see it, plus what compose's .env adds."""
    env = env_of(IMAGE)
    assert {"BGOPT_PORT", "BGOPT_DATA_DIR"} <= set(env) and "PATH" not in env
    home = data_dir.parent / "home"
    home.mkdir(exist_ok=True)
    assert env["BGOPT_XLA_CACHE"].startswith(env["BGOPT_DATA_DIR"] + "/")  # in the volume
    env |= {
        "BGOPT_PORT": str(_free_port()),
        "BGOPT_DATA_DIR": str(data_dir),
        "BGOPT_XLA_CACHE": str(data_dir / "xla-cache"),
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(home),
    }
    return env | extra


def _get(port: int, path: str, token: str | None = None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def _stop(proc: subprocess.Popen[str]) -> None:
    """SIGTERM as `docker stop` sends, then make sure nothing of the group is left."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # a straggling engine child, if any


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The image command running with the image environment; yields that environment."""
    env = _image_env(tmp_path_factory.mktemp("docker") / "data", BGOPT_TOKEN=TOKEN)
    proc = subprocess.Popen(
        COMMAND,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"worker exited with {proc.returncode}:\n{proc.stdout.read()}")
            try:
                if _get(int(env["BGOPT_PORT"]), "/v1/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"no /v1/health answer within {START_TIMEOUT_S} s")
            time.sleep(0.2)
        yield env
    finally:
        _stop(proc)


def test_health_answers_without_a_token(worker: dict[str, str]) -> None:
    status, body = _get(int(worker["BGOPT_PORT"]), "/v1/health")
    assert status == 200
    assert body["status"] == "ok"
    assert body["auth_required"] is True
    assert isinstance(body["devices"], list)


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_requests_without_the_right_token_are_refused(
    worker: dict[str, str], token: str | None
) -> None:
    status, body = _get(int(worker["BGOPT_PORT"]), "/v1/jobs/j_000000000000", token)
    assert status == 401
    assert body["error"]["code"] == "unauthorized"


def test_the_token_from_the_environment_is_accepted(worker: dict[str, str]) -> None:
    status, body = _get(int(worker["BGOPT_PORT"]), "/v1/jobs/j_000000000000", TOKEN)
    assert status == 404  # past the token check, to a job that does not exist
    assert body["error"]["code"] == "not_found"


def test_data_goes_to_the_data_dir(worker: dict[str, str]) -> None:
    assert Path(worker["BGOPT_DATA_DIR"]).is_dir()


def test_image_healthcheck_passes(worker: dict[str, str]) -> None:
    done = subprocess.run(HEALTHCHECK, env=worker, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_image_healthcheck_fails_when_nothing_listens(tmp_path: Path) -> None:
    env = _image_env(tmp_path / "data")
    done = subprocess.run(HEALTHCHECK, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert "ConnectionRefusedError" in done.stderr


def test_command_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    env = _image_env(tmp_path / "data")
    assert "BGOPT_TOKEN" not in env
    proc = subprocess.Popen(
        COMMAND, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        _, stderr = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("the worker started without a token")
    finally:
        _stop(proc)
    assert proc.returncode == 2
    assert re.search(r"0\.0\.0\.0 without a token", stderr), stderr
