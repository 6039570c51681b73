"""Iterative residual rejection: keep bright extended structure out of the refit.

After a pass of the fit, blocks that stand well above the model (a galaxy, a nebula, a star's
halo the block median kept) are given weight 0 and the fit is run again from the previous
pass's samples, as DBE/ABE users reject samples on objects. The noise scale is robust (the
MAD of the residuals over the weighted blocks, per channel), the test one-sided (only blocks
*above* the model are objects), an area that touches the frame's edge is judged by how far
its excess reaches into the frame (a gradient rising beyond the frame that the previous pass
fell short of fades within a few blocks of the edge; a nebula running off the edge does not),
and each rejected area is grown by a few blocks so that the objects' faint wings go too.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .init import nearest_pixels

__all__ = [
    "EDGE_REACH",
    "MAD_TO_SIGMA",
    "MIN_KEPT",
    "Rejection",
    "edge_reach",
    "reject_outliers",
    "relocate",
    "robust_sigma",
]

MAD_TO_SIGMA = 1.4826
"""Median absolute deviation → standard deviation for Gaussian noise."""

MIN_KEPT = 0.1
"""A rejection that would keep less than this share of the weighted blocks is not applied."""

EDGE_REACH = 0.1
"""An area at the edge whose excess reaches on average at most this share of the working
image's short side into the frame is a gradient rising beyond it (see :func:`_judge_edges`)."""

MIN_DEPTHS = 3
"""Depths (of at least 3 blocks each) an edge area must span to be judged."""

CORE_FACTOR = 2.0
"""The last rejection's core of a deep edge area: blocks above this many times ``sigma_k``."""

WING_SHARE = 0.25
"""Wings kept out with a core: up to this share of sqrt(the core's blocks) away from it."""


@dataclass(frozen=True)
class Rejection:
    """What one rejection step did.

    Attributes
    ----------
    sigma
        Robust noise scale of the residual per channel (stretched units).
    rejected_fraction
        Share of the weighted blocks given weight 0 (after growing).
    applied
        False when the rejection would have left less than :data:`MIN_KEPT` of the blocks,
        in which case the weights were kept as they were.
    """

    sigma: tuple[float, ...]
    rejected_fraction: float
    applied: bool

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form for the report."""
        return {
            "sigma": list(self.sigma),
            "rejected_fraction": self.rejected_fraction,
            "applied": self.applied,
        }


def robust_sigma(residual: np.ndarray, used: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median and MAD-based noise scale of ``residual`` (h, w, C) over ``used`` per channel.

    Examples
    --------
    >>> r = np.array([0.0, 1.0, -1.0, 2.0, -2.0, 50.0]).reshape(2, 3, 1)
    >>> centre, sigma = robust_sigma(r, np.ones_like(r, bool))
    >>> float(centre[0]), round(float(sigma[0]), 4)
    (0.5, 2.2239)
    """
    channels = residual.shape[2]
    centre, sigma = np.zeros(channels), np.zeros(channels)
    for c in range(channels):
        values = residual[..., c][used[..., c]]
        if values.size:
            centre[c] = np.median(values)
            sigma[c] = MAD_TO_SIGMA * np.median(np.abs(values - centre[c]))
    return centre, sigma


def reject_outliers(
    image: np.ndarray,
    weight: np.ndarray,
    model: np.ndarray,
    *,
    sigma_k: float,
    grow: int,
    final: bool = False,
) -> tuple[np.ndarray, Rejection]:
    """The weights with blocks far above the model set to 0, and what was done.

    Parameters
    ----------
    image
        (h, w, C) stretched working image, NaN where missing.
    weight
        (h, w, C) weights before rejection (the mask's, not a previous pass's).
    model
        (h, w, C) the previous pass's model at the working pixels.
    sigma_k
        A block is rejected when, in any channel, its residual exceeds the median residual by
        more than ``sigma_k`` robust sigma.
    grow
        Blocks by which each rejected area is grown (a square dilation).
    final
        The last rejection of a fit: an edge area judged an object keeps out of the fit only
        its bright parts (blocks above ``CORE_FACTOR · sigma_k``) that are not a gradient's
        shortfall hugging the edge, and the wings around them (:data:`WING_SHARE` of their
        size); the rest (a faint shelf where the stiff first pass fell short of a gradient,
        joined to an object) goes back to the fit. Earlier rejections keep the whole area
        out, so the refit's model is free of the object.

    Returns
    -------
    numpy.ndarray, Rejection
        (h, w, C) float32 weights, and the step's summary.
    """
    residual = np.asarray(image, np.float64) - np.asarray(model, np.float64)
    used = (weight > 0) & np.isfinite(residual)
    centre, sigma = robust_sigma(residual, used)
    with np.errstate(invalid="ignore"):
        high = (residual - centre > sigma_k * np.maximum(sigma, 1e-12)) & used
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing blocks: NaN
        excess = np.nanmean(
            np.where(used, (residual - centre) / np.maximum(sigma, 1e-12), np.nan), axis=2
        )
    core = sigma_k * CORE_FACTOR if final else None
    rejected = _judge_edges(high.any(axis=2), excess, ~np.isfinite(image).all(axis=2), core)
    if grow > 0 and rejected.any():
        rejected = ndimage.binary_dilation(rejected, np.ones((3, 3), bool), iterations=grow)
    weighted = used.any(axis=2)
    count = int(weighted.sum())
    lost = int((rejected & weighted).sum())
    fraction = lost / count if count else 0.0
    applied = count - lost >= MIN_KEPT * count
    out = np.where(rejected[..., None], 0.0, weight) if applied else weight
    return out.astype(np.float32), Rejection(tuple(map(float, sigma)), fraction, applied)


def _edge_areas(
    rejected: np.ndarray, no_data: np.ndarray
) -> tuple[np.ndarray, list[int], np.ndarray]:
    """Labels of ``rejected``'s connected areas, those touching the frame's edge or missing
    data, and every block's chessboard distance (in blocks) from that edge.
    """
    edge = no_data.copy()
    edge[[0, -1], :] = True
    edge[:, [0, -1]] = True
    square = np.ones((3, 3), bool)
    labels, _ = ndimage.label(rejected, square)
    touching = np.unique(labels[ndimage.binary_dilation(edge, square) & rejected])
    depth = ndimage.distance_transform_cdt(~edge, metric="chessboard")
    return labels, [int(t) for t in touching if t > 0], depth


def edge_reach(excess: np.ndarray, depth: np.ndarray) -> float | None:
    """How far into the frame an edge area's excess reaches: the excess-weighted mean depth
    of its median excess profile, in blocks (None when the area spans fewer than
    :data:`MIN_DEPTHS` depths of at least 3 blocks: too small to judge).

    Parameters
    ----------
    excess
        (n,) the area's blocks' excess over the model, in robust sigma.
    depth
        (n,) the same blocks' distance from the frame's edge, in blocks.

    Examples
    --------
    A shortfall that falls off within a few blocks of the edge, and a flat one:

    >>> depth = np.repeat(np.arange(12), 5)
    >>> round(edge_reach(20 * 0.5 ** depth, depth), 2), round(edge_reach(np.ones(60), depth), 2)
    (1.16, 5.0)
    """
    top = int(np.quantile(depth, 0.9))
    levels = [k for k in range(top + 1) if (depth == k).sum() >= 3]
    if len(levels) < MIN_DEPTHS:
        return None
    profile = np.array([np.nanmedian(excess[depth == k]) for k in levels])
    profile = np.interp(np.arange(top + 1), levels, np.nan_to_num(profile))
    profile = np.maximum(ndimage.uniform_filter1d(profile, 3, mode="nearest"), 0)
    total = profile.sum()
    return float((profile * np.arange(top + 1)).sum() / total) if total > 0 else 0.0


def _judge_edges(
    rejected: np.ndarray, excess: np.ndarray, no_data: np.ndarray, core: float | None = None
) -> np.ndarray:
    """``rejected`` without the areas at the frame's edge whose excess is a gradient's.

    At the edge, "above the model" is either an object that runs off the frame (a nebula,
    the Milky Way) or a gradient rising beyond it (a light dome, a horizon glow) that the
    stiff first pass fell short of. The shortfall of a smooth gradient is steepest at the
    edge and fades within a few blocks; an object's excess reaches as far into the frame as
    the object does. An area whose :func:`edge_reach` is at most :data:`EDGE_REACH` of the
    working image's short side stays in the fit (rejecting it would leave the refit to
    extrapolate the gradient); a deeper one is rejected like any object, or with ``core``
    (an excess level, robust sigma) only its cores and their wings (:func:`_cores`). Areas
    too small to judge stay in the fit, as all edge areas did before.
    """
    labels, touching, depth = _edge_areas(rejected, no_data)
    limit = EDGE_REACH * min(rejected.shape)
    out = rejected.copy()
    for label in touching:
        area = labels == label
        reach = edge_reach(excess[area], depth[area])
        if reach is None or reach <= limit:
            out &= ~area
        elif core is not None:
            out &= ~(area & ~_cores(area & (excess >= core), excess, depth, limit))
    return out


def _cores(bright: np.ndarray, excess: np.ndarray, depth: np.ndarray, limit: float) -> np.ndarray:
    """What a deep edge area keeps out of the last refit: its bright parts (each judged on
    its own: one hugging the edge within ``limit`` is a gradient's shortfall and goes back)
    and the wings within :data:`WING_SHARE` · sqrt(their blocks) of them. The rest — a faint
    shelf where the stiff first pass fell short of a gradient, joined to an object — goes
    back to the fit.
    """
    parts, count = ndimage.label(bright, np.ones((3, 3), bool))
    objects = np.zeros_like(bright)
    for k in range(1, count + 1):
        part = parts == k
        if depth[part].min() <= 1:  # at the edge: an object only if it reaches deep
            reach = edge_reach(excess[part], depth[part])
            if reach is None or reach <= limit:
                continue
        objects |= part
    if not objects.any():
        return objects
    return ndimage.distance_transform_edt(~objects) <= WING_SHARE * np.sqrt(objects.sum())


def relocate(
    centres: np.ndarray, coords: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Samples moved off blocks without weight onto the nearest weighted block.

    A sample left inside a rejected object would keep the object's level: nothing in the loss
    pulls it down any more. Moving it to the object's edge (where a DBE user would put it)
    lets the refit set it from the sky around the object.

    Parameters
    ----------
    centres
        (N, 2) normalised ``(y, x)`` sample positions.
    coords
        (h, w, 2) working pixel centres.
    weight
        (h, w, C) weights after rejection.

    Returns
    -------
    numpy.ndarray, numpy.ndarray
        (N, 2) positions (moved ones on a working pixel's centre) and the (N,) bool of the
        samples that moved. Several samples may land on one block (they then hold the
        object's edge more firmly; the regularised system stays solvable), but with fewer
        weighted blocks than samples nothing moves: samples stacked on two or three blocks
        leave the spline's linear part undetermined (a singular system).
    """
    keep = (weight > 0).any(axis=2)
    rows, cols = nearest_pixels(coords, centres)
    moved = ~keep[rows, cols]
    if not moved.any() or keep.sum() < len(centres):  # see "Returns"
        return centres, np.zeros(len(centres), bool)
    near = ndimage.distance_transform_edt(~keep, return_distances=False, return_indices=True)
    out = np.array(centres, copy=True)
    out[moved] = coords[near[0][rows[moved], cols[moved]], near[1][rows[moved], cols[moved]]]
    return out, moved
