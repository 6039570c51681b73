"""The package's exception hierarchy: one base class, a few specific kinds.

Every error carries a stable machine-readable ``code``; the HTTP layer maps the class to a
status code in one place and the CLI prints the message on one line with exit code 2.
"""

__all__ = [
    "BgoptError",
    "CancelledError",
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


class CancelledError(BgoptError):
    """The user asked to stop; raised from inside the engine at the next check."""

    code = "cancelled"


class JobError(BgoptError):
    """A worker job is in a state that does not allow the request."""

    code = "job_state"
