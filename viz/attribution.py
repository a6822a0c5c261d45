"""Attention next to attribution (gradient x input or integrated gradients) for one sequence.

Left, sharing the position axis (0-based): the attention track, the signed
attribution track as bars (red: evidence for the class, blue: against), and
the bases. Right: attention against |attribution| per position, with their
Spearman and Pearson correlations (:func:`dnabert.analysis.attribution.attention_correlation`).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dnabert.analysis.attribution import attention_correlation
from viz.tracks import LETTERS_MAX, base_strip, check_track


def attention_vs_attribution(
    seq: str, attention: np.ndarray, attribution: np.ndarray, method: str = "integrated gradients", title: str = ""
) -> go.Figure:
    """Attention and attribution tracks of one sequence, side by side, with their correlation.

    Parameters
    ----------
    seq : str
        The sequence, length L.
    attention : np.ndarray, shape (L,)
    attribution : np.ndarray, shape (L,)
        Signed per-nucleotide attribution (``Attribution.track``).
    method : str
        Name of the attribution method, for labels.
    title : str

    Returns
    -------
    go.Figure
        Traces ``"attention"`` (line), ``"attribution"`` (bars),
        ``"sequence"`` (base strip) and ``"positions"`` (scatter of
        attention vs |attribution|); the correlations are in the title.
    """
    att = check_track(seq, attention, "attention")
    attr = check_track(seq, attribution, method)
    corr = attention_correlation(att, attr)
    x = np.arange(len(seq))
    fig = make_subplots(
        rows=3,
        cols=2,
        column_widths=[0.74, 0.26],
        row_heights=[0.42, 0.42, 0.16],
        specs=[[{}, {"rowspan": 3}], [{}, None], [{}, None]],
        shared_xaxes=True,
        horizontal_spacing=0.07,
        vertical_spacing=0.04,
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=att,
            mode="lines",
            line=dict(color="#222222", shape="hvh"),
            name="attention",
            hovertemplate="position %{x}<br>attention %{y:.4g}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Bar(
            x=x,
            y=attr,
            marker_color=np.where(attr >= 0, "#d62728", "#1f77b4"),
            name="attribution",
            hovertemplate="position %{x}<br>" + method + " %{y:.4g}<extra></extra>",
        ),
        row=2,
        col=1,
    )
    fig.add_trace(base_strip(seq, letters=len(seq) <= LETTERS_MAX), row=3, col=1)
    fig.add_trace(
        go.Scatter(
            x=np.abs(attr),
            y=att,
            mode="markers",
            marker=dict(size=5, color="#555555", opacity=0.6),
            name="positions",
            text=[f"position {i} ({b})" for i, b in enumerate(seq)],
            hovertemplate="%{text}<br>|attribution| %{x:.4g}<br>attention %{y:.4g}<extra></extra>",
        ),
        row=1,
        col=2,
    )
    fig.update_yaxes(title_text="attention", row=1, col=1)
    fig.update_yaxes(title_text=method, row=2, col=1)
    fig.update_yaxes(showticklabels=False, row=3, col=1)
    fig.update_xaxes(title_text="position (0-based)", range=[-0.5, len(seq) - 0.5], row=3, col=1)
    fig.update_xaxes(title_text=f"|{method}|", row=1, col=2)
    fig.update_yaxes(title_text="attention", row=1, col=2)
    fig.update_layout(
        title=(title or f"attention vs {method}")
        + f": Spearman {corr['spearman']:.2f}, Pearson {corr['pearson']:.2f} over {corr['n']} positions",
        height=460,
        showlegend=False,
        margin=dict(l=70, r=20, t=60, b=40),
    )
    return fig
