"""Choose the reader/writer from the file name: ``.xisf`` or ``.fit``/``.fits``/``.fts``."""

from __future__ import annotations

import os
from pathlib import Path

from ..exceptions import FormatError, ParameterError
from .image import ImageData
from .info import ImageInfo
from .xisf import probe_xisf, read_xisf, write_xisf

__all__ = ["DEFAULT_MAX_PIXELS", "probe", "read_image", "require_file", "write_image"]

DEFAULT_MAX_PIXELS = 600_000_000
FITS_SUFFIXES = (".fit", ".fits", ".fts")


def _family(path: str | os.PathLike[str]) -> str:
    suffix = Path(path).suffix.lower()
    if suffix == ".xisf":
        return "xisf"
    if suffix in FITS_SUFFIXES:
        return "fits"
    raise FormatError(
        f"{os.fspath(path)}: unknown image type {suffix!r} (use .xisf, .fit, .fits, .fts)"
    )


def require_file(path: str | os.PathLike[str]) -> None:
    """Refuse a missing input, and say so when it is a folder rather than a file."""
    if Path(path).is_dir():
        raise FormatError(f"{os.fspath(path)} is a directory, not an image file")
    if not Path(path).is_file():
        raise FormatError(f"{os.fspath(path)}: no such file")


def read_image(
    path: str | os.PathLike[str], *, index: int = 0, max_pixels: int = DEFAULT_MAX_PIXELS
) -> ImageData:
    """Read one image as float32 (H, W, C) with its metadata.

    Parameters
    ----------
    path
        ``.xisf`` or ``.fit``/``.fits``/``.fts`` file.
    index
        Which image of the file (the first by default).
    max_pixels
        Pixel budget (width x height x channels) checked from the header before allocating.

    Returns
    -------
    ImageData
        Writable C-contiguous float32 pixels; integer samples normalised to [0, 1].

    Raises
    ------
    XISFError, FormatError
        The file is missing, malformed, hostile, unsupported or over the budget; the message
        says what and where.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "m42.xisf"
    ...     write_image(path, ImageData(np.full((40, 60, 3), 0.25, np.float32), color_space="RGB"))
    ...     image = read_image(path)
    >>> image.pixels.shape, float(image.pixels.max())
    ((40, 60, 3), 0.25)
    """
    family = _family(path)
    require_file(path)
    if family == "xisf":
        return read_xisf(path, index=index, max_pixels=max_pixels)
    from .fits import read_fits  # astropy takes a second to import: only when needed

    return read_fits(path, index=index, max_pixels=max_pixels)


def write_image(
    path: str | os.PathLike[str],
    image: ImageData,
    *,
    sample_format: str = "Float32",
    compression: str | None = None,
    shuffle: bool = True,
    checksum: str | None = "sha1",
) -> None:
    """Write atomically; the family follows the extension.

    XISF: planar, attached block, ``sample_format`` ``Float32`` or ``UInt16``, ``compression``
    None, ``"zstd"``, ``"lz4hc"``, ``"lz4"`` or ``"zlib"`` (byte-shuffled if ``shuffle``).
    FITS: float32, keywords kept; the XISF-only options must stay at their defaults.

    Raises
    ------
    ParameterError
        An option is not valid for the format.
    FormatError
        The file cannot be written (the target is left untouched).
    """
    if _family(path) == "xisf":
        write_xisf(
            path,
            image,
            sample_format=sample_format,
            compression=compression,
            shuffle=shuffle,
            checksum=checksum,
        )
        return
    if sample_format != "Float32" or compression is not None:
        raise ParameterError(
            "FITS output is float32 and uncompressed: drop sample_format/compression"
        )
    from .fits import write_fits

    write_fits(path, image)


def probe(
    path: str | os.PathLike[str], *, max_pixels: int = DEFAULT_MAX_PIXELS, verify: bool = False
) -> list[ImageInfo]:
    """Describe every image from the header alone (cheap; no pixel decoding).

    Validates structure, geometry and the pixel budget, so a bad upload is refused at once.
    ``verify`` also reads XISF pixel blocks to check their checksums.

    Raises
    ------
    XISFError, FormatError
        As :func:`read_image`.
    """
    family = _family(path)
    require_file(path)
    if family == "xisf":
        return probe_xisf(path, max_pixels=max_pixels, verify=verify)
    from .fits import probe_fits

    return probe_fits(path, max_pixels=max_pixels)
