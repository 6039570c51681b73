"""Test harness: a real ``bgoptimizer serve`` subprocess on a free loopback port, inputs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bgoptimizer.io.image import ImageData

TINY = {"epochs": 20, "downscale": 2, "samples": 9, "patience": 100, "preview_every": 5}
"""Parameters of a job that finishes in about a second."""

LONG = {
    "epochs": 100000,
    "downscale": 2,
    "samples": 9,
    "patience": 100000,
    "lr_patience": 100000,
    "preview_every": 50,
}
"""Parameters of a job that runs until cancelled."""


OCTET = {"Content-Type": "application/octet-stream"}
"""The header every upload must carry (what the script sends)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One worker process; ``client`` talks to it (with the token when it has one)."""

    def __init__(self, data_dir: Path, *args: str, token: str | None = None) -> None:
        self.data_dir, self.args, self.token = data_dir, args, token
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / f"{data_dir.name}-{self.port}.log"
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def start(self, wait_engine: bool = True) -> Server:
        cmd = [
            sys.executable,
            "-m",
            "bgoptimizer",
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            *self.args,
        ]
        if self.token:
            cmd += ["--token", self.token]
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                health = httpx.get(f"{self.url}/v1/health", timeout=2).json()
                if not wait_engine or health["engine"] == "ready":
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server did not come up:\n{self.log.read_text()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)

    def engine_pid(self) -> int:
        assert self.proc is not None
        tasks = Path(f"/proc/{self.proc.pid}/task").glob("*/children")
        (pid,) = [int(p) for task in tasks for p in task.read_text().split()]
        return pid

    # ---- API helpers ---------------------------------------------------------------------

    def create(self, params: dict[str, Any] | None = None, **body: Any) -> dict[str, Any]:
        r = self.client.post("/v1/jobs", json={"params": params or {}, **body})
        assert r.status_code == 201, r.text
        return r.json()

    def upload(self, job_id: str, kind: str, path: Path, method: str = "PUT") -> httpx.Response:
        return self.client.request(
            method, f"/v1/jobs/{job_id}/{kind}", content=path.read_bytes(), headers=OCTET
        )

    def submit(self, image: Path, params: dict[str, Any], mask: Path | None = None) -> str:
        job = self.create(params)
        assert self.upload(job["id"], "image", image).status_code == 200
        if mask is not None:
            assert self.upload(job["id"], "mask", mask).status_code == 200
        r = self.client.post(f"/v1/jobs/{job['id']}/start")
        assert r.status_code == 202, r.text
        return str(job["id"])

    def status(self, job_id: str) -> dict[str, Any]:
        r = self.client.get(f"/v1/jobs/{job_id}")
        assert r.status_code == 200, r.text
        return r.json()

    def wait(
        self,
        job_id: str,
        states: tuple[str, ...] = ("done", "failed", "cancelled"),
        timeout: float = 60,
        stage: str | None = None,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status(job_id)
            if status["state"] in states and (stage is None or status["stage"] == stage):
                return status
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} never reached {states}: {self.status(job_id)}")


def sky(height: int = 48, width: int = 64, channels: int = 1, seed: int = 1) -> np.ndarray:
    """A gradient plus noise and a few stars: something worth fitting."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    base = 0.1 + 0.05 * x + 0.03 * y**2
    img = base[..., None] + 0.005 * rng.standard_normal((height, width, channels))
    for _ in range(5):
        img[rng.integers(height), rng.integers(width)] += 0.5
    return img.astype(np.float32)


def write_xisf(path: Path, pixels: np.ndarray) -> Path:
    from bgoptimizer.io import write_image

    write_image(path, ImageData(pixels, color_space="RGB" if pixels.shape[2] == 3 else "Gray"))
    return path
