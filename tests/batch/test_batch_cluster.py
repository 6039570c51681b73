"""``bgoptimizer batch --cluster`` on a real Dask cluster started here: a scheduler and two
worker processes; one worker is killed (``kill -9``) while it fits, its files are retried on
the other, and the outputs are those of the local batch bit for bit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from batchdata import FAST, image_outputs, same_images, write_subs

from bgoptimizer.cli.main import main

distributed = pytest.importorskip("distributed")  # the cluster extra; scripts/setup installs it

DASK = Path(sys.executable).with_name("dask")


@pytest.fixture
def cluster(tmp_path):
    """The scheduler's address and the two workers' processes, all stopped afterwards."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    info = tmp_path / "scheduler.json"
    common = ["--scheduler-file", str(info), "--no-dashboard"]
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = [_start([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", *common],
                    logs / "scheduler.log", env)]  # fmt: skip
    try:
        _wait(info.exists, 60, "the scheduler's file")
        address = json.loads(info.read_text())["address"]
        for name in ("w1", "w2"):
            worker = [DASK, "worker", *common, "--name", name, "--host", "127.0.0.1"]
            worker += ["--nworkers", "1", "--nthreads", "1", "--no-nanny"]
            procs.append(_start(worker, logs / f"{name}.log", env))
        with distributed.Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=120)
            yield address, client, procs[1:]
    finally:
        for proc in reversed(procs):
            proc.kill()
            proc.wait()


def test_a_killed_worker_has_its_files_retried_and_outputs_match(cluster, tmp_path):
    address, client, workers = cluster
    inputs = write_subs(tmp_path / "subs", 4)
    local = tmp_path / "local"
    assert main(["batch", *map(str, inputs), "-o", str(local), "--quiet", *FAST]) == 0
    remote = tmp_path / "remote"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    batch = [sys.executable, "-m", "bgoptimizer", "batch", *map(str, inputs), "-o", str(remote)]
    proc = subprocess.Popen([*batch, "--cluster", address, "--quiet", *FAST], env=env)
    try:
        victim, survivor = workers
        addresses = {info["name"]: a for a, info in client.scheduler_info()["workers"].items()}
        victim_address = addresses["w1"]
        _wait(lambda: client.processing().get(victim_address), 120, "a task on w1")
        time.sleep(1.0)  # the task runs: the worker imports TensorFlow, reads, fits
        lost = {key.split("-")[1] for key in client.processing()[victim_address]}
        victim.kill()  # SIGKILL: no cleanup of any kind
        assert proc.wait(timeout=240) == 0
    finally:
        proc.kill()
    rows = {
        Path(r["file"]).stem: r for r in json.loads((remote / "batch.json").read_text())["files"]
    }
    assert {r["status"] for r in rows.values()} == {"done"} and len(rows) == 4
    assert lost  # w1 had a file in hand when it died ...
    for stem in lost:  # ... and it was fitted again by the other worker
        assert rows[stem]["worker"].endswith(f":{survivor.pid}"), rows[stem]
    for mine, theirs in zip(
        image_outputs(inputs, remote), image_outputs(inputs, local), strict=True
    ):
        assert same_images(mine, theirs), mine.name
    assert [p.name for p in remote.iterdir() if p.name.startswith(".")] == []  # no leftovers


def _start(argv, log: Path, env) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [str(a) for a in argv], stdout=out, stderr=subprocess.STDOUT, env=env
        )


def _wait(ready, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} after {timeout} s")
        time.sleep(0.05)
