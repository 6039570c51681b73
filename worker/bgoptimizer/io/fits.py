"""FITS images through astropy: mono (H, W) and cubes (C, H, W), integer or float.

Integers are normalised to [0, 1] over their type's range (after BZERO/BSCALE, so the usual
unsigned 16-bit files map 0..65535 to 0..1); header cards ride along as FITS keywords.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np
from astropy.io import fits
from astropy.io.fits.verify import VerifyWarning

from ..exceptions import FormatError
from .atomic import atomic_write
from .image import FitsKeyword, ImageData, plane_band
from .info import ImageInfo

__all__ = ["probe_fits", "read_fits", "write_fits"]

STRUCTURAL = {
    "SIMPLE",
    "BITPIX",
    "EXTEND",
    "BZERO",
    "BSCALE",
    "PCOUNT",
    "GCOUNT",
    "XTENSION",
    "END",
}
FLOATS = {-32: "Float32", -64: "Float64"}


def _images(hdul: fits.HDUList) -> list[fits.hdu.base.ExtensionHDU]:
    return [h for h in hdul if h.is_image and h.header.get("NAXIS", 0) in (2, 3)]


def _open(path: str | os.PathLike[str]) -> fits.HDUList:
    try:
        return fits.open(path, memmap=False, uint=True)
    except (OSError, ValueError, TypeError) as exc:
        raise FormatError(f"cannot read FITS file {os.fspath(path)}: {exc}") from None


def _geometry(hdu: Any, where: str, max_pixels: int) -> tuple[int, int, int]:
    h = hdu.header
    if h["NAXIS"] == 2:
        width, height, channels = h["NAXIS1"], h["NAXIS2"], 1
    else:
        width, height, channels = h["NAXIS1"], h["NAXIS2"], h["NAXIS3"]
    if width * height * channels > max_pixels:
        raise FormatError(
            f"{where}: {width}x{height}x{channels} samples exceeds the pixel budget of {max_pixels}"
        )
    return width, height, channels


def _sample_format(header: fits.Header) -> str:
    """XISF-style name of the samples astropy returns: UInt16 for BITPIX 16 with BZERO 32768,
    Int16 without; Float32 when BSCALE/BZERO turn integers into arbitrary physical values.
    """
    bitpix = header["BITPIX"]
    if bitpix < 0:
        return FLOATS.get(bitpix, f"BITPIX {bitpix}")
    bzero, bscale = header.get("BZERO", 0), header.get("BSCALE", 1)
    if bscale != 1 or bzero not in (0, 2 ** (bitpix - 1)):
        return "Float32"
    return f"UInt{bitpix}" if bitpix == 8 or bzero else f"Int{bitpix}"


def _keywords(header: fits.Header) -> list[FitsKeyword]:
    out = []
    for card in header.cards:
        name = card.keyword
        if name in STRUCTURAL or name.startswith("NAXIS") or not name:
            continue
        if name in ("COMMENT", "HISTORY"):
            out.append(FitsKeyword(name, "", str(card.value)))
            continue
        value = card.value
        if isinstance(value, bool):
            text = "T" if value else "F"
        elif isinstance(value, str):
            text = "'" + value.replace("'", "''") + "'"
        else:
            text = str(value)
        out.append(FitsKeyword(name, text, card.comment))
    return out


def _value(text: str) -> Any:
    """A keyword's text (XISF spelling) as the Python value astropy writes."""
    t = text.strip()
    if t.startswith("'"):
        return t[1:].rstrip().removesuffix("'").replace("''", "'").rstrip()
    if t in ("T", "F"):
        return t == "T"
    for kind in (int, float):
        try:
            return kind(t)
        except ValueError:
            pass
    return t


def read_fits(path: str | os.PathLike[str], *, index: int, max_pixels: int) -> ImageData:
    """Read image HDU ``index`` (primary first) as float32 (H, W, C)."""
    where = f"{os.fspath(path)} image {index}"
    with _open(path) as hdul:
        hdus = _images(hdul)
        if not 0 <= index < len(hdus):
            raise FormatError(f"{where}: the file holds {len(hdus)} 2-D/3-D image(s)")
        hdu = hdus[index]
        _geometry(hdu, where, max_pixels)
        try:
            data = hdu.data
        except (OSError, ValueError, TypeError) as exc:
            raise FormatError(f"{where}: unreadable data ({exc})") from None
        planes = data[np.newaxis] if data.ndim == 2 else data
        pixels = np.empty((planes.shape[1], planes.shape[2], planes.shape[0]), np.float32)
        if data.dtype.kind in "ui":
            info = np.iinfo(data.dtype)
            np.subtract(planes.transpose(1, 2, 0), float(info.min), out=pixels, casting="unsafe")
            pixels /= np.float32(info.max - info.min)
        else:
            np.copyto(pixels, planes.transpose(1, 2, 0), casting="unsafe")
        keywords = _keywords(hdu.header)
    color = "RGB" if pixels.shape[2] == 3 else "Gray"
    return ImageData(pixels, _sample_format(hdu.header), color, keywords)


BLOCK = 2880
"""FITS files are made of 2880-byte blocks; the data's last one is padded with zeros."""

_CHUNK_SAMPLES = 1 << 16


def write_fits(path: str | os.PathLike[str], image: ImageData) -> None:
    """Write float32 pixels (mono 2-D or a (C, H, W) cube) with the image's keywords.

    The header is astropy's for the image's shape; the data follow a row chunk at a time
    (big-endian, planar), so :class:`~bgoptimizer.io.image.PlaneBands` are written without
    ever being whole: the same bytes as astropy's ``writeto``.
    """
    height, width, channels = image.pixels.shape
    shape = (height, width) if channels == 1 else (channels, height, width)
    stand_in = np.lib.stride_tricks.as_strided(np.zeros(1, ">f4"), shape, (0,) * len(shape))
    hdu = fits.PrimaryHDU(stand_in)  # only its shape and type make the header
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VerifyWarning)
        for kw in image.keywords:
            if kw.name in STRUCTURAL or kw.name.startswith("NAXIS"):
                continue
            if kw.name in ("COMMENT", "HISTORY"):
                hdu.header.append((kw.name, _ascii(kw.comment)), end=True)
            else:
                hdu.header.append((kw.name, _ascii(_value(kw.value)), _ascii(kw.comment)), end=True)
        hdu.verify("silentfix")
    step = max(1, _CHUNK_SAMPLES // width)
    with atomic_write(path) as f:
        f.write(hdu.header.tostring().encode("ascii"))
        for c in range(channels):
            for r0 in range(0, height, step):
                band = plane_band(image.pixels, c, slice(r0, min(height, r0 + step)))
                f.write(np.ascontiguousarray(band, dtype=">f4"))
        f.write(bytes(-height * width * channels * 4 % BLOCK))


def _ascii(value: Any) -> Any:
    """FITS headers are ASCII: other characters become '?'."""
    return value.encode("ascii", "replace").decode("ascii") if isinstance(value, str) else value


def probe_fits(path: str | os.PathLike[str], *, max_pixels: int) -> list[ImageInfo]:
    """Describe every 2-D/3-D image HDU from its header."""
    with _open(path) as hdul:
        infos = []
        for i, hdu in enumerate(_images(hdul)):
            width, height, channels = _geometry(hdu, f"{os.fspath(path)} image {i}", max_pixels)
            infos.append(
                ImageInfo(
                    width=width,
                    height=height,
                    channels=channels,
                    sample_format=_sample_format(hdu.header),
                    color_space="RGB" if channels == 3 else "Gray",
                    pixel_storage="Planar",
                    compression=None,
                    checksum=None,
                    location=f"HDU {hdul.index_of(hdu)}",
                    keywords=_keywords(hdu.header),
                )
            )
    return infos
