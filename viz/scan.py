"""A sliding-window scan along one sequence as a plotly figure."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go


def scan_figure(
    starts: np.ndarray, ends: np.ndarray, probs: np.ndarray, track: np.ndarray, label: str, title: str = ""
) -> go.Figure:
    """Probability of one class along a sequence.

    Parameters
    ----------
    starts, ends : np.ndarray, shape (m,)
        The scan windows, 0-based, half-open, bp.
    probs : np.ndarray, shape (m,)
        P(label) of each window, drawn at the window's centre.
    track : np.ndarray, shape (L,)
        Per-base mean of the windows covering each base (what the bedGraph holds).
    label : str
        The class.
    """
    centres = (np.asarray(starts) + np.asarray(ends)) / 2
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=np.arange(len(track)),
            y=track,
            mode="lines",
            line={"width": 1, "color": "#999"},
            name="mean of covering windows (per base)",
            hovertemplate="base %{x}: %{y:.3f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=centres,
            y=probs,
            mode="lines+markers",
            marker={"size": 5},
            name="window (at its centre)",
            customdata=np.stack([starts, ends], axis=1),
            hovertemplate="window %{customdata[0]}-%{customdata[1]}: %{y:.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        height=380,
        xaxis_title="position in the sequence (bp, 0-based)",
        yaxis={"title": f"P({label})", "range": [0, 1]},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig
