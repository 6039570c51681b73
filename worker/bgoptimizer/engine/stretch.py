"""The reversible per-channel stretch (delinearisation) of DESIGN §5, in pure numpy.

The PixInsight dialog computes the same numbers in JavaScript; ``tests/fixtures/
stretch_vectors.json`` pins the two together. Conventions both sides follow:

- statistics are taken over the non-missing pixels only (see :mod:`bgoptimizer.engine.masking`);
- a quantile is the linear interpolation between order statistics at index ``q·(n−1)``
  (numpy's default, R type 7); the median is the quantile 0.5;
- ``p = min(x)``, ``s = quantile_q(x) − p`` (``1`` when that is 0: a flat channel),
  ``b = clip((median(x) − p) / s, 0, 1)``, ``m`` solves ``mtf(m, b) = t`` and is clamped to
  ``[MIDTONES_EPS, 1 − MIDTONES_EPS]``;
- outside ``u ∈ [0, 1]`` the transfer curve continues as the straight line tangent at the
  end point, so the unclipped values the fit and the mask thresholds use, and the inverse of
  a model that strays outside [0, 1], stay finite, monotone and exactly reversible.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exceptions import ParameterError

__all__ = [
    "MIDTONES_EPS",
    "QuantileBracket",
    "StretchParams",
    "fit_stretch",
    "midtones_for",
    "mtf",
    "quantiles",
]

MIDTONES_EPS = 1e-6
"""Smallest distance of the midtones balance from 0 and 1 (0 and 1 are degenerate curves)."""

_CHUNK = 1 << 22  # elements per slice when transforming large arrays


def mtf(m: float | np.ndarray, x: np.ndarray) -> np.ndarray:
    """Midtones transfer function ``(m−1)x / ((2m−1)x − m)``: maps 0→0, m→0.5, 1→1."""
    return (m - 1.0) * x / ((2.0 * m - 1.0) * x - m)


def midtones_for(b: float, t: float) -> float:
    """The balance ``m`` with ``mtf(m, b) = t``, clamped away from the degenerate 0 and 1."""
    m = b * (1.0 - t) / (b * (1.0 - 2.0 * t) + t)
    return float(np.clip(m, MIDTONES_EPS, 1.0 - MIDTONES_EPS))


_SAMPLE = 1 << 16
"""Values in the sample that brackets each order statistic of a large array."""

_BRACKET_SIGMAS = 8.0
"""Half-width of a bracket, in standard deviations of a sample rank (misses are retried)."""


def quantiles(values: np.ndarray, qs: Sequence[float]) -> list[float]:
    """Linear-interpolation quantiles (numpy's default) of a 1-D array, in float64: exact.

    A large array is not partitioned whole: a strided sample brackets each order statistic
    needed (:class:`QuantileBracket`), and a partition of the few values inside the bracket
    gives the exact value (a bracket that misses, possible for a sample unlike the whole,
    falls back to partitioning everything).
    """
    n = values.size
    if n == 0:
        raise ParameterError("cannot stretch an image with no valid pixels")
    out = []
    for q in qs:
        value = None
        if n > 8 * _SAMPLE:
            bracket = QuantileBracket(values[:: n // _SAMPLE], n, q)
            bracket.add(values)
            value = bracket.value()
        out.append(_partitioned(values, q) if value is None else value)
    return out


def _partitioned(values: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` by partitioning all of them."""
    n = values.size
    k = q * (n - 1)
    lo = int(np.floor(k))
    hi = min(lo + 1, n - 1)
    part = np.partition(values, sorted({lo, hi}))
    a, b = float(part[lo]), float(part[hi])
    return a + (k - lo) * (b - a)


class QuantileBracket:
    """The exact ``q`` quantile of ``n`` values seen in parts, in one pass over them.

    A sample of the values brackets the two order statistics the quantile needs
    (±:data:`_BRACKET_SIGMAS` standard deviations of a sample rank); :meth:`add` counts each
    part's values below the bracket and keeps those inside it (a few % of them), and
    :meth:`value` partitions only those. It is None when the bracket missed (a sample unlike
    the whole): the caller then looks at all the values.

    Examples
    --------
    >>> values = np.arange(1000, dtype=np.float32)
    >>> bracket = QuantileBracket(values[::7], values.size, 0.5)
    >>> for part in np.split(values, 4):
    ...     bracket.add(part)
    >>> bracket.value()
    499.5
    """

    def __init__(self, sample: np.ndarray, n: int, q: float) -> None:
        self.k = q * (n - 1)
        self.lo = int(np.floor(self.k))
        self.hi = min(self.lo + 1, n - 1)
        ordered = np.sort(np.asarray(sample).reshape(-1))
        m = ordered.size
        spread = _BRACKET_SIGMAS * np.sqrt(m * 0.25) + 1
        first = int(max(0, np.floor(self.lo / max(n - 1, 1) * (m - 1) - spread)))
        last = int(min(m - 1, np.ceil(self.hi / max(n - 1, 1) * (m - 1) + spread)))
        self.low, self.high = ordered[first], ordered[last]
        self.below = 0
        self.inside: list[np.ndarray] = []

    def add(self, part: np.ndarray) -> None:
        """Take one part of the values (any shape; each value once over all the parts)."""
        self.below += int(np.count_nonzero(part < self.low))
        self.inside.append(part[(part >= self.low) & (part <= self.high)])

    def value(self) -> float | None:
        """The quantile, in float64, or None when it fell outside the bracket."""
        inside = np.concatenate(self.inside) if self.inside else np.zeros(0)
        lo, hi = self.lo - self.below, self.hi - self.below
        if lo < 0 or hi >= inside.size:
            return None
        part = np.partition(inside, sorted({lo, hi}))
        a, b = float(part[lo]), float(part[hi])
        return a + (self.k - self.lo) * (b - a)


@dataclass(frozen=True)
class StretchParams:
    """Effective stretch of each channel: pedestal ``p``, scale ``s`` and midtones ``m``.

    Examples
    --------
    >>> sp = StretchParams(pedestal=(0.1,), scale=(0.4,), midtones=(0.5,))
    >>> round(sp.forward(np.array([[[0.3]]])).item(), 6)
    0.5
    >>> round(sp.inverse(np.array([[[0.5]]])).item(), 6)
    0.3
    """

    pedestal: tuple[float, ...]
    scale: tuple[float, ...]
    midtones: tuple[float, ...]

    def __post_init__(self) -> None:
        for name in ("pedestal", "scale", "midtones"):
            object.__setattr__(self, name, tuple(float(v) for v in getattr(self, name)))
        if not len(self.pedestal) == len(self.scale) == len(self.midtones) >= 1:
            raise ParameterError("stretch pedestal, scale and midtones need one value per channel")
        values = self.pedestal + self.scale + self.midtones
        if not all(np.isfinite(values)):
            raise ParameterError("stretch parameters must be finite")
        if min(self.scale) <= 0:
            raise ParameterError(f"stretch scale must be > 0, got {list(self.scale)}")
        if not all(0.0 < m < 1.0 for m in self.midtones):
            raise ParameterError(f"stretch midtones must be in (0, 1), got {list(self.midtones)}")

    @property
    def channels(self) -> int:
        """Number of channels these parameters describe."""
        return len(self.pedestal)

    def check_channels(self, channels: int) -> None:
        """Refuse to apply these parameters to an image with another number of channels.

        Examples
        --------
        >>> StretchParams((0.0,), (1.0,), (0.5,)).check_channels(3)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bgoptimizer.exceptions.ParameterError: stretch has 1 value(s) per parameter but ...
        """
        if channels != self.channels:
            raise ParameterError(
                f"stretch has {self.channels} value(s) per parameter "
                f"but the image has {channels} channel(s)"
            )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], channels: int | None = None) -> StretchParams:
        """Explicit parameters from JSON; a single value per key applies to every channel."""
        unknown = sorted(set(values) - {"pedestal", "scale", "midtones"})
        if unknown:
            raise ParameterError(f"unknown stretch parameter(s): {', '.join(unknown)}")
        try:
            lists = {
                k: np.atleast_1d(np.asarray(values[k], dtype=float)).tolist()
                for k in ("pedestal", "scale", "midtones")
            }
        except (KeyError, TypeError, ValueError) as exc:
            raise ParameterError(
                "explicit stretch needs numeric pedestal, scale and midtones"
            ) from exc
        n = channels or max(len(v) for v in lists.values())
        for key, v in lists.items():
            if len(v) == 1:
                lists[key] = v * n
            elif len(v) != n:
                raise ParameterError(f"stretch {key} has {len(v)} values for {n} channel(s)")
        return cls(**{k: tuple(v) for k, v in lists.items()})

    def to_dict(self) -> dict[str, list[float]]:
        """JSON-ready ``{"pedestal": [...], "scale": [...], "midtones": [...]}``."""
        return {
            "pedestal": list(self.pedestal),
            "scale": list(self.scale),
            "midtones": list(self.midtones),
        }

    def forward(self, x: np.ndarray, *, clip: bool = True) -> np.ndarray:
        """Stretch linear values ``x`` (..., C); ``clip=False`` keeps the tangent extensions.

        NaN stays NaN. The result has ``x``'s floating dtype (float32 for images).
        """
        return self._map(x, _forward_channel, clip)

    def inverse(self, y: np.ndarray) -> np.ndarray:
        """Linear values whose stretch is ``y`` (..., C): the inverse of ``forward(clip=False)``."""
        return self._map(y, _inverse_channel, False)

    def inverse_channel(self, y: np.ndarray, channel: int) -> np.ndarray:
        """:meth:`inverse` of values ``y`` (any shape) of one channel: the same numbers.

        Examples
        --------
        >>> sp = StretchParams(pedestal=(0.0, 0.1), scale=(1.0, 0.4), midtones=(0.5, 0.5))
        >>> round(sp.inverse_channel(np.array([0.5], np.float32), 1).item(), 6)
        0.3
        """
        v = np.asarray(y)
        v = v.astype(np.result_type(v.dtype, np.float32), copy=False)
        c = channel
        return _inverse_channel(v, self.pedestal[c], self.scale[c], self.midtones[c], False)

    def _map(self, a: np.ndarray, fn: Any, clip: bool) -> np.ndarray:
        a = np.asarray(a)
        dtype = np.result_type(a.dtype, np.float32)
        self.check_channels(a.shape[-1])
        out = np.empty(a.shape, dtype=dtype)
        flat_in = a.reshape(-1, self.channels)
        flat_out = out.reshape(-1, self.channels)
        for start in range(0, flat_in.shape[0], _CHUNK):
            rows = slice(start, start + _CHUNK)
            for c in range(self.channels):
                v = flat_in[rows, c].astype(dtype, copy=False)
                flat_out[rows, c] = fn(v, self.pedestal[c], self.scale[c], self.midtones[c], clip)
        return out


def _forward_channel(x: np.ndarray, p: float, s: float, m: float, clip: bool) -> np.ndarray:
    u = (x - x.dtype.type(p)) / x.dtype.type(s)
    y = mtf(x.dtype.type(m), np.clip(u, 0.0, 1.0))
    if clip:
        return y
    low, high = (1.0 - m) / m, m / (1.0 - m)  # slopes of the curve at u = 0 and u = 1
    y = _extended(u < 0, lambda: u * x.dtype.type(low), y)
    return _extended(u > 1, lambda: 1.0 + (u - 1.0) * x.dtype.type(high), y)


def _inverse_channel(y: np.ndarray, p: float, s: float, m: float, _clip: bool) -> np.ndarray:
    u = mtf(y.dtype.type(1.0 - m), np.clip(y, 0.0, 1.0))
    u = _extended(y < 0, lambda: y * y.dtype.type(m / (1.0 - m)), u)
    u = _extended(y > 1, lambda: 1.0 + (y - 1.0) * y.dtype.type((1.0 - m) / m), u)
    return u * y.dtype.type(s) + y.dtype.type(p)


def _extended(outside: np.ndarray, line: Callable[[], np.ndarray], curve: np.ndarray) -> np.ndarray:
    """``np.where(outside, line(), curve)``, with ``line`` (a tangent beyond [0, 1]) computed
    only when some value needs it: most bands of a sky or a model have none below 0 (or
    above 1), and the skipped product and select were two of a band's ~10 passes.
    """
    return np.where(outside, line(), curve) if outside.any() else curve


def fit_stretch(
    pixels: np.ndarray, missing: np.ndarray, *, quantile: float, target: float
) -> StretchParams:
    """Per-channel ``p, s, m`` from the non-missing pixels of ``pixels`` (H, W, C).

    One pass over the image in cache-sized row bands: the minimum, and the two quantiles
    bracketed by an evenly spaced grid of pixels (:class:`QuantileBracket`), so no channel's
    valid values are ever copied out whole (unless a bracket misses).

    Parameters
    ----------
    pixels
        Linear image (H, W, C).
    missing
        (H, W) bool, True where a pixel is excluded from the statistics.
    quantile, target
        ``q`` and ``t`` of DESIGN §5.

    Raises
    ------
    ParameterError
        When no pixel is valid.
    """
    valid = ~missing
    n = int(np.count_nonzero(valid))
    if n == 0:
        raise ParameterError("cannot stretch an image with no valid pixels")
    stats = _stretch_stats(pixels, valid, n, quantile)
    pedestal, scale, midtones = [], [], []
    for p, q_val, med in stats:
        s = q_val - p
        if not s > 0:
            s = 1.0
        b = float(np.clip((med - p) / s, 0.0, 1.0))
        pedestal.append(p)
        scale.append(s)
        midtones.append(midtones_for(b, target))
    return StretchParams(tuple(pedestal), tuple(scale), tuple(midtones))


_STRETCH_BAND_VALUES = 1 << 18
"""Values (all channels) per row band of :func:`fit_stretch`'s pass."""


def _stretch_stats(
    pixels: np.ndarray, valid: np.ndarray, n: int, quantile: float
) -> list[tuple[float, float, float]]:
    """``(minimum, quantile, median)`` of each channel's ``n`` valid values."""
    height, width, channels = pixels.shape
    if n <= 8 * _SAMPLE:
        out = []
        for c in range(channels):
            values = pixels[..., c][valid]
            out.append((float(values.min()), *quantiles(values, (quantile, 0.5))))
        return out
    stride = max(1, int(np.sqrt(height * width / _SAMPLE)))
    grid = (slice(None, None, stride), slice(None, None, stride))
    brackets = []
    for c in range(channels):
        sample = pixels[(*grid, c)][valid[grid]]
        brackets.append([QuantileBracket(sample, n, q) for q in (quantile, 0.5)])
    lowest = np.full(channels, np.inf)
    step = max(1, _STRETCH_BAND_VALUES // (width * channels))
    for r0 in range(0, height, step):
        rows = slice(r0, r0 + step)
        ok = valid[rows]
        whole = ok.all()
        for c in range(channels):
            band = pixels[rows, :, c]
            values = band if whole else band[ok]
            if values.size:
                lowest[c] = min(lowest[c], float(values.min()))
                for bracket in brackets[c]:
                    bracket.add(values)
    out = []
    for c in range(channels):
        found = [bracket.value() for bracket in brackets[c]]
        if None in found:  # a grid unlike the whole: every value of the channel
            found = quantiles(pixels[..., c][valid], (quantile, 0.5))
        out.append((float(lowest[c]), *found))
    return out
