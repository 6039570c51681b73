"""A job's files: read the inputs, run the engine, write the outputs atomically.

The one edge that the CLI and the worker's engine process share: the engine itself takes
arrays and returns arrays and a report.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .engine.correction import sampled_rows
from .engine.masking import check_user_mask
from .engine.report import PARAMETERS_PROPERTY, history_lines
from .engine.stretch import StretchParams
from .exceptions import ParameterError
from .io import read_image, write_image
from .io.atomic import write_json
from .io.dispatch import FITS_SUFFIXES, require_file
from .io.image import ImageData, PlaneBands, Property
from .params import FitParams
from .progress import JobProgress, ProgressHooks, Stage

__all__ = ["OutputPaths", "background_summary", "run_files", "with_metadata"]

_SUMMARY_STEP = 8
"""Every how many columns :func:`background_summary` looks: the model is smooth."""


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


def with_metadata(
    image: ImageData, pixels: np.ndarray | PlaneBands, params: FitParams, what: str
) -> ImageData:
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


def background_summary(
    model: Callable[[int, slice], np.ndarray], missing: np.ndarray, shape: tuple[int, int, int]
) -> dict[str, list[float]]:
    """The report's ``background``: per channel, the model's median level and its gradient
    amplitude (largest minus smallest value) over the image's valid pixels, in linear units.

    What a batch compares from sub to sub: the Moon rising shows as both growing. The model
    is smooth, so the correction's evenly spaced sample rows and every
    :data:`_SUMMARY_STEP`-th column are enough; ``model(channel, rows)`` gives its rows.

    Examples
    --------
    >>> ramp = np.linspace(0.1, 0.3, 17, dtype=np.float32)[None, :]
    >>> def rows_of(channel, rows):
    ...     return np.repeat(ramp, rows.stop - rows.start, axis=0)
    >>> background_summary(rows_of, np.zeros((3, 17), bool), (3, 17, 1))
    {'level': [0.2], 'gradient': [0.2]}
    """
    height, _, channels = shape
    columns = slice(None, None, _SUMMARY_STEP)
    rows = sampled_rows(height)
    valid = ~missing[rows, columns]
    if not valid.any():
        return {"level": [], "gradient": []}
    level, gradient = [], []
    for c in range(channels):
        sample = np.concatenate([model(c, slice(r, r + 1))[0, columns] for r in rows])
        sample = sample.reshape(valid.shape)[valid].astype(np.float64)
        level.append(round(float(np.median(sample)), 7))
        gradient.append(round(float(sample.max() - sample.min()), 7))
    return {"level": level, "gradient": gradient}


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
    from .engine.pipeline import fit_image  # TensorFlow: only where a fit runs, not in the
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
    fitted = fit_image(image, params, mask=mask, hooks=progress, device=device, stretch=stretch)
    progress.stage(Stage.WRITING, "writing the results")
    correction, (height, width, _) = fitted.correction, image.shape
    what = {  # computed band by band as they are written: nothing image-sized is held
        outputs.background: (PlaneBands(image.shape, correction.background), "background model"),
        outputs.corrected: (
            PlaneBands(image.shape, correction.corrected),
            f"background removed ({params.correction})",
        ),
        outputs.objects: (
            PlaneBands((height, width, 1), lambda _, rows: fitted.objects(rows)),
            "object map",
        ),
    }
    for path, (pixels, description) in what.items():
        write_image(path, with_metadata(image, pixels, params, description))
    report = fitted.report()
    report["background"] = background_summary(correction.model, correction.missing, image.shape)
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
