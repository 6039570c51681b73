"""Fixtures shared by every test package: where the real data lives, the fixtures folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shared_data import FIXTURES, REAL_DATA


@pytest.fixture(scope="session")
def real_data() -> Path:
    """``../shared/data/real``: real PixInsight XISF files and real sky FITS images."""
    if not REAL_DATA.is_dir():
        pytest.fail(f"real test data not found at {REAL_DATA} (set BGOPT_SHARED)")
    return REAL_DATA


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """``tests/fixtures``: JSON vectors and API examples shared with the Node tests."""
    return FIXTURES


@pytest.fixture(scope="session", autouse=True)
def worker_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Workers the tests start record themselves here (``BGOPT_STATE_DIR``, inherited by every
    subprocess), never in the user's ``~/.local/state``: a ``kill -9`` test leaves its file."""
    path = tmp_path_factory.mktemp("worker-state")
    os.environ["BGOPT_STATE_DIR"] = str(path)
    return path
