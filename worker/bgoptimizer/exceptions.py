"""The package's exception hierarchy: one base class, a few specific kinds.

Every error carries a stable machine-readable ``code``; the HTTP layer maps the class to a
status code in one place and the CLI prints the message on one line with exit code 2.
"""

import errno
import os
import shutil

__all__ = [
    "BgoptError",
    "CancelledError",
    "DiskFullError",
    "FormatError",
    "JobError",
    "MaskError",
    "NumericalError",
    "ParameterError",
    "ResourceError",
    "XISFError",
]


class BgoptError(Exception):
    """Base of every error bgoptimizer raises on purpose."""

    code = "error"


class FormatError(BgoptError):
    """An image file cannot be read or written (corrupt, hostile, unsupported)."""

    code = "bad_image"


class XISFError(FormatError):
    """An XISF file is malformed, hostile or uses a feature that is not supported."""

    code = "bad_xisf"


class ParameterError(BgoptError, ValueError):
    """A parameter is unknown or outside its allowed range; the message names it."""

    code = "bad_parameter"


class MaskError(ParameterError):
    """A user mask does not match the image (size, channels, values)."""

    code = "bad_mask"


class NumericalError(BgoptError):
    """The fit produced non-finite values or a singular system it could not recover from."""

    code = "numerical"


class ResourceError(BgoptError):
    """Memory, disk or a size budget ran out."""

    code = "resources"


class DiskFullError(ResourceError):
    """A write failed because the disk (or the user's quota) is full.

    The message says so, with the space left in ``folder`` and, when known, how much the
    operation needs, so that the user frees space instead of suspecting the image.
    """

    CODES = frozenset({errno.ENOSPC, errno.EDQUOT})
    """The ``errno`` values that mean "no space left"."""

    def __init__(self, folder: "os.PathLike[str] | str", needed: int | None = None) -> None:
        self.folder, self.needed = os.fspath(folder), needed
        try:
            free = f"{shutil.disk_usage(self.folder).free / 2**20:.1f} MB"
        except OSError:
            free = "unknown space"
        want = "" if needed is None else f"; it needs at least {needed / 2**20:.1f} MB"
        super().__init__(f"the disk is full: {self.folder} has {free} free{want}")

    @classmethod
    def caused(cls, exc: BaseException) -> bool:
        """Whether ``exc`` or one of its causes is a "no space left" ``OSError``."""
        seen: BaseException | None = exc
        while seen is not None:
            if isinstance(seen, cls) or (isinstance(seen, OSError) and seen.errno in cls.CODES):
                return True
            seen = seen.__cause__
        return False


class CancelledError(BgoptError):
    """The user asked to stop; raised from inside the engine at the next check."""

    code = "cancelled"


class JobError(BgoptError):
    """A worker job is in a state that does not allow the request."""

    code = "job_state"
