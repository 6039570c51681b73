"""Iterative residual rejection: keep bright extended structure out of the refit.

After a pass of the fit, blocks that stand well above the model (a galaxy, a nebula, a star's
halo the block median kept) are given weight 0 and the fit is run again from the previous
pass's samples, as DBE/ABE users reject samples on objects. The noise scale is robust (the
MAD of the residuals over the weighted blocks, per channel), the test one-sided (only blocks
*above* the model are objects), areas that touch the frame's edge are kept (there, above the
model is a gradient rising beyond the frame that the previous pass fell short of), and each
rejected area is grown by a few blocks so that the objects' faint wings go too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .init import nearest_pixels

__all__ = ["MAD_TO_SIGMA", "MIN_KEPT", "Rejection", "reject_outliers", "relocate", "robust_sigma"]

MAD_TO_SIGMA = 1.4826
"""Median absolute deviation → standard deviation for Gaussian noise."""

MIN_KEPT = 0.1
"""A rejection that would keep less than this share of the weighted blocks is not applied."""


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
    excess = np.where(used, (residual - centre) / np.maximum(sigma, 1e-12), np.nan)
    rejected = _judge_edges(high.any(axis=2), np.nanmean(excess, axis=2), ~np.isfinite(image).all(axis=2))
    if grow > 0 and rejected.any():
        rejected = ndimage.binary_dilation(rejected, np.ones((3, 3), bool), iterations=grow)
    weighted = used.any(axis=2)
    count = int(weighted.sum())
    lost = int((rejected & weighted).sum())
    fraction = lost / count if count else 0.0
    applied = count - lost >= MIN_KEPT * count
    out = np.where(rejected[..., None], 0.0, weight) if applied else weight
    return out.astype(np.float32), Rejection(tuple(map(float, sigma)), fraction, applied)


REACH = 0.1
FAINT = 4.0
FAINT = 4.0


def _judge_edges(rejected: np.ndarray, excess: np.ndarray, no_data: np.ndarray) -> np.ndarray:
    """Edge areas kept when their excess rises to the edge like a gradient from beyond."""
    import os
    edge = no_data.copy()
    edge[[0, -1], :] = True
    edge[:, [0, -1]] = True
    square = np.ones((3, 3), bool)
    depth = ndimage.distance_transform_cdt(~edge, metric="chessboard")
    labels, count = ndimage.label(rejected, square)
    near = ndimage.binary_dilation(edge, square) & rejected
    short = min(rejected.shape)
    out = rejected.copy()
    for label in np.unique(labels[near]):
        if label == 0:
            continue
        area = labels == label
        u = depth[area]
        e = excess[area]
        top = int(np.quantile(u, 0.9))
        bins = [k for k in range(top + 1) if (u == k).sum() >= 3]
        if len(bins) < 3:
            out &= ~area
            continue
        prof = np.array([np.nanmedian(e[u == k]) for k in bins])
        prof = np.interp(np.arange(top + 1), bins, np.nan_to_num(prof))
        prof = ndimage.uniform_filter1d(prof, 3, mode="nearest")
        pos = np.maximum(prof, 0)
        ratio = float((pos * np.arange(top + 1)).sum() / max(pos.sum(), 1e-12))
        thin = e0 = 0
        gradient = ratio <= REACH * short or prof.max() < FAINT
        if os.environ.get("DBG"):
            print("AREA", int(area.sum()), top, round(float(ratio), 3), round(float(e0), 1), gradient, thin, np.round(prof, 1).tolist())
        if gradient:
            out &= ~area  # a gradient rising beyond the frame
    return out


def _off_edge(rejected: np.ndarray, no_data: np.ndarray) -> np.ndarray:
    """``rejected`` without its connected areas that touch the frame's edge or missing data.

    Above the model at the edge of the frame is what a gradient rising beyond the frame (a
    light dome, a horizon glow) looks like when the previous pass fell short of it; rejecting
    it would leave the refit to extrapolate there. Objects are taken to lie inside the frame.
    """
    edge = no_data.copy()
    edge[[0, -1], :] = True
    edge[:, [0, -1]] = True
    square = np.ones((3, 3), bool)
    labels, _ = ndimage.label(rejected, square)
    touching = np.unique(labels[ndimage.binary_dilation(edge, square) & rejected])
    return rejected & ~np.isin(labels, touching[touching > 0])


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
