"""Token handling, the loopback rule, and retention on a real worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fixtures_api import check, load, send
from harness import TINY, Server

from bgoptimizer.exceptions import ParameterError
from bgoptimizer.server.settings import Settings


def test_token_guards_everything_but_health(tmp_path: Path, inputs: dict[str, Path]) -> None:
    server = Server(
        tmp_path / "data",
        "--retention-hours",
        "0.0005",
        "--cleanup-interval",
        "0.2",
        token="s3cret",
    ).start(wait_engine=False)
    try:
        anonymous = httpx.Client(base_url=server.url, timeout=10)
        health = anonymous.get("/v1/health")
        assert health.status_code == 200 and health.json()["auth_required"] is True
        (example,) = load("auth")
        check(example, send(anonymous, example, None, inputs))
        for method, path in [("GET", "/v1/jobs/j_000000000000"), ("POST", "/v1/jobs")]:
            r = anonymous.request(method, path, headers={"Authorization": "Basic s3cret"})
            assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
        job = server.create(TINY)  # the server's client sends the right token
        assert server.status(job["id"])["state"] == "created"
        deadline = time.monotonic() + 10  # retention: 1.8 s, swept every 0.2 s
        while server.client.get(f"/v1/jobs/{job['id']}").status_code == 200:
            assert time.monotonic() < deadline, "retention never removed the job"
            time.sleep(0.2)
        assert not (tmp_path / "data" / "jobs" / job["id"]).exists()
    finally:
        server.stop()


def test_refuses_to_listen_beyond_loopback_without_a_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BGOPT_TOKEN"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bgoptimizer",
            "serve",
            "--host",
            "0.0.0.0",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode == 2
    assert "refusing to listen on 0.0.0.0 without a token" in proc.stderr


def test_environment_variables_configure_the_worker(tmp_path: Path) -> None:
    settings = Settings.load(
        {}, {"BGOPT_PORT": "9000", "BGOPT_DATA_DIR": str(tmp_path), "BGOPT_HOST": "::1"}
    )
    assert (settings.port, settings.data_dir, settings.host) == (9000, tmp_path, "::1")
    assert Settings.load({"port": 9100}, {"BGOPT_PORT": "9000"}).port == 9100
    assert Settings.load({"host": "0.0.0.0"}, {"BGOPT_TOKEN": "t"}).token == "t"
    origins = {"BGOPT_ALLOWED_ORIGINS": "http://localhost:3000, http://127.0.0.1:5173"}
    assert Settings.load({}, origins).allowed_origins == (
        "http://localhost:3000",
        "http://127.0.0.1:5173",
    )
    assert Settings.load({"allowed_origins": ["http://a.test"]}, origins).allowed_origins == (
        "http://a.test",
    )
    assert Settings.load({}, {}).allowed_origins == ()


@pytest.mark.parametrize(
    ("overrides", "environ", "message"),
    [
        ({}, {"BGOPT_PORT": "many"}, r"BGOPT_PORT \(port\) must be int, got 'many'"),
        ({"host": "192.168.1.5"}, {}, "refusing to listen on 192.168.1.5 without a token"),
        ({"host": "example.org"}, {}, "refusing to listen on example.org without a token"),
        ({"device": "tpu"}, {}, "device must be one of auto, cpu, gpu, got 'tpu'"),
        ({"max_queue": 0}, {}, "max_queue must be positive, got 0"),
        ({}, {"BGOPT_RETENTION_HOURS": "-1"}, "retention_hours must be positive, got -1.0"),
    ],
)
def test_bad_settings_are_refused(
    overrides: dict[str, Any], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ParameterError, match=message):
        Settings.load(overrides, environ)
