"""Sequence logos (logomaker, information content in bits) as PNG bytes.

Matplotlib runs on the Agg backend and every figure is closed after saving.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import logomaker  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from motif.encoding import BASES  # noqa: E402


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


def aligned_logo(query: np.ndarray, target: np.ndarray, offset: int, orientation: str, query_title: str, target_title: str) -> bytes:
    """PNG with the query logo above the target logo, aligned as TOMTOM reported.

    Parameters
    ----------
    query, target : np.ndarray, shape (4, W)
        PPMs, rows ACGT.
    offset : int
        Column of the oriented target that faces query column 0
        (:mod:`motif.jaspar`).
    orientation : {"+", "-"}
        "-" draws the target's reverse complement.
    """
    oriented = target[::-1, ::-1] if orientation == "-" else target
    lo = min(0, -offset)
    hi = max(query.shape[1], oriented.shape[1] - offset)
    fig, axes = plt.subplots(2, 1, figsize=(max(3.0, 0.35 * (hi - lo)), 3.6), sharex=True)
    _draw(axes[0], query, query_title)
    _draw(axes[1], oriented, f"{target_title} ({orientation})", first=-offset)
    axes[1].set_xlim(lo - 0.5, hi - 0.5)
    return _png(fig)
