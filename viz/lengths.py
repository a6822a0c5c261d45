"""Histogram of sequence lengths in whole base pairs (integer bins, integer ticks; one labelled bar when all are equal)."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go


def length_histogram(lengths: np.ndarray, max_bins: int = 40, height: int = 250) -> go.Figure:
    """Counts of sequence lengths in bins of a whole number of base pairs.

    Parameters
    ----------
    lengths : np.ndarray, shape (n,), int
        Sequence lengths in bp (n >= 1).
    max_bins : int
        At most this many bins; the bin width is the smallest whole number of bp that keeps to it.

    Returns
    -------
    go.Figure
        One histogram trace whose bins start half a bp below the shortest length, so each bin
        holds whole lengths [start, start + size). With a span under 10 bp every length is a tick
        (no 99.6-100.4 ticks for equal lengths); the title says when all lengths are equal.
    """
    lo, hi = int(np.min(lengths)), int(np.max(lengths))
    size = max(1, math.ceil((hi - lo + 1) / max_bins))
    fig = go.Figure(go.Histogram(x=lengths, xbins=dict(start=lo - 0.5, end=hi + 0.5, size=size), name="sequences"))
    fig.update_layout(height=height, margin=dict(l=50, r=20, t=40, b=40), bargap=0.05)
    fig.update_xaxes(title_text="length (bp)")
    fig.update_yaxes(title_text="sequences")
    if hi - lo < 10:
        ticks = list(range(lo, hi + 1))
        fig.update_xaxes(tickvals=ticks, ticktext=[str(t) for t in ticks], range=[lo - 5.5, hi + 5.5])
    if lo == hi:
        fig.update_layout(title=f"all {len(lengths)} sequences are {lo} bp")
    return fig
