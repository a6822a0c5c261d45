"""Sequence logos (logomaker, information content in bits) as PNG bytes.

Matplotlib runs on the Agg backend and every figure is closed after saving.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import logomaker
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from motif.encoding import BASES


def information_frame(ppm: np.ndarray, first: int = 0) -> pd.DataFrame:
    """(W, 4) information matrix of a (4, W) PPM, indexed by column position from ``first``."""
    probs = pd.DataFrame(ppm.T, columns=list(BASES), index=np.arange(first, first + ppm.shape[1]))
    return logomaker.transform_matrix(probs, from_type="probability", to_type="information")


def _draw(ax: plt.Axes, ppm: np.ndarray, title: str, first: int = 0) -> None:
    logomaker.Logo(information_frame(ppm, first), ax=ax, color_scheme="classic")
    ax.set_ylim(0, 2)
    ax.set_ylabel("bits")
    ax.set_title(title, fontsize=9, loc="left")


def _png(fig: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    try:
        fig.tight_layout()
        fig.savefig(buffer, format="png", dpi=80)
    finally:
        plt.close(fig)
    return buffer.getvalue()


def motif_logo(ppm: np.ndarray, title: str) -> bytes:
    """PNG with the logo of a (4, W) PPM and, below it, of its reverse complement."""
    fig, axes = plt.subplots(2, 1, figsize=(max(3.0, 0.35 * ppm.shape[1]), 3.6))
    _draw(axes[0], ppm, title)
    _draw(axes[1], ppm[::-1, ::-1], f"{title} (reverse complement)")
    return _png(fig)


def match_logos(query: np.ndarray, query_title: str, targets: list[tuple[np.ndarray, int, str, str]]) -> bytes:
    """PNG with the query logo on top and each target's logo below it, aligned as TOMTOM reported.

    Parameters
    ----------
    query : np.ndarray, shape (4, W)
        PPM, rows ACGT.
    query_title : str
    targets : list of (ppm, offset, orientation, title)
        ``ppm`` (4, L); ``offset`` the column of the oriented target facing
        query column 0 (:mod:`motif.jaspar`); ``orientation`` "-" draws the
        target's reverse complement.
    """
    oriented = [
        (t[::-1, ::-1] if orientation == "-" else t, offset, f"{title} ({orientation})")
        for t, offset, orientation, title in targets
    ]
    lo = min([0] + [-offset for _, offset, _ in oriented])
    hi = max([query.shape[1]] + [t.shape[1] - offset for t, offset, _ in oriented])
    fig, axes = plt.subplots(
        1 + len(oriented), 1, figsize=(max(3.0, 0.35 * (hi - lo)), 1.8 * (1 + len(oriented))), sharex=True, squeeze=False
    )
    _draw(axes[0, 0], query, query_title)
    for ax, (t, offset, title) in zip(axes[1:, 0], oriented):
        _draw(ax, t, title, first=-offset)
    axes[0, 0].set_xlim(lo - 0.5, hi - 0.5)
    return _png(fig)
