"""The package's own XISF 1.0 reader and writer (monolithic files)."""

from .reader import probe_xisf, read_xisf
from .writer import write_xisf

__all__ = ["probe_xisf", "read_xisf", "write_xisf"]
