"""The worker's state file, on a real ``bgoptimizer serve``: written once the port is bound,
naming a URL that answers; removed on a clean exit; a second worker on the same port refuses
in one line and leaves the first one's record alone; a killed worker's stale record is
replaced by the next worker's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from harness import Server

from bgoptimizer import __version__
from bgoptimizer.server.statefile import local_url, state_dir


@pytest.fixture
def states(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A state dir of this test's own (the harness passes the environment on)."""
    d = tmp_path / "state"
    monkeypatch.setenv("BGOPT_STATE_DIR", str(d))
    return d


def record(states: Path, port: int) -> dict:
    return json.loads((states / f"worker-{port}.json").read_text())


def test_state_file_names_a_worker_that_answers_and_goes_with_it(
    tmp_path: Path, states: Path
) -> None:
    srv = Server(tmp_path / "data").start(wait_engine=False)
    try:
        state = record(states, srv.port)
        assert state["pid"] == srv.proc.pid
        assert state["version"] == __version__
        assert state["url"] == srv.url and state["token_required"] is False
        assert httpx.get(f"{state['url']}/v1/health", timeout=10).json()["version"] == __version__
        assert [p.name for p in states.iterdir()] == [f"worker-{srv.port}.json"], "atomic: no temp"
    finally:
        srv.stop()
    assert srv.proc.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
    assert not (states / f"worker-{srv.port}.json").exists()


def test_second_worker_on_the_port_refuses_and_keeps_the_first_record(
    tmp_path: Path, states: Path
) -> None:
    srv = Server(tmp_path / "data").start(wait_engine=False)
    try:
        cmd = [sys.executable, "-m", "bgoptimizer", "serve", "--port", str(srv.port)]
        second = subprocess.run(
            [*cmd, "--data-dir", str(tmp_path / "data2")],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
        assert second.returncode == 2
        assert "already running" in second.stderr and len(second.stderr.splitlines()) == 1
        assert record(states, srv.port)["pid"] == srv.proc.pid
    finally:
        srv.stop()


def test_a_killed_workers_stale_record_is_replaced(tmp_path: Path, states: Path) -> None:
    first = Server(tmp_path / "data").start(wait_engine=False)
    first.stop(signal.SIGKILL)
    assert record(states, first.port)["pid"] == first.proc.pid, "kill -9 leaves it behind"
    second = Server(tmp_path / "data")
    second.port, second.url = first.port, first.url
    second.client = first.client
    second.start(wait_engine=False)
    try:
        assert record(states, first.port)["pid"] == second.proc.pid
    finally:
        second.stop()


def test_a_state_dir_that_cannot_be_made_does_not_stop_the_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BGOPT_STATE_DIR", str(blocker / "state"))
    srv = Server(tmp_path / "data").start(wait_engine=False)
    try:
        assert httpx.get(f"{srv.url}/v1/health", timeout=10).status_code == 200
    finally:
        srv.stop()
    assert "serving without a state file" in srv.log.read_text()


def test_locations_and_urls() -> None:
    assert state_dir({"BGOPT_STATE_DIR": "/x/y"}) == Path("/x/y")
    assert state_dir({}) == Path.home() / ".local" / "state" / "bgoptimizer"
    assert local_url("0.0.0.0", 8765) == "http://127.0.0.1:8765"
    assert local_url("::1", 9) == "http://[::1]:9"
    assert local_url("localhost", 1) == "http://localhost:1"
