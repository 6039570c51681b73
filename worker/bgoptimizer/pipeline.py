"""The whole engine: read → stretch → downscale → mask → fit → full-res model → correct → write.

:func:`run_image` works on an in-memory :class:`~bgoptimizer.io.image.ImageData`;
:func:`run_files` adds reading and atomic writing. Both report each stage, with the whole
job's progress in [0, 1], through :class:`~bgoptimizer.progress.ProgressHooks`, and check for
cancellation between stages (the fit checks within its loop too).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .correction import correct
from .downscale import downscale
from .exceptions import FormatError, ParameterError
from .io.image import ImageData, Property
from .masking import check_user_mask, missing_mask
from .params import FitParams
from .preview import display_stretch
from .progress import ProgressEvent, ProgressHooks, Stage
from .report import PARAMETERS_PROPERTY, build_report, history_lines, write_report
from .stretch import StretchParams, fit_stretch
from .working import Working, prepare, working_shape

__all__ = ["STAGE_SPANS", "OutputPaths", "PipelineResult", "run_files", "run_image"]

STAGE_SPANS: dict[Stage, tuple[float, float]] = {
    Stage.READING: (0.0, 0.04),
    Stage.STRETCHING: (0.04, 0.08),
    Stage.DOWNSCALING: (0.08, 0.12),
    Stage.OPTIMISING: (0.12, 0.85),
    Stage.EVALUATING: (0.85, 0.95),
    Stage.WRITING: (0.95, 1.0),
}
"""Share of the whole job's progress each stage covers (the fit dominates)."""

_FITS_SUFFIXES = (".fits", ".fit", ".fts")


@dataclass(frozen=True)
class OutputPaths:
    """Where one fit's three results go."""

    background: Path
    corrected: Path
    report: Path

    @classmethod
    def for_input(cls, input_path: Path, outdir: Path) -> OutputPaths:
        """``<stem>_background``, ``<stem>_corrected`` (XISF, or FITS for FITS input), report.

        Examples
        --------
        >>> OutputPaths.for_input(Path("m31.fit"), Path("out")).corrected.as_posix()
        'out/m31_corrected.fits'
        """
        input_path, outdir = Path(input_path), Path(outdir)
        ext = ".fits" if input_path.suffix.lower() in _FITS_SUFFIXES else ".xisf"
        stem = input_path.stem
        return cls(
            outdir / f"{stem}_background{ext}",
            outdir / f"{stem}_corrected{ext}",
            outdir / f"{stem}_report.json",
        )

    def check(self, *inputs: Path | None) -> None:
        """Refuse outputs that would overwrite an input or each other."""
        outs = [p.resolve() for p in (self.background, self.corrected, self.report)]
        if len(set(outs)) != 3:
            raise ParameterError("the three output paths must differ")
        for path in inputs:
            if path is not None and Path(path).resolve() in outs:
                raise ParameterError(f"refusing to overwrite the input {path}")
        for out in outs:
            if not out.parent.is_dir():
                raise ParameterError(f"output folder {out.parent} does not exist")


@dataclass(frozen=True)
class PipelineResult:
    """Both images, the report and the final preview (about 512 pixels on the long side, in
    [0, 1]; made only when someone listens to the progress events, else None)."""

    background: ImageData
    corrected: ImageData
    report: dict[str, Any]
    preview: np.ndarray | None


class _Progress:
    """Turns stage starts and the fit's own events into whole-job events, and times stages."""

    def __init__(self, hooks: ProgressHooks | None) -> None:
        self.hooks = hooks or ProgressHooks()
        self.start = time.perf_counter()
        self.timings: dict[str, float] = {}
        self._stage: Stage | None = None
        self._since = self.start

    @property
    def listening(self) -> bool:
        """Whether anyone receives events (live previews are only made for a listener)."""
        return self.hooks.on_event is not None

    def stage(self, stage: Stage, message: str) -> None:
        self.hooks.check_cancel()
        self._close()
        self._stage, self._since = stage, time.perf_counter()
        self.hooks.report(ProgressEvent(stage, STAGE_SPANS[stage][0], self._elapsed(), message))

    def fit_hooks(self) -> ProgressHooks:
        lo, hi = STAGE_SPANS[Stage.OPTIMISING]
        offset = self._elapsed()

        def forward(event: ProgressEvent) -> None:
            self.hooks.report(
                dataclasses.replace(
                    event,
                    progress=lo + (hi - lo) * min(max(event.progress, 0.0), 1.0),
                    elapsed=offset + event.elapsed,
                )
            )

        return ProgressHooks(on_event=forward, is_cancelled=self.hooks.is_cancelled)

    def finish(self, stage: Stage, message: str, preview: np.ndarray | None = None) -> None:
        self._close()
        self.hooks.report(
            ProgressEvent(stage, STAGE_SPANS[stage][1], self._elapsed(), message, preview=preview)
        )

    def _close(self) -> None:
        if self._stage is not None:
            self.timings[self._stage.value] = time.perf_counter() - self._since
            self._stage = None

    def _elapsed(self) -> float:
        return time.perf_counter() - self.start


PREVIEW_LONG_SIDE = 512
"""Long side of the previews, in pixels: the dialog shows them up to 1024 wide, and the fit's
working image (~128 blocks) would be a blurry thumbnail there."""


@dataclass(frozen=True)
class _PreviewMaker:
    """``model at coords -> display-stretched corrected image``, for live and final previews.

    The image is the input reduced (block mean, missing pixels ignored) to about
    :data:`PREVIEW_LONG_SIDE` pixels, or the working image when that is already as large.
    """

    linear: np.ndarray
    missing: np.ndarray
    coords: np.ndarray
    stretch: StretchParams
    params: FitParams

    @classmethod
    def build(cls, pixels: np.ndarray, work: Working, params: FitParams) -> _PreviewMaker:
        height, width, _ = pixels.shape
        factor = max(1, math.ceil(max(height, width) / PREVIEW_LONG_SIDE))
        if factor >= work.factor:
            linear, coords = work.stretch.inverse(work.image), work.coords
        else:

            def valid(band: np.ndarray, rows: slice) -> np.ndarray:
                return np.where(work.missing[rows, :, None], np.nan, band).astype(np.float32)

            small = downscale(pixels, factor, "mean", transform=valid)
            linear, coords = small.pixels, small.coords
        small_missing = np.isnan(linear).any(axis=2)
        linear = np.where(small_missing[..., None], 0, linear).astype(np.float32)
        return cls(linear, small_missing, coords, work.stretch, params)

    def __call__(self, model_stretched: np.ndarray) -> np.ndarray:
        model = self.stretch.inverse(np.asarray(model_stretched, np.float32))
        fixed = correct(self.linear, model, self.missing, self.params.correction).corrected
        return display_stretch(fixed, quantile=self.params.quantile, target=self.params.target)


def run_image(
    image: ImageData,
    params: FitParams,
    *,
    mask: np.ndarray | None = None,
    hooks: ProgressHooks | None = None,
    device: str = "auto",
    stretch: StretchParams | None = None,
) -> PipelineResult:
    """Fit and remove the background of an in-memory image.

    Parameters
    ----------
    image
        Linear input; its pixels are not modified.
    params
        Fit parameters.
    mask
        Optional user mask (H, W), (H, W, 1) or (H, W, C) in [0, 1].
    hooks
        Progress and cancellation callbacks.
    device
        ``auto``, ``cpu`` or ``gpu``.
    stretch
        Explicit stretch parameters (the dialog's), instead of computing them.

    Raises
    ------
    MaskError, ParameterError, NumericalError, CancelledError
    """
    return _run(image, params, mask, device, stretch, _Progress(hooks))


def _run(
    image: ImageData,
    params: FitParams,
    mask: np.ndarray | None,
    device: str,
    stretch: StretchParams | None,
    progress: _Progress,
) -> PipelineResult:
    from .evaluate import evaluate_full
    from .fit import fit_spline

    pixels = image.pixels
    height, width, channels = image.shape
    if stretch is not None and stretch.channels != channels:
        raise ParameterError(
            f"explicit stretch has {stretch.channels} channel(s), the image {channels}"
        )
    ahead = _compile_ahead(working_shape(image.shape, params), params, device)
    progress.stage(Stage.STRETCHING, "measuring the stretch")
    missing = missing_mask(pixels)
    sp = stretch or fit_stretch(pixels, missing, quantile=params.quantile, target=params.target)
    progress.stage(Stage.DOWNSCALING, "building the working image")
    work = prepare(pixels, params, mask=mask, stretch=sp, missing=missing)
    if not (work.weight > 0).any():
        raise ParameterError("no pixel is left to fit: check the thresholds and the mask")
    h, w, _ = work.image.shape
    ahead.join()
    progress.stage(Stage.OPTIMISING, f"fitting {params.samples} samples on {w}x{h} pixels")
    previews = _PreviewMaker.build(pixels, work, params) if progress.listening else None
    fit = fit_spline(
        work.image,
        work.weight,
        work.coords,
        params,
        hooks=progress.fit_hooks(),
        make_preview=previews,
        preview_coords=None if previews is None else previews.coords,
        device=device,
    )
    progress.stage(Stage.EVALUATING, f"evaluating the model at {width}x{height}")
    model = evaluate_full(fit, height, width, device=device, transform=sp.inverse)
    result = correct(pixels, model, missing, params.correction, reuse_model=True)
    del model
    preview = None if previews is None else previews(fit.evaluate(previews.coords))
    progress.finish(Stage.EVALUATING, "model ready", preview=preview)
    report = build_report(
        params=params,
        shape=image.shape,
        working=work,
        fit=fit,
        correction=result,
        timings=progress.timings,
        explicit_stretch=stretch is not None,
    )
    return PipelineResult(
        background=_output(image, result.background, params, "background model"),
        corrected=_output(
            image, result.corrected, params, f"background removed ({params.correction})"
        ),
        report=report,
        preview=preview,
    )


def _compile_ahead(
    shape: tuple[int, int, int], params: FitParams, device: str
) -> threading.Thread:
    """Start compiling the fit for a working image of ``shape`` on a thread (see
    :func:`bgoptimizer.fit.compile_ahead`); join it before fitting.

    A failure there is left for the fit itself to meet and report (a bad device name, a
    singular start): compiling ahead only saves time, so it never raises.
    """
    from .fit import compile_ahead

    def run() -> None:
        with contextlib.suppress(Exception):  # the fit meets and reports the same problem
            compile_ahead(shape, params, device=device)

    thread = threading.Thread(target=run, name="bgoptimizer-compile-ahead", daemon=True)
    thread.start()
    return thread


def _output(image: ImageData, pixels: np.ndarray, params: FitParams, what: str) -> ImageData:
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


def run_files(
    input_path: Path,
    outputs: OutputPaths,
    params: FitParams,
    *,
    mask_path: Path | None = None,
    hooks: ProgressHooks | None = None,
    device: str = "auto",
    stretch: StretchParams | None = None,
) -> dict[str, Any]:
    """Read ``input_path``, fit, and write the two images and the report atomically.

    The input is only read. Returns the report (also written to ``outputs.report``).

    Raises
    ------
    FormatError, MaskError, ParameterError, NumericalError, CancelledError
    """
    from .io import read_image, write_image

    for path in (input_path, mask_path):
        if path is not None and not Path(path).is_file():
            raise FormatError(f"cannot read {path}: no such file")
    outputs.check(input_path, mask_path)
    progress = _Progress(hooks)
    progress.stage(Stage.READING, f"reading {Path(input_path).name}")
    image = read_image(Path(input_path))
    mask = None
    if mask_path is not None:  # checked now, not after the stretch
        mask = check_user_mask(read_image(Path(mask_path)).pixels, image.shape)
    result = _run(image, params, mask, device, stretch, progress)
    progress.stage(Stage.WRITING, "writing the results")
    write_image(outputs.background, result.background)
    write_image(outputs.corrected, result.corrected)
    report = result.report
    report["files"] = {
        "input": str(input_path),
        "mask": None if mask_path is None else str(mask_path),
        "background": str(outputs.background),
        "corrected": str(outputs.corrected),
        "report": str(outputs.report),
    }
    progress.finish(Stage.WRITING, "done")
    report["timings"] = {k: round(v, 4) for k, v in progress.timings.items()}
    write_report(outputs.report, report)
    return report
