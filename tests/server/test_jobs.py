"""Jobs end to end on the real worker: full flow, cancel, engine crash, 20 concurrent jobs."""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from harness import LONG, TINY, Server, write_xisf

from bgoptimizer.io import probe, read_image


def _download(server: Server, job_id: str, name: str, into: Path) -> Path:
    r = server.client.get(f"/v1/jobs/{job_id}/result/{name}")
    assert r.status_code == 200, r.text
    path = into / f"{job_id}_{name}"
    path.write_bytes(r.content)
    return path


def test_full_flow_on_a_real_file_with_a_mask(
    server: Server, real_data: Path, tmp_path: Path
) -> None:
    image = real_data / "xisf/pixinsight/xisfsharp_400x300-f32.xisf"
    info = probe(image)[0]
    mask = np.ones((info.height, info.width, 1), np.float32)
    mask[: info.height // 4] = 0
    mask_path = write_xisf(tmp_path / "mask.xisf", mask)
    params = {**TINY, "downscale": 8, "preview_every": 2}
    job_id = server.submit(image, params, mask=mask_path)
    seen = []
    while (status := server.status(job_id))["state"] not in ("done", "failed"):
        seen.append(status)
        time.sleep(0.05)
    assert status["state"] == "done", status
    assert status["mask"]["width"] == info.width and status["image"]["height"] == info.height
    assert status["progress"] == 1.0 and status["elapsed"] > 0 and status["stage"] is None
    assert status["preview_version"] >= 2
    assert {s["stage"] for s in seen} & {"optimising", "evaluating", "reading"}
    corrected = read_image(_download(server, job_id, "corrected.xisf", tmp_path))
    assert corrected.pixels.shape == (info.height, info.width, info.channels)
    background = read_image(_download(server, job_id, "background.xisf", tmp_path))
    objects = read_image(_download(server, job_id, "objects.xisf", tmp_path))
    assert objects.shape[:2] == background.shape[:2] and objects.shape[2] == 1
    assert np.isfinite(background.pixels).all()
    report = json.loads(_download(server, job_id, "report.json", tmp_path).read_text())
    assert report["parameters"]["downscale"] == 8 and report["files"]["mask"] == "mask.xisf"
    png = _download(server, job_id, "preview.png", tmp_path).read_bytes()
    assert png.startswith(b"\x89PNG")


def test_cancel_while_running_takes_effect_within_a_second(server: Server, inputs) -> None:
    job_id = server.submit(inputs["image"], LONG)
    running = server.wait(job_id, ("running",), stage="optimising")
    while server.status(job_id)["epoch"] is None:  # past compilation: really fitting
        time.sleep(0.05)
    assert running["queue_position"] is None
    t0 = time.monotonic()
    r = server.client.post(f"/v1/jobs/{job_id}/cancel")
    assert r.status_code == 202 and r.json()["cancel_requested"] is True
    status = server.wait(job_id, ("cancelled",), timeout=5)
    assert time.monotonic() - t0 < 1.5
    assert status["error"] is None
    assert server.client.get(f"/v1/jobs/{job_id}/result/corrected.xisf").status_code == 409
    again = server.client.post(f"/v1/jobs/{job_id}/cancel")
    assert again.status_code == 202 and again.json()["state"] == "cancelled"


def test_engine_crash_fails_the_job_and_the_api_survives(server: Server, inputs) -> None:
    job_id = server.submit(inputs["image"], LONG)
    server.wait(job_id, ("running",), stage="optimising")
    os.kill(server.engine_pid(), signal.SIGKILL)
    status = server.wait(job_id, ("failed",), timeout=10)
    assert status["error"]["code"] == "engine_crashed"
    assert "signal 9" in status["error"]["message"]
    assert server.client.get("/v1/health").json()["status"] == "ok"
    deadline = time.monotonic() + 90  # a fresh engine is warmed at once, not on demand
    while server.client.get("/v1/health").json()["engine"] != "ready":
        assert time.monotonic() < deadline, "no new engine after the crash"
        time.sleep(0.2)
    after = server.submit(inputs["image"], TINY)
    assert server.wait(after, timeout=90)["state"] == "done"


def test_twenty_concurrent_jobs_all_finish_in_order_like_a_sequential_run(
    server: Server, inputs, tmp_path: Path
) -> None:
    reference = server.submit(inputs["image"], TINY)
    assert server.wait(reference)["state"] == "done"
    expected = read_image(_download(server, reference, "corrected.xisf", tmp_path)).pixels
    with ThreadPoolExecutor(20) as pool:
        ids = list(pool.map(lambda _: server.submit(inputs["image"], TINY), range(20)))
    finals = [server.wait(job_id, timeout=150) for job_id in ids]
    assert [s["state"] for s in finals] == ["done"] * 20
    # FIFO: in start order, queue times never go back. (Not "sorted by queued_at equals
    # sorted by started_at": times are to the millisecond, and 20 concurrent submissions can
    # share one, in which case sorting keeps the submission threads' order, not the queue's.)
    by_start = sorted(finals, key=lambda s: s["started_at"])
    queued = [s["queued_at"] for s in by_start]
    assert queued == sorted(queued), "a job started before one queued earlier"
    for job_id in ids:
        got = read_image(_download(server, job_id, "corrected.xisf", tmp_path)).pixels
        np.testing.assert_array_equal(got, expected)
    assert server.client.get("/v1/health").json()["queue_length"] == 0


def test_delete_running_job_stops_it_and_removes_its_files(server: Server, inputs) -> None:
    job_id = server.submit(inputs["image"], LONG)
    server.wait(job_id, ("running",))
    r = server.client.post(f"/v1/jobs/{job_id}/delete")
    assert r.status_code == 200 and r.json() == {"id": job_id, "deleted": True}
    assert server.client.get(f"/v1/jobs/{job_id}").status_code == 404
    assert not (server.data_dir / "jobs" / job_id).exists()
    assert server.client.get("/v1/health").json()["busy"] is False
