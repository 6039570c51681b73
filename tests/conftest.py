"""Fixtures shared by every test package: where the real data lives, the fixtures folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = Path(os.environ.get("BGOPT_SHARED", ROOT.parent / "shared")).resolve()
REAL_DATA = SHARED / "data" / "real"


def real_files(folder: str, pattern: str = "*") -> list[Path]:
    """The real files matching ``pattern`` in ``REAL_DATA / folder``, for parametrising.

    Raises at collection when there are none: a test over an empty listing must fail, not
    pass by running zero cases.
    """
    found = sorted((REAL_DATA / folder).glob(pattern))
    if not found:
        raise FileNotFoundError(f"no {pattern} in {REAL_DATA / folder} (set BGOPT_SHARED)")
    return found


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
