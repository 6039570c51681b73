"""The versions a result or a worker reports, read from package metadata (TensorFlow unimported).

Examples
--------
>>> sorted(versions())
['bgoptimizer', 'numpy', 'python', 'tensorflow']
"""

from __future__ import annotations

import platform
from importlib import metadata

from . import __version__

__all__ = ["tensorflow_version", "versions"]


def tensorflow_version() -> str:
    """TensorFlow's installed version, or ``"not installed"``."""
    try:
        return metadata.version("tensorflow")
    except metadata.PackageNotFoundError:
        return "not installed"


def versions() -> dict[str, str]:
    """Versions of the tool and of what computes its results."""
    return {
        "bgoptimizer": __version__,
        "python": platform.python_version(),
        "numpy": metadata.version("numpy"),
        "tensorflow": tensorflow_version(),
    }
