"""A job's status view is one moment's: never "queued" without its place in the queue.

The runner may dispatch a job between the moment a route reads its record and the moment the
view asks for the queue position; the view must then show the job as it is (running), and
starting a job answers with the position read together with the queued record.
"""

from __future__ import annotations

from pathlib import Path

from bgoptimizer.server.runner import Runner
from bgoptimizer.server.service import job_status
from bgoptimizer.server.settings import Settings
from bgoptimizer.server.store import JobState, JobStore


def _runner(tmp_path: Path) -> Runner:
    return Runner(JobStore(tmp_path), Settings(data_dir=tmp_path))  # not started: no engine


def test_a_record_that_left_the_queue_meanwhile_is_read_again(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    job = runner.store.create(name=None, params={})
    stale = runner.store.update(job.id, state=JobState.QUEUED)
    runner.store.update(job.id, state=JobState.RUNNING)  # what a dispatch does, under its lock
    view = job_status(stale, runner)
    assert view["state"] == "running" and view["queue_position"] is None


def test_the_start_answer_keeps_the_position_read_with_its_record(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    job = runner.store.create(name=None, params={})
    queued = runner.store.update(job.id, state=JobState.QUEUED)
    view = job_status(queued, runner, position=2)
    assert view["state"] == "queued" and view["queue_position"] == 2
