"""Where the tests find ``../shared`` (``BGOPT_SHARED`` overrides it) and its real files.

A module of its own, not ``conftest``: several ``conftest.py`` exist, and ``import conftest``
would find whichever was loaded first.
"""

from __future__ import annotations

import os
from pathlib import Path

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
