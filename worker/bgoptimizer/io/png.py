"""8-bit PNG previews of [0, 1] images: encoded in memory, or written atomically."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .atomic import atomic_write

__all__ = ["encode_png", "write_png"]


def encode_png(image: np.ndarray) -> bytes:
    """8-bit PNG bytes of a [0, 1] image (h, w, 1 or 3)."""
    from PIL import Image

    data = np.round(np.clip(np.nan_to_num(image), 0.0, 1.0) * 255).astype(np.uint8)
    mode_data = data[..., 0] if data.shape[2] == 1 else data
    buf = io.BytesIO()
    Image.fromarray(mode_data).save(buf, format="PNG")
    return buf.getvalue()


def write_png(path: Path, image: np.ndarray) -> None:
    """Write :func:`encode_png` to ``path`` atomically (temporary file, then rename)."""
    data = encode_png(image)
    with atomic_write(path) as f:
        f.write(data)
