"""Binning for display: fewer points on screen, no value lost from the data itself.

Figures of long tracks or many sequences show bins (consecutive positions or
rows reduced to one value) so the browser stays responsive; the arrays a
figure was made from are never changed.
"""

from __future__ import annotations

import numpy as np


def bin_starts(n: int, max_bins: int | None) -> np.ndarray:
    """First index of each bin when ``n`` items are shown as at most ``max_bins`` bins.

    Returns
    -------
    np.ndarray, shape (b,), int64
        ``0, w, 2w, ...`` with bin width ``w = ceil(n / max_bins)`` (w = 1,
        every item its own bin, when ``n <= max_bins`` or ``max_bins`` is None).
        The last bin may be shorter.
    """
    width = 1 if max_bins is None or n <= max_bins else -(-n // max_bins)
    return np.arange(0, n, width, dtype=np.int64)


def bin_max(x: np.ndarray, starts: np.ndarray, axis: int = -1) -> np.ndarray:
    """Maximum of each bin along ``axis``, ignoring NaN (a bin of NaN only stays NaN).

    Keeps peaks: the highest score of a long track is still on screen after binning.
    """
    return np.fmax.reduceat(x, starts, axis=axis)


def bin_mean(x: np.ndarray, starts: np.ndarray, axis: int = -1) -> np.ndarray:
    """Mean of each bin along ``axis`` over its finite values (NaN where a bin has none)."""
    finite = np.isfinite(x)
    sums = np.add.reduceat(np.where(finite, x, 0.0), starts, axis=axis)
    counts = np.add.reduceat(finite.astype(np.int64), starts, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
