"""Header-level description of one image in a file, as ``probe`` and ``info`` report it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .image import FitsKeyword, Property

__all__ = ["ImageInfo"]


@dataclass(frozen=True)
class ImageInfo:
    """What the header says about one image; no pixel was decoded to build it.

    ``checksum_verified`` is None when the checksum was not checked (or there is none).
    """

    width: int
    height: int
    channels: int
    sample_format: str
    color_space: str
    pixel_storage: str
    compression: str | None
    checksum: str | None
    location: str
    keywords: list[FitsKeyword] = field(default_factory=list)
    properties: list[Property] = field(default_factory=list)
    checksum_verified: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (arrays become lists, complex numbers [re, im])."""
        out = asdict(self)
        out["properties"] = [{**asdict(p), "value": _jsonable(p.value)} for p in self.properties]
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, complex):
        return [value.real, value.imag]
    return value
