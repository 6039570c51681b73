"""A master through a warm worker: from the upload complete to the results ready, job by job.

What a PixInsight user waits for after the upload: the worker's queue, the engine's read of
the upload, the fit, the model and the correction written as results. Starts its own
``bgoptimizer serve`` on 127.0.0.1 (temporary data dir), uploads one synthetic sky (default
6000x4000 RGB, the quality benchmark's gradients), then runs it ``--jobs`` times with the
default parameters: the first job pays the engine's compilation, the later ones what a warm
worker costs. Reports per job the wall time from ``start`` to ``done``, the job's own stage
timings, and the engine process's peak memory (``VmHWM``). JSON on stdout.

    .venv/bin/python bench/warm_worker.py --size 6000x4000 --jobs 3
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bgoptimizer.engine.synthetic import make_sky
from bgoptimizer.io import write_image
from bgoptimizer.io.image import ImageData
from server import HOST, start_server


def peak_mib(pid: int) -> float:
    """Peak resident memory of a process so far (Linux ``VmHWM``), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def engine_pid(api_pid: int) -> int:
    """The worker's engine process: the API process's child."""
    children = [
        c for t in Path(f"/proc/{api_pid}/task").glob("*/children") for c in t.read_text().split()
    ]
    return int(children[0])


def one_job(client: httpx.Client, image: bytes, limit_s: float) -> dict[str, Any]:
    """Create, upload, then time ``start`` → ``done``; the job's report timings."""
    job_id = client.post("/v1/jobs", json={"params": {}, "name": "bench"}).json()["id"]
    client.put(
        f"/v1/jobs/{job_id}/image",
        content=image,
        headers={"Content-Type": "application/octet-stream"},
    ).raise_for_status()
    started = time.perf_counter()
    client.post(f"/v1/jobs/{job_id}/start").raise_for_status()
    while (state := client.get(f"/v1/jobs/{job_id}").json()["state"]) not in (
        "done",
        "failed",
        "cancelled",
    ):
        if time.perf_counter() - started > limit_s:
            return {"state": state, "wall_s": None}
        time.sleep(0.05)
    wall = time.perf_counter() - started
    report = client.get(f"/v1/jobs/{job_id}/result/report.json").json()
    client.delete(f"/v1/jobs/{job_id}")
    return {
        "state": state,
        "wall_s": round(wall, 2),
        "timings": report.get("timings"),
        "epochs": report.get("fit", {}).get("epochs_run"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="6000x4000", help="WIDTHxHEIGHT")
    ap.add_argument("--jobs", type=int, default=3, help="jobs run one after another")
    ap.add_argument("--max-seconds", type=float, default=300.0, help="bound of each job")
    args = ap.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory(prefix="bgopt-warm-") as tmp:
        path = Path(tmp) / "sky.xisf"
        sky = make_sky(height, width, seed=1)
        write_image(path, ImageData(sky.image, color_space="RGB"))
        del sky
        with socket.socket() as s:
            s.bind((HOST, 0))
            port = int(s.getsockname()[1])
        proc = start_server(Path(tmp) / "data", port, Path(tmp) / "serve.log")
        try:
            client = httpx.Client(base_url=f"http://{HOST}:{port}", timeout=args.max_seconds)
            engine = engine_pid(proc.pid)
            image = path.read_bytes()
            jobs = []
            for _ in range(args.jobs):
                jobs.append(one_job(client, image, args.max_seconds))
                jobs[-1]["engine_peak_mib"] = peak_mib(engine)
                print(json.dumps(jobs[-1]), file=sys.stderr)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    warm = [j["wall_s"] for j in jobs[1:] if j["wall_s"] is not None]
    print(
        json.dumps(
            {
                "size": [width, height],
                "jobs": jobs,
                "first_job_s": jobs[0]["wall_s"],
                "warm_jobs_s": [min(warm), max(warm)] if warm else None,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
