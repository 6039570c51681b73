"""Small synthetic subs for the batch tests, and how two batches' outputs are compared."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bgoptimizer.engine.synthetic import make_sky
from bgoptimizer.files import OutputPaths
from bgoptimizer.io import read_image, write_image
from bgoptimizer.io.image import ImageData

FAST = ["-e", "120", "--patience", "20", "-N", "16"]
"""Few epochs: the tests are about the batch, not the fit's quality."""


def write_subs(folder: Path, count: int, *, height: int = 200, width: int = 300) -> list[Path]:
    """``count`` noisy RGB subs whose gradients differ (a seed each)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for seed in range(count):
        sky = make_sky(height, width, gradients=("moon", "dome"), seed=seed, noise=5.0)
        path = folder / f"sub_{seed:03d}.xisf"
        write_image(path, ImageData(sky.image, "Float32", "RGB"))
        paths.append(path)
    return paths


def image_outputs(inputs: list[Path], outdir: Path) -> list[Path]:
    """The three images each input gives."""
    outs = [OutputPaths.for_input(p, outdir) for p in inputs]
    return [p for o in outs for p in (o.background, o.corrected, o.objects)]


def same_images(a: Path, b: Path) -> bool:
    """Bit-identical pixels and the same properties (only the file's creation time, which
    the XISF writer stamps, may differ)."""
    x, y = read_image(a), read_image(b)
    same_bits = x.pixels.shape == y.pixels.shape and np.array_equal(
        x.pixels.view(np.uint32), y.pixels.view(np.uint32)
    )
    props = [(p.id, p.value) for p in x.properties] == [(p.id, p.value) for p in y.properties]
    return same_bits and props
