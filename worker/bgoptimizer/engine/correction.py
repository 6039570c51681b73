"""Removing the background model from the image, with nothing rescaled behind the user's back.

``subtract``: ``image − model + median(model)`` keeps the sky level; ``divide``: ``image /
model · median(model)`` keeps it too, for multiplicative gradients (vignetting). The median is
per channel over the non-missing pixels. Both outputs are clipped to [0, 1] (the range
PixInsight expects of float images) and every clipped value is counted in the report;
missing pixels are exactly 0 in both outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from ..exceptions import ParameterError
from .stretch import QuantileBracket, quantiles

__all__ = [
    "MODEL_FLOOR",
    "BandedCorrection",
    "Bands",
    "Correction",
    "correct",
    "planar_bands",
    "sampled_rows",
]

MODEL_FLOOR = 1e-6
"""``divide`` uses ``max(model, MODEL_FLOOR)``; the report counts the floored values."""

_BAND_SAMPLES = 1 << 16
"""Values per band: a band's temporaries (a few of them) stay in the CPU's L2 cache."""

_SAMPLE_ROWS = 64
_SAMPLE_COLUMNS = 1024
"""Rows and columns of the model sampled, evenly spaced, to bracket each channel's median."""

_COUNTS = ("corrected_low", "corrected_high", "background_low", "background_high", "model_floored")

Bands = Callable[[int, slice], np.ndarray]
"""``(channel, rows) -> (rows, W)`` float32: one channel's rows of an image-sized array."""


def planar_bands(height: int, width: int, channels: int) -> Iterator[tuple[int, slice]]:
    """``(channel, rows)`` of every band, channel by channel, top to bottom: the order of the
    planar data in XISF and FITS files, in cache-sized bands.

    Examples
    --------
    >>> [(c, rows.start) for c, rows in planar_bands(2, 40000, 2)]
    [(0, 0), (0, 1), (1, 0), (1, 1)]
    """
    step = max(1, _BAND_SAMPLES // width)
    for c in range(channels):
        for r0 in range(0, height, step):
            yield c, slice(r0, min(height, r0 + step))


def sampled_rows(height: int) -> np.ndarray:
    """The evenly spaced rows of the model that bracket each channel's median.

    Examples
    --------
    >>> sampled_rows(4).tolist(), len(sampled_rows(4000))
    ([0, 1, 2, 3], 64)
    """
    return np.unique(np.linspace(0, height - 1, min(height, _SAMPLE_ROWS)).astype(int))


@dataclass(frozen=True)
class Correction:
    """Both outputs (H, W, C) float32 and what happened on the way.

    ``model_median`` is the per-channel constant added back; the counts are per channel.
    """

    background: np.ndarray
    corrected: np.ndarray
    method: str
    model_median: tuple[float, ...]
    clipped: dict[str, list[int]] = field(default_factory=dict)

    def summary(self) -> dict[str, object]:
        """JSON-ready description for the report."""
        return {
            "method": self.method,
            "model_median": list(self.model_median),
            "clipped": self.clipped,
        }


class BandedCorrection:
    """Both outputs of the correction, computed a ``(channel, rows)`` band at a time.

    For writers that stream them into files (:mod:`bgoptimizer.files`): besides the input,
    only band-sized arrays exist. The model comes as bands too, computed when asked for.

    Every corrected value needs its channel's model median, the exact median of the model's
    valid values. Evenly spaced rows of the model bracket it (:class:`QuantileBracket`) when
    the correction is set up; producing the background, band by band, counts and keeps what
    the bracket needs, so the median is ready for the corrected image without another pass
    over the model. Corrected bands asked for before every background band was produced,
    or a bracket that missed, cost one more pass over the model (and, for a miss, that
    channel's valid values in memory).

    Each band must be asked for once (the clipping counts add up over the bands);
    :meth:`summary` gives the counts once all have been.
    """

    def __init__(self, image: np.ndarray, model: Bands, missing: np.ndarray, method: str) -> None:
        if method not in ("subtract", "divide"):
            raise ParameterError(f"correction must be subtract or divide, got {method!r}")
        self.missing = missing
        self._whole_rows = ~missing.any(axis=1)
        valid = missing.size - int(np.count_nonzero(missing))
        if not valid:
            raise ParameterError("the image has no valid pixels to correct")
        self.image, self.model, self.method = image, model, method
        self.shape: tuple[int, int, int] = image.shape  # type: ignore[assignment]
        self.counts = {name: np.zeros(image.shape[2], np.int64) for name in _COUNTS}
        self._valid = valid
        self._brackets = [self._bracket(c) for c in range(image.shape[2])]
        self._fed = np.zeros(image.shape[2], np.int64)
        self._medians: list[np.float32 | None] = [None] * image.shape[2]

    def _bracket(self, channel: int) -> QuantileBracket:
        height, width, _ = self.shape
        columns = slice(None, None, max(1, width // _SAMPLE_COLUMNS))
        sample = [
            self.model(channel, slice(r, r + 1))[0, columns][~self.missing[r, columns]]
            for r in sampled_rows(height)
        ]
        return QuantileBracket(np.concatenate(sample), self._valid, 0.5)

    def _ok(self, rows: slice) -> np.ndarray | None:
        """The band's valid pixels, or None when all of them are (the common case: cheaper)."""
        return None if self._whole_rows[rows].all() else ~self.missing[rows]

    def _valid_values(self, band: np.ndarray, rows: slice) -> np.ndarray:
        ok = self._ok(rows)
        return band if ok is None else band[ok]

    def median(self, channel: int) -> np.float32:
        """The channel's model median (float32, as it is added back)."""
        value = self._medians[channel]
        if value is None:
            height, width, _ = self.shape
            bracket = self._brackets[channel]
            if self._fed[channel] != height * width:  # not every background band was made
                bracket = self._bracket(channel)
                for _, rows in planar_bands(height, width, 1):
                    bracket.add(self._valid_values(self.model(channel, rows), rows))
            found = bracket.value()
            if found is None:  # a sample unlike the whole: look at every value
                parts = [
                    self._valid_values(self.model(channel, rows), rows)
                    for _, rows in planar_bands(height, width, 1)
                ]
                found = quantiles(np.concatenate(parts), (0.5,))[0]
            value = self._medians[channel] = np.float32(found)
        return value

    def background(self, channel: int, rows: slice) -> np.ndarray:
        """Rows of one channel of the background output: the model clipped to [0, 1]."""
        m = self.model(channel, rows)
        self._brackets[channel].add(self._valid_values(m, rows))
        self._fed[channel] += m.size
        return self._output("background", channel, m, rows)

    def corrected(self, channel: int, rows: slice) -> np.ndarray:
        """Rows of one channel of the corrected output."""
        median = self.median(channel)
        m = self.model(channel, rows)
        x = self.image[rows, :, channel]
        ok = self._ok(rows)
        if ok is not None:
            x = np.where(ok, x, np.float32(0))
        if self.method == "subtract":
            out = x - m + median
        else:
            low = m < MODEL_FLOOR
            self.counts["model_floored"][channel] += _count(low, ok)
            out = x / np.where(low, np.float32(MODEL_FLOOR), m) * median
        return self._output("corrected", channel, out, rows)

    def _output(self, name: str, channel: int, values: np.ndarray, rows: slice) -> np.ndarray:
        """``values`` clipped to [0, 1], missing pixels 0; what was clipped is counted."""
        ok = self._ok(rows)
        self.counts[f"{name}_low"][channel] += _count(values < 0, ok)
        self.counts[f"{name}_high"][channel] += _count(values > 1, ok)
        clipped = np.clip(values, 0.0, 1.0)
        return clipped if ok is None else np.where(ok, clipped, np.float32(0))

    @property
    def medians(self) -> tuple[float, ...]:
        """Every channel's model median."""
        return tuple(float(self.median(c)) for c in range(self.shape[2]))

    @property
    def clipped(self) -> dict[str, list[int]]:
        """The clipping counts per channel, over the bands produced so far."""
        return {name: [int(v) for v in self.counts[name]] for name in _COUNTS}

    def summary(self) -> dict[str, object]:
        """JSON-ready description for the report (once every band has been produced)."""
        return {"method": self.method, "model_median": list(self.medians), "clipped": self.clipped}

    def arrays(self) -> Correction:
        """Both outputs whole, as (H, W, C) float32 arrays."""
        background = np.empty(self.shape, np.float32)
        corrected = np.empty(self.shape, np.float32)
        for out, band in ((background, self.background), (corrected, self.corrected)):
            for c, rows in planar_bands(*self.shape):
                out[rows, :, c] = band(c, rows)
        return Correction(background, corrected, self.method, self.medians, self.clipped)


def correct(
    image: np.ndarray, model: np.ndarray, missing: np.ndarray, method: str = "subtract"
) -> Correction:
    """Apply the linear background ``model`` to ``image``; both (H, W, C), float32.

    Parameters
    ----------
    image
        The linear input (not modified).
    model
        The linear background model at every pixel.
    missing
        (H, W) bool; these pixels are 0 in both outputs and left out of the median.
    method
        ``"subtract"`` or ``"divide"``.

    Examples
    --------
    >>> img = np.array([[[0.3]], [[0.5]]], np.float32)
    >>> c = correct(img, np.array([[[0.2]], [[0.4]]], np.float32), np.zeros((2, 1), bool))
    >>> [round(float(v), 6) for v in c.corrected[:, 0, 0]]
    [0.4, 0.4]
    """
    if image.shape != model.shape:
        raise ParameterError(f"model shape {model.shape} differs from image {image.shape}")
    return BandedCorrection(image, lambda c, rows: model[rows, :, c], missing, method).arrays()


def _count(flags: np.ndarray, ok: np.ndarray | None) -> int:
    """Number of valid pixels (``ok``; None: all) where ``flags`` holds."""
    return int(np.count_nonzero(flags if ok is None else flags & ok))
