"""The in-memory image every reader returns and every writer takes.

Pixels are always float32 (H, W, C); whatever the file held beside them (keywords, XISF
properties, ICC profile, thumbnail, unknown elements) rides along so that a rewrite keeps it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["FitsKeyword", "ImageData", "PlaneBands", "Property", "plane_band"]


@dataclass(frozen=True)
class FitsKeyword:
    """One FITS header card as text, the way XISF stores it (value keeps its quotes)."""

    name: str
    value: str = ""
    comment: str = ""


@dataclass(frozen=True)
class Property:
    """One XISF property. ``type`` is the XISF type name (``Float64``, ``String``, ...)."""

    id: str
    type: str
    value: Any
    comment: str = ""
    format: str = ""


@dataclass(frozen=True)
class PlaneBands:
    """Pixels computed while they are written, so that no image-sized array holds them.

    ``band(channel, rows)`` gives one channel's ``rows`` as (rows, W) float32. A writer asks
    for every band once, in the planar order of the files: channel by channel, top to
    bottom.
    """

    shape: tuple[int, int, int]
    band: Callable[[int, slice], np.ndarray]


def plane_band(pixels: np.ndarray | PlaneBands, channel: int, rows: slice) -> np.ndarray:
    """``rows`` of one channel of an array or of :class:`PlaneBands`, as (rows, W)."""
    if isinstance(pixels, PlaneBands):
        return pixels.band(channel, rows)
    return pixels[rows, :, channel]


@dataclass
class ImageData:
    """Pixels plus the metadata to carry from input to output.

    Parameters
    ----------
    pixels
        float32, C-contiguous, writable, shape (H, W, C). Integer files are normalised to
        [0, 1]; ``sample_format`` records what the file held. Readers give arrays; writers
        also take :class:`PlaneBands`.
    sample_format
        XISF sample format name of the source (``UInt16``, ``Float32``, ...).
    color_space
        ``Gray`` or ``RGB``.
    keywords, properties
        FITS keywords and XISF properties in file order.
    extras
        Format-specific items the writer of the same family puts back (ICC profile, thumbnail,
        unknown XISF elements, FITS header cards that are not plain keywords).
    """

    pixels: np.ndarray | PlaneBands
    sample_format: str = "Float32"
    color_space: str = "Gray"
    keywords: list[FitsKeyword] = field(default_factory=list)
    properties: list[Property] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(height, width, channels)."""
        h, w, c = self.pixels.shape
        return int(h), int(w), int(c)

    def derived(
        self, pixels: np.ndarray | PlaneBands, *, history: list[str] | None = None
    ) -> ImageData:
        """A new image with other pixels and the same metadata, plus HISTORY keywords."""
        keywords = list(self.keywords)
        keywords.extend(FitsKeyword("HISTORY", "", line) for line in history or [])
        if not isinstance(pixels, PlaneBands):
            pixels = np.ascontiguousarray(pixels, dtype=np.float32)
        return dataclasses.replace(
            self,
            pixels=pixels,
            sample_format="Float32",
            color_space="RGB" if pixels.shape[2] == 3 else "Gray",
            keywords=keywords,
            properties=list(self.properties),
            extras=dict(self.extras),
        )
