"""Synthetic linear sky images with known truth, for ``bgoptimizer demo`` and the benchmark.

The gradients follow the physics of their sources rather than low-order polynomials: a town's
light dome beyond the frame (a power-law fall-off from an off-frame point), an airglow band
(a broad, gently curved Gaussian ridge), blue-tinted moonglow (exponential fall-off, slower in
blue as Rayleigh scattering is), a multiplicative vignetting residue (a flat that was not
quite right), and a skyscape horizon glow (steep exponential rise toward a tilted horizon just
below the frame). Over them: stars, a small galaxy, a faint nebula (or the large objects of
:mod:`bgoptimizer.engine.synthetic_objects`), registration borders of exact zeros, a
landscape given as a user mask, and photon + read noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .synthetic_objects import LARGE_OBJECTS, dark_cloud, large_nebula

__all__ = [
    "CASES",
    "GRADIENTS",
    "INVENTED_LIMIT",
    "OBJECTS",
    "Case",
    "SyntheticSky",
    "make_sky",
    "score_model",
]

GRADIENTS = ("dome", "airglow", "moon", "vignette", "horizon")

OBJECTS = ("galaxy", "nebula", *LARGE_OBJECTS, "dark_cloud")

SMALL_OBJECTS = ("galaxy", "nebula")


@dataclass(frozen=True)
class Case:
    """One benchmark sky: its gradients, its extended objects and how they are placed."""

    gradients: tuple[str, ...]
    objects: tuple[str, ...] = SMALL_OBJECTS
    landscape: bool = False
    """The bottom of the frame is a landscape, masked out by the user."""
    at_dome: bool = False
    """A large nebula sits in the corner the light dome rises from."""

    def sky(self, height: int, width: int, *, channels: int = 3, seed: int = 0) -> SyntheticSky:
        """Render this case (see :func:`make_sky`)."""
        return make_sky(
            height,
            width,
            channels=channels,
            gradients=self.gradients,
            objects=self.objects,
            landscape=self.landscape,
            at_dome=self.at_dome,
            seed=seed,
        )


CASES: dict[str, Case] = {
    "flat": Case(()),
    "dome": Case(("dome",)),
    "airglow": Case(("airglow",)),
    "moon": Case(("moon",)),
    "vignette": Case(("vignette",)),
    "horizon": Case(("horizon",)),
    "dome+airglow+vignette": Case(("dome", "airglow", "vignette")),
    "moon+horizon": Case(("moon", "horizon")),
    # the users' hard cases (issue 13): large objects, off the edge, dark ones
    "large-nebula@edge": Case(("airglow",), ("large_nebula", "galaxy")),
    "large-nebula@dome": Case(("dome",), ("large_nebula",), at_dome=True),
    "ifn": Case(("dome", "vignette"), ("ifn", "galaxy")),
    "milky-way+landscape": Case(("horizon",), ("milky_way",), landscape=True),
    "big-galaxy": Case(("moon",), ("big_galaxy",)),
    "vignette+large-nebula": Case(("vignette",), ("large_nebula",)),
    "borders+large-nebula": Case(("moon", "vignette"), ("large_nebula", "nebula")),
    "dark-cloud": Case(("dome",), ("dark_cloud",)),
}
"""Named benchmark cases."""

SMALL_CASES = tuple(CASES)[:8]
"""The cases with small objects only (the benchmark's first set)."""

SUPPORT = 0.01
"""An extended object's support: where it exceeds this share of its peak."""

INVENTED_LIMIT = 1.0
"""% of the sky level by which a flat sky's model may vary outside the objects."""

_SKY = np.array([0.040, 0.045, 0.050])  # linear sky level per channel (R, G, B)


@dataclass(frozen=True)
class SyntheticSky:
    """An image and its truth, all (H, W, C) float32 in the image's linear units.

    ``image = clip((background_sky + extended + stars) · vignette + noise, 0, 1)`` with missing
    pixels set to 0; ``background`` is the sky after vignetting (what a perfect model
    returns), ``extended`` the galaxy and nebula after vignetting (the flux a model must not
    absorb).
    """

    image: np.ndarray
    background: np.ndarray
    extended: np.ndarray
    missing: np.ndarray
    gradients: tuple[str, ...]
    mask: np.ndarray | None = None
    """(H, W) bool user mask, True on the sky (a landscape case), else None."""
    dark: np.ndarray | None = None
    """(H, W, C) flux a dark cloud took from the emission behind it, else None."""


def make_sky(
    height: int,
    width: int,
    *,
    channels: int = 3,
    gradients: Sequence[str] = ("dome", "airglow", "vignette"),
    seed: int = 0,
    noise: float = 1.0,
    borders: bool = True,
    objects: Sequence[str] = SMALL_OBJECTS,
    landscape: bool = False,
    at_dome: bool = False,
) -> SyntheticSky:
    """Render one synthetic sky; the same seed gives the same image.

    Parameters
    ----------
    height, width
        Frame size in pixels.
    channels
        1 (mono, the green channel's levels) or 3 (RGB).
    gradients
        Any of :data:`GRADIENTS`; none gives a gradient-free sky.
    seed
        Seeds every random choice: positions, strengths, stars, noise.
    noise
        Noise scale (1 = a typical integrated master).
    borders
        Add registration borders (exact zeros) along two edges.
    objects
        Any of :data:`OBJECTS`. The small galaxy and nebula come from ``seed``'s main stream
        (the first benchmark's skies are unchanged); the large ones from a second stream.
    landscape
        Replace the bottom ~20–30 % of the frame with a dark landscape, given as ``mask``.
    at_dome
        Put a large nebula on the edge nearest the light dome's town.

    Examples
    --------
    >>> sky = make_sky(60, 90, gradients=("moon",), seed=1)
    >>> sky.image.shape, bool(sky.missing.any())
    ((60, 90, 3), True)
    """
    unknown = sorted(set(gradients) - set(GRADIENTS)) + sorted(set(objects) - set(OBJECTS))
    if unknown:
        raise ValueError(f"unknown gradient(s) or object(s): {', '.join(unknown)}")
    rng = np.random.default_rng(seed)
    scale = float(max(height, width))
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    y, x = (yy + 0.5) / scale, (xx + 0.5) / scale
    frame = (height / scale, width / scale)
    sky_colour = _SKY if channels == 3 else _SKY[1:2]
    bg = np.broadcast_to(sky_colour, (height, width, channels)).astype(np.float32).copy()
    gain = np.ones((height, width, 1), np.float32)
    town = None
    for name in gradients:
        if name == "vignette":
            gain = _vignette(y, x, frame, rng)[..., None]
        elif name == "dome":
            glow, town = _dome(y, x, frame, rng, channels)
            bg += glow
        else:
            bg += _ADDITIVE[name](y, x, frame, rng, channels)
    extended = np.zeros(bg.shape)  # float64, as the sum of the objects always was
    if "galaxy" in objects:
        extended += _galaxy(y, x, frame, rng, channels, scale)
    if "nebula" in objects:
        extended += _nebula(y, x, frame, rng, channels)
    stars = _stars(height, width, rng, channels)
    large = np.random.default_rng([seed, 13])
    dark = None
    for name in objects:
        if name == "large_nebula":
            extended += large_nebula(y, x, frame, large, channels, town if at_dome else None)
        elif name == "dark_cloud":
            emission, dark = dark_cloud(y, x, frame, large, channels)
            extended += emission
            stars *= 1 - dark / np.maximum(emission + dark, 1e-12)  # the stars behind it too
        elif name in LARGE_OBJECTS:
            extended += LARGE_OBJECTS[name](y, x, frame, large, channels)
    background = bg * gain
    extended = extended * gain
    signal = background + extended + stars * gain
    sigma = noise * np.sqrt(2e-6 * signal + 1e-6)
    image = np.clip(signal + sigma * rng.standard_normal(signal.shape, np.float32), 1e-6, 1)
    missing = _borders(height, width, rng) if borders else np.zeros((height, width), bool)
    mask = None
    if landscape:
        mask = _sky_above_landscape(y, x, frame, large)
        ground = 0.3 * sky_colour * (1 + 0.05 * large.standard_normal(image.shape))
        image = np.where(mask[..., None], image, ground).astype(np.float32)
    image[missing] = 0.0
    return SyntheticSky(
        image.astype(np.float32),
        background.astype(np.float32),
        extended.astype(np.float32),
        missing,
        tuple(gradients),
        mask,
        None if dark is None else (dark * gain).astype(np.float32),
    )


def score_model(sky: SyntheticSky, model: np.ndarray) -> dict[str, float]:
    """How well a linear background ``model`` (H, W, C) matches the truth, in percent.

    ``residual_rms_pct`` / ``residual_max_pct``: model − truth with its mean removed, RMS and
    largest absolute value over the valid pixels, as % of the true gradient's peak-to-peak
    (channel mean). ``absorbed_pct``: how much of the extended objects' profile the model's
    excess over the truth holds (least-squares coefficient of the object in the residual,
    offset taken outside the objects; 100 = the model swallowed the objects whole). On a
    gradient-free sky ``invented_ptp_pct`` replaces the residual figures: the model's
    peak-to-peak outside the objects as % of the sky level.
    """
    valid = ~sky.missing if sky.mask is None else ~sky.missing & sky.mask
    truth = sky.background[valid].astype(np.float64)
    est = model[valid].astype(np.float64)
    diff = est - truth
    ext = sky.extended[valid].astype(np.float64)
    support = ext > SUPPORT * ext.max(axis=0)
    out: dict[str, float] = {}
    ptp = np.ptp(truth, axis=0)
    if ptp.min() > 0:  # residual figures (a sky with a gradient)
        centred = diff - diff.mean(axis=0)
        out["residual_rms_pct"] = float(np.mean(np.sqrt((centred**2).mean(axis=0)) / ptp * 100))
        out["residual_max_pct"] = float(np.mean(np.abs(centred).max(axis=0) / ptp * 100))
    else:
        outside = ~support.any(axis=1)
        sky_level = np.median(truth, axis=0)
        out["invented_ptp_pct"] = float(np.max(np.ptp(est[outside], axis=0) / sky_level * 100))
    absorbed = 0.0
    for c in range(ext.shape[1]):  # the object's template fitted to the residual, flux-weighted
        e = ext[:, c]
        offset = np.median(diff[~support[:, c], c])
        absorbed += float(((diff[:, c] - offset) * e).sum() / (e * e).sum() * e.sum())
    out["absorbed_pct"] = absorbed / float(ext.sum()) * 100
    if sky.dark is not None:  # how far the model sank under the cloud, as % of its depth
        taken = sky.dark[valid].astype(np.float64)
        depth = taken.sum(axis=1)
        core, clear = depth > 0.5 * depth.max(), depth < 0.01 * depth.max()
        offset = np.median(diff[clear], axis=0)
        sank = -(diff[core] - offset).mean(axis=0)
        out["dip_pct"] = float(np.mean(sank / taken[core].mean(axis=0)) * 100)
    return out


def _colour(channels: int, rgb: Sequence[float]) -> np.ndarray:
    c = np.asarray(rgb, np.float32)
    return c if channels == 3 else c[1:2]


def _off_frame_point(frame: tuple[float, float], rng: np.random.Generator, reach: float):
    """A point just beyond a random edge or corner of the frame."""
    h, w = frame
    angle = rng.uniform(0, 2 * np.pi)
    cy, cx = h / 2, w / 2
    r = np.hypot(cy, cx) * (1 + reach)
    return cy + r * np.sin(angle), cx + r * np.cos(angle)


def _dome(y, x, frame, rng, channels):
    """The glow and its town's position (beyond the frame)."""
    py, px = _off_frame_point(frame, rng, rng.uniform(0.05, 0.4))
    d2 = (y - py) ** 2 + (x - px) ** 2
    length = rng.uniform(0.25, 0.5)
    shape = (1 + d2 / length**2) ** -1.5  # sodium/LED glow over a town, seen at an altitude
    shape /= shape.max()
    glow = shape[..., None] * rng.uniform(0.03, 0.06) * _colour(channels, (1.0, 0.8, 0.55))
    return glow, (py, px)


def _airglow(y, x, frame, rng, channels):
    h, w = frame
    theta = rng.uniform(0, np.pi)
    curvature = rng.uniform(0.5, 1.5)  # the band is an arc of a great circle
    ny, nx = np.sin(theta), np.cos(theta)
    along = (y - h / 2) * nx - (x - w / 2) * ny
    across = (y - h / 2) * ny + (x - w / 2) * nx - rng.uniform(-0.2, 0.2) * max(h, w)
    across = across - 0.5 * curvature * along**2
    width = rng.uniform(0.12, 0.25)
    shape = np.exp(-0.5 * (across / width) ** 2)
    return shape[..., None] * rng.uniform(0.01, 0.02) * _colour(channels, (0.7, 1.0, 0.45))


def _moon(y, x, frame, rng, channels):
    py, px = _off_frame_point(frame, rng, rng.uniform(0.2, 0.8))
    d = np.sqrt((y - py) ** 2 + (x - px) ** 2)[..., None]
    lengths = _colour(channels, (0.35, 0.45, 0.6))  # blue scatters farther
    shape = np.exp(-(d - d.min()) / lengths)
    return shape * rng.uniform(0.02, 0.04) * _colour(channels, (0.8, 0.9, 1.0))


def _horizon(y, x, frame, rng, channels):
    h, w = frame
    tilt = rng.uniform(-0.15, 0.15)
    horizon = h + rng.uniform(0.0, 0.05) + tilt * (x - w / 2)  # just below the bottom edge
    depth = np.maximum(horizon - y, 0)
    shape = np.exp(-depth / rng.uniform(0.08, 0.15))
    return shape[..., None] * rng.uniform(0.04, 0.08) * _colour(channels, (1.0, 0.75, 0.5))


_ADDITIVE = {"airglow": _airglow, "moon": _moon, "horizon": _horizon}  # and the dome


def _vignette(y, x, frame, rng):
    h, w = frame
    cy, cx = h / 2 + rng.uniform(-0.05, 0.05), w / 2 + rng.uniform(-0.05, 0.05)
    r2 = ((y - cy) ** 2 + (x - cx) ** 2) / (h**2 + w**2) * 4  # 1 at the corners
    return 1 - rng.uniform(0.05, 0.12) * r2 + rng.uniform(0.0, 0.02) * r2**2


def _galaxy(y, x, frame, rng, channels, scale):
    h, w = frame
    cy, cx = rng.uniform(0.25, 0.75) * h, rng.uniform(0.25, 0.75) * w
    size = rng.uniform(0.012, 0.025)
    axis, angle = rng.uniform(0.35, 0.8), rng.uniform(0, np.pi)
    dy, dx = y - cy, x - cx
    u = dx * np.cos(angle) + dy * np.sin(angle)
    v = (-dx * np.sin(angle) + dy * np.cos(angle)) / axis
    r = np.sqrt(u**2 + v**2 + (0.5 / scale) ** 2)
    disk = np.exp(-r / size) + 2.0 * np.exp(-((r / (0.15 * size)) ** 0.5) * 3)
    return disk[..., None] * rng.uniform(0.02, 0.05) * _colour(channels, (1.0, 0.9, 0.75))


def _nebula(y, x, frame, rng, channels):
    h, w = frame
    cy, cx = rng.uniform(0.3, 0.7) * h, rng.uniform(0.3, 0.7) * w
    total = np.zeros_like(y)
    for _ in range(6):  # overlapping clouds: irregular, faint, FWHM ~ 0.1-0.15 of the frame
        oy, ox = cy + rng.normal(0, 0.035), cx + rng.normal(0, 0.035)
        s = rng.uniform(0.02, 0.05)
        total += rng.uniform(0.5, 1.0) * np.exp(-0.5 * ((y - oy) ** 2 + (x - ox) ** 2) / s**2)
    total /= total.max()
    return total[..., None] * rng.uniform(0.006, 0.012) * _colour(channels, (1.0, 0.45, 0.6))


def _stars(height, width, rng, channels):
    stars = np.zeros((height, width, channels), np.float32)
    count = max(5, height * width // 1500)
    sigma = rng.uniform(0.9, 1.4)
    half = 6
    k = np.arange(-half, half + 1, dtype=np.float32)
    ys = rng.integers(0, height, count)
    xs = rng.integers(0, width, count)
    flux = 10 ** rng.uniform(-3, 0.3, count)  # total flux per star, log-uniform
    tint = rng.uniform(0.7, 1.3, (count, 3))
    for cy, cx, f, t in zip(ys, xs, flux, tint, strict=True):
        fy, fx = rng.uniform(-0.5, 0.5, 2)
        psf = np.exp(-0.5 * ((k[:, None] - fy) ** 2 + (k[None, :] - fx) ** 2) / sigma**2)
        psf *= f / (2 * np.pi * sigma**2)
        y0, y1 = max(0, cy - half), min(height, cy + half + 1)
        x0, x1 = max(0, cx - half), min(width, cx + half + 1)
        stamp = psf[y0 - cy + half : y1 - cy + half, x0 - cx + half : x1 - cx + half]
        stars[y0:y1, x0:x1] += stamp[..., None] * (t if channels == 3 else t[1:2])
    return stars


def _borders(height, width, rng):
    missing = np.zeros((height, width), bool)
    top = int(rng.uniform(0.01, 0.04) * height)
    left = int(rng.uniform(0.01, 0.04) * width)
    missing[:top] = True
    rows = np.arange(height)[:, None]
    missing |= np.arange(width)[None, :] < left + (rows * 0.01).astype(int)  # slight rotation
    return missing


def _sky_above_landscape(y, x, frame, rng):
    """True above a hilly skyline across the bottom ~20–30 % of the frame."""
    h, w = frame
    line = h * rng.uniform(0.7, 0.8) + rng.uniform(-0.05, 0.05) * (x - w / 2)
    for k in (3, 7, 15):  # hills, then trees
        line = line + rng.uniform(0.005, 0.02) * np.sin(k * 2 * np.pi * x / w + rng.uniform(0, 6))
    return y < line
