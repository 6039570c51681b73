"""The runner's state machine, driven by :meth:`Runner.drain` on the test's own thread: jobs
are queued, the queue is run to empty, the final states are read. No sleep, no polling;
the engine is the real engine process (one for the module)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import TINY

from bgoptimizer.io import probe
from bgoptimizer.server.errors import QueueFullError
from bgoptimizer.server.runner import Runner
from bgoptimizer.server.settings import Settings
from bgoptimizer.server.store import JobState, JobStore


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    data = tmp_path_factory.mktemp("drain")
    store = JobStore(data)
    runner = Runner(store, Settings(data_dir=data, max_queue=3))
    runner.start(thread=False)
    yield runner
    runner.stop()


def _job(runner: Runner, image: Path, **params: object) -> str:
    """A created job with its image in place, as an upload leaves it."""
    record = runner.store.create(name=None, params={**TINY, **params})
    runner.store.paths(record.id).image.write_bytes(image.read_bytes())
    info = probe(image)[0]
    shape = {"width": info.width, "height": info.height, "channels": info.channels}
    runner.store.update(record.id, image={"bytes": image.stat().st_size, **shape})
    return record.id


def test_queue_runs_in_order_to_done(runner: Runner, inputs: dict[str, Path]) -> None:
    jobs = [_job(runner, inputs["image"], seed=i) for i in range(3)]
    for position, job in enumerate(jobs, 1):
        assert runner.enqueue(job)[1] == position
    runner.drain()
    records = [runner.store.get(job) for job in jobs]
    assert [r.state for r in records] == [JobState.DONE] * 3
    started = [r.started_at for r in records]
    assert started == sorted(started), "not FIFO"
    for record in records:
        assert record.progress == 1.0 and "corrected.xisf" in record.results
        assert runner.store.paths(record.id).result("corrected.xisf").is_file()
        assert not runner.store.paths(record.id).work.exists()
    assert runner.health()["busy"] is False and runner.health()["queue_length"] == 0


def test_cancelled_while_queued_never_runs(runner: Runner, inputs: dict[str, Path]) -> None:
    first, second = _job(runner, inputs["image"]), _job(runner, inputs["image"])
    runner.enqueue(first)
    runner.enqueue(second)
    assert runner.cancel(second).state == JobState.CANCELLED
    runner.drain()
    assert runner.store.get(first).state == JobState.DONE
    cancelled = runner.store.get(second)
    assert cancelled.state == JobState.CANCELLED and cancelled.started_at is None


def test_full_queue_and_wrong_states_are_refused(runner: Runner, inputs: dict[str, Path]) -> None:
    jobs = [_job(runner, inputs["image"]) for _ in range(4)]
    for job in jobs[:3]:
        runner.enqueue(job)
    with pytest.raises(QueueFullError):
        runner.enqueue(jobs[3])
    assert runner.store.get(jobs[3]).state == JobState.CREATED
    for job in jobs[:3]:  # none dispatched yet: no step has run
        assert runner.cancel(job).state == JobState.CANCELLED
    runner.drain()
    with pytest.raises(Exception, match="only a created job can start"):
        runner.enqueue(jobs[0])
    no_image = runner.store.create(name=None, params=TINY).id
    with pytest.raises(Exception, match="no image yet"):
        runner.enqueue(no_image)


def test_engine_failure_fails_the_job_not_the_queue(
    runner: Runner, inputs: dict[str, Path]
) -> None:
    broken = _job(runner, inputs["image"])
    runner.store.paths(broken).image.write_bytes(b"XISF0100 not really")  # lost after upload
    after = _job(runner, inputs["image"])
    runner.enqueue(broken)
    runner.enqueue(after)
    runner.drain()
    failed = runner.store.get(broken)
    assert failed.state == JobState.FAILED and failed.error is not None
    assert failed.error["code"] == "bad_xisf", failed.error
    assert runner.store.get(after).state == JobState.DONE
