"""Fixtures of the worker tests: small XISF inputs and one shared worker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from harness import Server, sky, write_xisf


@pytest.fixture(scope="session")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small synthetic image and masks, written by the project's own XISF writer."""
    d = tmp_path_factory.mktemp("inputs")
    mask = np.ones((48, 64, 1), np.float32)
    mask[10:20, 10:30] = 0
    return {
        "image": write_xisf(d / "sky.xisf", sky()),
        "mask": write_xisf(d / "mask.xisf", mask),
        "small_mask": write_xisf(d / "small_mask.xisf", mask[:20]),
    }


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The shared worker: small upload limit, room for 20 queued jobs."""
    srv = Server(
        tmp_path_factory.mktemp("worker") / "data", "--max-upload-mb", "1", "--max-queue", "30"
    ).start()
    yield srv
    srv.stop()
