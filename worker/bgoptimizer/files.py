"""A job's files: read the inputs, run the engine, write the outputs atomically.

The one edge that the CLI and the worker's engine process share: the engine itself takes
arrays and returns arrays and a report.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .engine.masking import check_user_mask, missing_mask
from .engine.report import PARAMETERS_PROPERTY, history_lines
from .engine.stretch import StretchParams
from .exceptions import ParameterError
from .io import read_image, write_image
from .io.atomic import write_json
from .io.dispatch import FITS_SUFFIXES, require_file
from .io.image import ImageData, Property
from .params import FitParams
from .progress import JobProgress, ProgressHooks, Stage

__all__ = ["OutputPaths", "background_summary", "run_files", "with_metadata"]

_SUMMARY_STEP = 8
"""Every how many rows and columns :func:`background_summary` looks: the model is smooth."""


@dataclass(frozen=True)
class OutputPaths:
    """Where one fit's results go: the two images, the object map and the report."""

    background: Path
    corrected: Path
    report: Path
    objects: Path

    @classmethod
    def for_input(cls, input_path: Path, outdir: Path) -> OutputPaths:
        """``<stem>_background``, ``_corrected``, ``_objects`` (XISF; FITS for FITS input), report.

        Examples
        --------
        >>> OutputPaths.for_input(Path("m31.fit"), Path("out")).corrected.as_posix()
        'out/m31_corrected.fits'
        """
        input_path, outdir = Path(input_path), Path(outdir)
        ext = ".fits" if input_path.suffix.lower() in FITS_SUFFIXES else ".xisf"
        stem = input_path.stem
        return cls(
            outdir / f"{stem}_background{ext}",
            outdir / f"{stem}_corrected{ext}",
            outdir / f"{stem}_report.json",
            outdir / f"{stem}_objects{ext}",
        )

    def check(self, *inputs: Path | None) -> None:
        """Refuse outputs that would overwrite an input or each other."""
        outs = [p.resolve() for p in (self.background, self.corrected, self.report, self.objects)]
        if len(set(outs)) != len(outs):
            raise ParameterError("the output paths must differ")
        for path in inputs:
            if path is not None and Path(path).resolve() in outs:
                raise ParameterError(f"refusing to overwrite the input {path}")
        for out in outs:
            if not out.parent.is_dir():
                raise ParameterError(f"output folder {out.parent} does not exist")


def with_metadata(image: ImageData, pixels: np.ndarray, params: FitParams, what: str) -> ImageData:
    """A result as an image: the input's metadata, HISTORY lines and the parameters property."""
    out = image.derived(pixels, history=history_lines(params, what))
    props = [p for p in out.properties if p.id != PARAMETERS_PROPERTY]
    props.append(
        Property(
            PARAMETERS_PROPERTY,
            "String",
            json.dumps(params.to_dict()),
            comment="bgoptimizer fit parameters",
        )
    )
    return dataclasses.replace(out, properties=props)


def background_summary(background: np.ndarray, pixels: np.ndarray) -> dict[str, list[float]]:
    """The report's ``background``: per channel, the model's median level and its gradient
    amplitude (largest minus smallest value) over the input ``pixels``' valid ones, in
    linear units.

    What a batch compares from sub to sub: the Moon rising shows as both growing. The model
    is smooth, so every :data:`_SUMMARY_STEP`-th row and column is enough.

    Examples
    --------
    >>> ramp = np.linspace(0.1, 0.3, 17, dtype=np.float32)[None, :, None].repeat(3, 0)
    >>> background_summary(ramp, np.ones_like(ramp))
    {'level': [0.2], 'gradient': [0.2]}
    """
    step = _SUMMARY_STEP
    valid = ~missing_mask(pixels[::step, ::step])
    sample = background[::step, ::step][valid].astype(np.float64)
    if not len(sample):
        return {"level": [], "gradient": []}
    level = np.median(sample, axis=0)
    gradient = sample.max(axis=0) - sample.min(axis=0)
    return {
        "level": [round(float(v), 7) for v in level],
        "gradient": [round(float(v), 7) for v in gradient],
    }


def run_files(
    input_path: Path,
    outputs: OutputPaths,
    params: FitParams,
    *,
    mask_path: Path | None = None,
    hooks: ProgressHooks | None = None,
    device: str = "auto",
    stretch: StretchParams | None = None,
    names: Mapping[str, str | None] | None = None,
) -> dict[str, Any]:
    """Read ``input_path``, fit, and write the two images and the report atomically.

    The input is only read. Returns the report (also written, once, to ``outputs.report``).
    ``names`` replaces the paths the report's ``files`` records (the worker records the
    names it serves, not the paths inside its data folder).

    Raises
    ------
    FormatError, MaskError, ParameterError, NumericalError, CancelledError
    """
    from .engine.pipeline import run_image  # TensorFlow: only where a fit runs, not in the
    # processes that only plan or collect a batch (its client, the --jobs parent)

    for path in (input_path, mask_path):
        if path is not None:
            require_file(path)
    outputs.check(input_path, mask_path)
    progress = JobProgress(hooks)
    progress.stage(Stage.READING, f"reading {Path(input_path).name}")
    image = read_image(Path(input_path))
    mask = None
    if mask_path is not None:  # checked now, not after the stretch
        mask = check_user_mask(read_image(Path(mask_path)).pixels, image.shape)
    result = run_image(image, params, mask=mask, hooks=progress, device=device, stretch=stretch)
    progress.stage(Stage.WRITING, "writing the results")
    what = {
        outputs.background: (result.background, "background model"),
        outputs.corrected: (result.corrected, f"background removed ({params.correction})"),
        outputs.objects: (result.objects[..., None], "object map"),
    }
    for path, (pixels, description) in what.items():
        write_image(path, with_metadata(image, pixels, params, description))
    report = result.report
    report["background"] = background_summary(result.background, image.pixels)
    report["files"] = (
        dict(names)
        if names is not None
        else {
            "input": str(input_path),
            "mask": None if mask_path is None else str(mask_path),
            "background": str(outputs.background),
            "corrected": str(outputs.corrected),
            "report": str(outputs.report),
            "objects": str(outputs.objects),
        }
    )
    progress.finish(Stage.WRITING, "done")
    report["timings"] = {k: round(v, 4) for k, v in progress.timings.items()}
    write_json(outputs.report, report)
    return report
