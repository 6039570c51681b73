"""The whole engine on an in-memory image: stretch → downscale → mask → fit → model → correct.

:func:`run_image` takes an :class:`~bgoptimizer.io.image.ImageData` and returns both output
images and the report; reading and writing files is the callers' part
(:mod:`bgoptimizer.files`). Each stage is reported through a
:class:`~bgoptimizer.progress.JobProgress`, which checks for cancellation between stages (the
fit checks within its loop too).
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exceptions import ParameterError
from ..io.image import ImageData
from ..params import FitParams
from ..progress import JobProgress, ProgressHooks, Stage
from .correction import BandedCorrection, correct
from .downscale import auto_factor, downscale
from .fit.driver import compile_ahead, fit_spline
from .fit.result import FitResult
from .model import compile_ahead as compile_model_ahead
from .model import model_at, model_bands
from .preview import display_stretch
from .report import build_report
from .stretch import StretchParams, fit_stretch
from .working import Working, missing_pixels, prepare, working_shape

__all__ = ["FittedImage", "PipelineResult", "fit_image", "run_image"]


@dataclass(frozen=True)
class PipelineResult:
    """The results as arrays, the report and the final preview (about 512 pixels on the long
    side, in [0, 1]; made only when someone listens to the progress events, else None). The
    edges (:mod:`bgoptimizer.files`) give them the input's metadata and write them.
    """

    background: np.ndarray
    """(H, W, C) float32 linear background model."""
    corrected: np.ndarray
    """(H, W, C) float32 corrected image."""
    report: dict[str, Any]
    preview: np.ndarray | None
    objects: np.ndarray
    """(H, W) float32 object map: 1 on blocks the fit was kept away from as objects."""


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
        factor = auto_factor(height, width, PREVIEW_LONG_SIDE)
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
    hooks: ProgressHooks | JobProgress | None = None,
    device: str = "auto",
    stretch: StretchParams | None = None,
) -> PipelineResult:
    """Fit and remove the background of an in-memory image; the outputs as arrays.

    The parameters are :func:`fit_image`'s.
    """
    fitted = fit_image(image, params, mask=mask, hooks=hooks, device=device, stretch=stretch)
    result = fitted.correction.arrays()
    objects = fitted.objects(slice(None))
    return PipelineResult(
        result.background, result.corrected, fitted.report(), fitted.preview, objects
    )


@dataclass(frozen=True)
class FittedImage:
    """A fitted image whose outputs are computed a band at a time, as they are written
    (:mod:`bgoptimizer.files`), or made whole by :func:`run_image`: the full-resolution model
    and correction never need an image-sized array of their own.
    """

    correction: BandedCorrection
    """The background and corrected outputs, band by band."""
    preview: np.ndarray | None
    progress: JobProgress
    fit: FitResult
    work: Working
    params: FitParams
    shape: tuple[int, int, int]
    explicit_stretch: bool

    def objects(self, rows: slice) -> np.ndarray:
        """Rows of the (H, W) float32 object map: 1 on blocks the fit was kept away from as
        objects, else 0 (missing pixels 0).

        Each working block covers ``work.factor`` pixels square from the top-left corner, so
        the map is the block flags repeated (nearest neighbour: the blocks are what the fit
        saw).
        """
        height, width, _ = self.shape
        fit, work = self.fit, self.work
        flags = np.zeros(work.image.shape[:2], np.float32) if fit.objects is None else fit.objects
        first, stop, _ = rows.indices(height)
        lines = flags.astype(np.float32)[np.arange(first, stop) // work.factor]
        full = np.repeat(lines, work.factor, axis=1)[:, :width]
        return np.where(work.missing[first:stop], 0.0, full).astype(np.float32)

    def report(self) -> dict[str, Any]:
        """The report, once the outputs have been produced (it counts what they clipped)."""
        report = build_report(
            params=self.params,
            shape=self.shape,
            working=self.work,
            fit=self.fit,
            correction=self.correction,
            timings=self.progress.timings,
            explicit_stretch=self.explicit_stretch,
        )
        report["objects"] = object_share(self.fit, self.work)
        return report


def fit_image(
    image: ImageData,
    params: FitParams,
    *,
    mask: np.ndarray | None = None,
    hooks: ProgressHooks | JobProgress | None = None,
    device: str = "auto",
    stretch: StretchParams | None = None,
) -> FittedImage:
    """Fit the background of an in-memory image; its outputs are then made band by band.

    Parameters
    ----------
    image
        Linear input; its pixels are not modified (and are read again by the outputs).
    params
        Fit parameters.
    mask
        Optional user mask (H, W), (H, W, 1) or (H, W, C) in [0, 1].
    hooks
        Progress and cancellation callbacks, or the job's clock when the caller has stages of
        its own around this one (reading and writing files).
    device
        ``auto``, ``cpu`` or ``gpu``.
    stretch
        Explicit stretch parameters (the dialog's), instead of computing them.

    Raises
    ------
    MaskError, ParameterError, NumericalError, CancelledError
    """
    progress = hooks if isinstance(hooks, JobProgress) else JobProgress(hooks)
    pixels = image.pixels
    height, width, channels = image.shape
    if stretch is not None:
        stretch.check_channels(channels)
    ahead = _compile_ahead(working_shape(image.shape, params), params, device)
    progress.stage(Stage.STRETCHING, "measuring the stretch")
    missing = missing_pixels(pixels)
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
    model = model_bands(fit, height, width, device=device, transform=sp.inverse_channel)
    correction = BandedCorrection(pixels, model, missing, params.correction)
    preview = None if previews is None else previews(model_at(fit, previews.coords))
    progress.finish(Stage.EVALUATING, "model ready", preview=preview)
    return FittedImage(
        correction, preview, progress, fit, work, params, image.shape, stretch is not None
    )


def object_share(fit: FitResult, work: Working) -> dict[str, float]:
    """The report's ``objects``: the share of the frame's valid pixels protected, in %.

    Summed per block (its valid pixels times its flag), so no full-size map is needed.
    """
    total = int(np.count_nonzero(~work.missing))
    if fit.objects is None or not total:
        return {"share_pct": 0.0}
    f = work.factor
    columns = np.arange(0, work.missing.shape[1], f)
    protected = 0.0
    for i, flags in enumerate(fit.objects.astype(np.float64)):
        valid = np.count_nonzero(~work.missing[i * f : (i + 1) * f], axis=0)  # per column
        protected += float(np.add.reduceat(valid, columns) @ flags)
    return {"share_pct": round(protected / total * 100, 3)}


def _compile_ahead(shape: tuple[int, int, int], params: FitParams, device: str) -> threading.Thread:
    """Start compiling the fit for a working image of ``shape`` on a thread (see
    :func:`bgoptimizer.engine.fit.driver.compile_ahead`), then the model's evaluation (see
    :func:`bgoptimizer.engine.model.compile_ahead`); join it before fitting.

    A failure there is left for the fit itself to meet and report (a bad device name, a
    singular start): compiling ahead only saves time, so it never raises.
    """

    def run() -> None:
        with contextlib.suppress(Exception):  # the fit meets and reports the same problem
            compile_ahead(shape, params, device=device)
            compile_model_ahead(params.samples, shape[2], params.order, device=device)

    thread = threading.Thread(target=run, name="bgoptimizer-compile-ahead", daemon=True)
    thread.start()
    return thread
