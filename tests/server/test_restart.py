"""Durability: a full queue answers 429; after ``kill -9`` and a restart on the same data
dir, done jobs still serve, queued ones run, the interrupted one failed, nothing partial."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from fixtures_api import check, load, send
from harness import LONG, TINY, Server


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def test_kill_9_then_restart(tmp_path: Path, inputs: dict[str, Path]) -> None:
    data = tmp_path / "data"
    first = Server(data, "--max-queue", "1").start()
    try:
        done = first.submit(inputs["image"], TINY)
        assert first.wait(done)["state"] == "done"
        served = first.client.get(f"/v1/jobs/{done}/result/corrected.xisf").content
        interrupted = first.submit(inputs["image"], LONG)
        first.wait(interrupted, ("running",), stage="optimising")
        queued = first.submit(inputs["image"], TINY)
        assert first.status(queued)["queue_position"] == 1
        (example,) = load("queue_full")
        refused = str(first.create(TINY)["id"])
        assert first.upload(refused, "image", inputs["image"]).status_code == 200
        check(example, send(first.client, example, refused, inputs))
        engine = first.engine_pid()
        (data / "jobs" / interrupted / "work").mkdir(exist_ok=True)
        (data / "jobs" / interrupted / "work" / "corrected.xisf").write_bytes(b"half")
        cut_short = data / "jobs" / done / ".job.json.a1b2c3d4.tmp"  # a record write killed
        first.stop(signal.SIGKILL)
        cut_short.write_bytes(b'{"half')
        deadline = time.monotonic() + 10
        while _pid_alive(engine) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _pid_alive(engine), "the engine outlived the worker"
    finally:
        first.stop(signal.SIGKILL)

    second = Server(data).start(wait_engine=False)
    try:
        assert second.status(done)["state"] == "done"
        assert second.client.get(f"/v1/jobs/{done}/result/corrected.xisf").content == served
        failed = second.status(interrupted)
        assert failed["state"] == "failed" and failed["error"]["code"] == "worker_restarted"
        r = second.client.get(f"/v1/jobs/{interrupted}/result/corrected.xisf")
        assert r.status_code == 409 and r.json()["error"]["code"] == "not_ready"
        assert not (data / "jobs" / interrupted / "work").exists()
        assert not cut_short.exists()
        assert second.status(refused)["state"] == "created"
        assert second.wait(queued, timeout=90)["state"] == "done"
    finally:
        second.stop()
