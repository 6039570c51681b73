"""Worker benchmark on loopback: status latency while a job runs, upload/download throughput
of a large XISF, idle memory. Starts its own ``bgoptimizer serve`` on 127.0.0.1 with a
temporary data dir; every loop is bounded in count and time. JSON on stdout.

    .venv/bin/python bench/server.py --size-mb 300 --requests 2000
    .venv/bin/python bench/server.py --size-mb 50 --requests 500 --max-seconds 60
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bgoptimizer.io import write_image
from bgoptimizer.io.image import ImageData

HOST = "127.0.0.1"


def rss_mb(pid: int) -> float:
    """Resident memory of a process (Linux /proc), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def start_server(data: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "bgoptimizer",
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--data-dir",
        str(data),
        "--max-upload-mb",
        "100000",
        "--log-level",
        "warning",
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{port}/v1/health").json()["engine"] == "ready":
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"worker did not start; see {log}")


def big_xisf(path: Path, size_mb: float) -> None:
    side = int((size_mb * 2**20 / 4) ** 0.5)
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side
    pixels = (0.1 + 0.05 * x + 0.02 * y)[..., None]
    pixels += np.random.default_rng(0).normal(0, 0.002, pixels.shape).astype(np.float32)
    write_image(path, ImageData(pixels.astype(np.float32)), checksum=None)


def transfer(port: int, method: str, path: str, upload: Path | None) -> dict[str, Any]:
    """Time one upload (file body) or download with http.client and 1 MiB blocks, so the
    client's own overhead stays small next to the worker's."""
    conn = http.client.HTTPConnection(HOST, port, blocksize=1 << 20, timeout=600)
    t0 = time.perf_counter()
    if upload is not None:
        size = upload.stat().st_size
        with open(upload, "rb") as fh:
            conn.request(
                method,
                path,
                body=fh,
                headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
            )
            response = conn.getresponse()
            response.read()
    else:
        conn.request(method, path)
        response = conn.getresponse()
        size = 0
        while chunk := response.read(1 << 20):
            size += len(chunk)
    seconds = time.perf_counter() - t0
    conn.close()
    if response.status != 200:
        raise SystemExit(f"{method} {path}: HTTP {response.status}")
    return {
        "bytes": size,
        "seconds": round(seconds, 3),
        "mb_per_s": round(size / 2**20 / seconds, 1),
    }


def status_latency(client: httpx.Client, job_id: str, count: int, limit_s: float) -> dict[str, Any]:
    times = []
    start = time.perf_counter()
    states = set()
    while len(times) < count and time.perf_counter() - start < limit_s:
        t0 = time.perf_counter()
        r = client.get(f"/v1/jobs/{job_id}")
        times.append((time.perf_counter() - t0) * 1000)
        states.add(r.json()["state"])
    wall = time.perf_counter() - start
    times.sort()
    return {
        "requests": len(times),
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(times[int(0.99 * (len(times) - 1))], 2),
        "max_ms": round(times[-1], 2),
        "req_per_s": round(len(times) / wall, 1),
        "states_seen": sorted(states),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=float, default=300.0, help="upload/download file size")
    ap.add_argument("--requests", type=int, default=2000, help="status requests to time")
    ap.add_argument("--max-seconds", type=float, default=120.0, help="bound of each phase")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bgopt-bench-") as tmp:
        tmpdir = Path(tmp)
        with socket.socket() as s:
            s.bind((HOST, 0))
            port = s.getsockname()[1]
        proc = start_server(tmpdir / "data", port, tmpdir / "worker.log")
        try:
            out = run(args, tmpdir, port, proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(json.dumps(out, indent=2))


def run(args: argparse.Namespace, tmpdir: Path, port: int, pid: int) -> dict[str, Any]:
    client = httpx.Client(base_url=f"http://{HOST}:{port}", timeout=args.max_seconds)
    children = [
        c for t in Path(f"/proc/{pid}/task").glob("*/children") for c in t.read_text().split()
    ]
    out: dict[str, Any] = {
        "idle_rss_mb": {"api": rss_mb(pid), "engine": rss_mb(int(children[0]))},
        "size_mb": args.size_mb,
    }
    image = tmpdir / "big.xisf"
    big_xisf(image, args.size_mb)
    job = client.post("/v1/jobs", json={"params": {"epochs": 5, "samples": 9, "downscale": 64}})
    job_id = job.json()["id"]
    out["upload"] = transfer(port, "PUT", f"/v1/jobs/{job_id}/image", image)
    client.post(f"/v1/jobs/{job_id}/start").raise_for_status()
    out["status_while_running"] = status_latency(client, job_id, args.requests, args.max_seconds)
    deadline = time.monotonic() + args.max_seconds
    while client.get(f"/v1/jobs/{job_id}").json()["state"] not in ("done", "failed"):
        if time.monotonic() > deadline:
            out["download"] = None
            return out
        time.sleep(0.2)
    out["download"] = transfer(port, "GET", f"/v1/jobs/{job_id}/result/corrected.xisf", None)
    out["job_elapsed_s"] = client.get(f"/v1/jobs/{job_id}").json()["elapsed"]
    return out


if __name__ == "__main__":
    main()
