"""One whole job through the HTTP API, as the PixInsight script runs it, against any worker.

Shared by the tests that run a worker installed some other way than the test venv's (a fresh
venv from the wheel, the docker image), so each proves the same client-visible flow.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

QUICK = {"epochs": 20, "downscale": 4, "samples": 9, "patience": 100, "preview_every": 5}
"""Parameters of a job on a 400x300 image that finishes in seconds on a CPU."""

XISF_SIGNATURE = b"XISF0100"


def free_port() -> int:
    """A loopback port nothing listens on now (the worker under test binds it next)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class JobOutcome:
    """What a finished job left: its last status, both result images and the report."""

    status: dict[str, Any]
    corrected: bytes
    background: bytes
    report: dict[str, Any]


def wait_healthy(url: str, timeout: float, alive: Any = None) -> dict[str, Any]:
    """Poll ``/v1/health`` until the engine is ready; ``alive()`` False stops early."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise AssertionError("the worker exited before it answered /v1/health")
        try:
            health = httpx.get(f"{url}/v1/health", timeout=5).json()
            if health.get("engine") == "ready":
                return health
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url}/v1/health never said engine ready within {timeout} s")


def run_job(client: httpx.Client, image: Path, timeout: float = 300) -> JobOutcome:
    """Create, upload ``image``, start, poll to the end, download both results and the report."""
    created = client.post("/v1/jobs", json={"params": QUICK, "name": image.stem})
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    uploaded = client.put(
        f"/v1/jobs/{job_id}/image",
        content=image.read_bytes(),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert uploaded.status_code == 200, uploaded.text
    started = client.post(f"/v1/jobs/{job_id}/start")
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + timeout
    while (status := client.get(f"/v1/jobs/{job_id}").json())["state"] not in (
        "done",
        "failed",
        "cancelled",
    ):
        assert time.monotonic() < deadline, f"job still {status['state']} after {timeout} s"
        time.sleep(0.5)
    assert status["state"] == "done", status
    return JobOutcome(status, *fetch_results(client, job_id))


def fetch_results(client: httpx.Client, job_id: str) -> tuple[bytes, bytes, dict[str, Any]]:
    """A done job's corrected and background XISF and its report, each checked for its form."""
    files = {}
    for name in ("corrected.xisf", "background.xisf", "report.json"):
        r = client.get(f"/v1/jobs/{job_id}/result/{name}")
        assert r.status_code == 200, (name, r.text)
        files[name] = r.content
    for name in ("corrected.xisf", "background.xisf"):
        assert files[name].startswith(XISF_SIGNATURE), name
    return files["corrected.xisf"], files["background.xisf"], json.loads(files["report.json"])
