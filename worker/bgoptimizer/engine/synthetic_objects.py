"""The large extended objects of the synthetic skies: what users image and tools "eat".

Each renderer takes normalised ``(y, x)`` grids (units of the long side), the frame's size in
those units, a random generator and the channel count, and returns the object's linear flux
(H, W, C). Levels are set against the sky's noise of :func:`~bgoptimizer.engine.synthetic.
make_sky` (σ ≈ 1e-3, ~2 % of the sky level): faint parts at 0.5–5 σ per pixel, cores far above.
Sizes follow issue 13's list: a nebula with a FWHM of 0.3–0.5 of the long side that runs off an
edge, an IFN veil over ~30 % of the frame, a Milky Way band over ~45 %, an M31-like galaxy
over ~20 %, and a dark cloud (10–20 % of the frame, 20–80 % deep) in front of an emission field.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["LARGE_OBJECTS", "dark_cloud", "edge_point", "large_nebula"]

Grid = np.ndarray
Frame = tuple[float, float]


def _colour(channels: int, rgb: tuple[float, float, float]) -> np.ndarray:
    c = np.asarray(rgb, np.float32)
    return c if channels == 3 else c[1:2]


def edge_point(frame: Frame, rng: np.random.Generator, toward: tuple[float, float] | None = None):
    """A point on the frame's edge: random, or where the line from the centre to ``toward``
    (a point beyond the frame, such as a light dome's town) leaves the frame.
    """
    h, w = frame
    if toward is None:
        angle = rng.uniform(0, 2 * np.pi)
        toward = (h / 2 + np.sin(angle), w / 2 + np.cos(angle))
    dy, dx = toward[0] - h / 2, toward[1] - w / 2
    reach = min(
        (h / 2) / abs(dy) if dy else np.inf,
        (w / 2) / abs(dx) if dx else np.inf,
    )
    return h / 2 + dy * reach, w / 2 + dx * reach


def _clouds(y: Grid, x: Grid, centre, spread: float, sizes, count: int, rng) -> np.ndarray:
    total = np.zeros_like(y)
    for _ in range(count):
        oy, ox = centre[0] + rng.normal(0, spread), centre[1] + rng.normal(0, spread)
        s = rng.uniform(*sizes)
        total += rng.uniform(0.5, 1.0) * np.exp(-0.5 * ((y - oy) ** 2 + (x - ox) ** 2) / s**2)
    return total / total.max()


def large_nebula(y: Grid, x: Grid, frame: Frame, rng, channels: int, toward=None) -> np.ndarray:
    """An Hα/OIII nebula with a FWHM of ~0.3–0.5 of the long side, centred on an edge."""
    cy, cx = edge_point(frame, rng, toward)
    shape = _clouds(y, x, (cy, cx), 0.08, (0.09, 0.16), 8, rng)
    level = rng.uniform(0.006, 0.012)  # core ~6–12 σ, wings at 0.5–5 σ
    return shape[..., None] * level * _colour(channels, (1.0, 0.5, 0.65))


def ifn(y: Grid, x: Grid, frame: Frame, rng, channels: int) -> np.ndarray:
    """An integrated-flux-nebula veil: long thin filaments over ~30 % of the frame, 2–4 σ."""
    h, w = frame
    cy, cx = rng.uniform(0.3, 0.7) * h, rng.uniform(0.3, 0.7) * w
    total = np.zeros_like(y)
    angle = rng.uniform(0, np.pi)  # filaments share a general direction, as IFN streams do
    for _ in range(30):
        oy, ox = cy + rng.normal(0, 0.12), cx + rng.normal(0, 0.12)
        angle += rng.normal(0, 0.4)
        length, width = rng.uniform(0.08, 0.25), rng.uniform(0.008, 0.025)
        u = (x - ox) * np.cos(angle) + (y - oy) * np.sin(angle)
        v = -(x - ox) * np.sin(angle) + (y - oy) * np.cos(angle)
        total += rng.uniform(0.5, 1.0) * np.exp(-0.5 * ((u / length) ** 2 + (v / width) ** 2))
    total = np.minimum(total / np.quantile(total, 0.995), 1.0)
    level = rng.uniform(0.002, 0.004)
    return total[..., None] * level * _colour(channels, (1.0, 0.92, 0.8))


def milky_way(y: Grid, x: Grid, frame: Frame, rng, channels: int) -> np.ndarray:
    """A Milky Way band across the frame (~45 % of it) with a dust lane along its middle."""
    h, w = frame
    theta = rng.uniform(0.3, 1.2)
    across = (y - h / 2) * np.cos(theta) - (x - w / 2) * np.sin(theta)
    along = (y - h / 2) * np.sin(theta) + (x - w / 2) * np.cos(theta)
    across = across - rng.uniform(-0.05, 0.05)
    band = np.exp(-0.5 * (across / rng.uniform(0.1, 0.14)) ** 2)
    lane = 1 - 0.6 * np.exp(-0.5 * ((across - 0.02 * np.sin(9 * along)) / 0.02) ** 2)
    clumps = 1 + 0.3 * _clouds(y, x, (h / 2, w / 2), 0.3, (0.03, 0.08), 12, rng)
    level = rng.uniform(0.008, 0.015)
    return (band * lane * clumps)[..., None] * level * _colour(channels, (1.0, 0.9, 0.78))


def big_galaxy(y: Grid, x: Grid, frame: Frame, rng, channels: int) -> np.ndarray:
    """An M31-like galaxy: an inclined exponential disk over ~20 % of the frame and a bulge."""
    h, w = frame
    cy, cx = rng.uniform(0.4, 0.6) * h, rng.uniform(0.4, 0.6) * w
    angle, axis, length = rng.uniform(0, np.pi), rng.uniform(0.28, 0.35), rng.uniform(0.06, 0.08)
    dy, dx = y - cy, x - cx
    u = dx * np.cos(angle) + dy * np.sin(angle)
    v = (-dx * np.sin(angle) + dy * np.cos(angle)) / axis
    r = np.sqrt(u**2 + v**2)
    disk = np.exp(-r / length) + 3.0 * np.exp(-((r / (0.1 * length)) ** 0.5) * 3)
    return disk[..., None] * rng.uniform(0.01, 0.02) * _colour(channels, (1.0, 0.88, 0.72))


def dark_cloud(y: Grid, x: Grid, frame: Frame, rng, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """An emission field over the frame and an absorbing cloud in front of it.

    Returns the emission after absorption and the flux the cloud took away (what a model that
    dips under the cloud would wrongly call sky).
    """
    h, w = frame
    field = _clouds(y, x, (h / 2, w / 2), 0.15, (0.12, 0.2), 8, rng)
    emission = field[..., None] * rng.uniform(0.008, 0.015) * _colour(channels, (1.0, 0.5, 0.65))
    cy, cx = rng.uniform(0.35, 0.65) * h, rng.uniform(0.35, 0.65) * w
    cloud = _clouds(y, x, (cy, cx), 0.03, (0.05, 0.08), 4, rng)
    depth = rng.uniform(0.2, 0.8)
    taken = emission * (depth * np.clip(cloud, 0, 1))[..., None]
    return emission - taken, taken


LARGE_OBJECTS: dict[str, Callable[..., np.ndarray]] = {
    "large_nebula": large_nebula,
    "ifn": ifn,
    "milky_way": milky_way,
    "big_galaxy": big_galaxy,
}
"""The large objects a sky can hold besides the dark cloud (which also returns what it took)."""
