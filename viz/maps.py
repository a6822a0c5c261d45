"""Embedding maps and two-model comparisons as plotly figures (WebGL scatters for tens of thousands of points)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots


def embedding_map(xy: np.ndarray, colour, ids: list[str], colour_name: str, axes: str = "", title: str = "") -> go.Figure:
    """Scatter of a 2-D map.

    Parameters
    ----------
    xy : np.ndarray, shape (n, 2)
    colour : array of n numbers (continuous scale) or n strings (one trace per category)
    ids : list of str
        Hover text (sequence ids).
    colour_name : str
        Legend / colour bar title.
    axes : str
        Note under the title (e.g. the variance the PCA axes explain).

    Each point's ``customdata`` is its row in ``xy``, so a selection event names the sequences it holds.
    """
    xy = np.asarray(xy, dtype=np.float64)
    colour = np.asarray(colour)
    ids = np.asarray(ids, dtype=object)
    fig = go.Figure()
    hover = "%{text}<extra></extra>"
    if colour.dtype.kind in "fiu":
        fig.add_trace(
            go.Scattergl(
                x=xy[:, 0],
                y=xy[:, 1],
                customdata=np.arange(len(xy), dtype=np.int32),
                mode="markers",
                text=[f"{i}<br>{colour_name} = {c:.3f}" for i, c in zip(ids, colour)],
                hovertemplate=hover,
                marker={
                    "color": colour,
                    "colorscale": "Viridis",
                    "showscale": True,
                    "colorbar": {"title": colour_name},
                    "size": 6,
                },
                name=colour_name,
            )
        )
    else:
        for j, value in enumerate(sorted(set(colour.tolist()))):
            sel = colour == value
            fig.add_trace(
                go.Scattergl(
                    x=xy[sel, 0],
                    y=xy[sel, 1],
                    customdata=np.flatnonzero(sel).astype(np.int32),
                    mode="markers",
                    text=ids[sel],
                    hovertemplate=hover,
                    marker={"color": qualitative.Plotly[j % len(qualitative.Plotly)], "size": 6},
                    name=str(value),
                )
            )
    fig.update_layout(
        title=title + (f"<br><sup>{axes}</sup>" if axes else ""), height=560, xaxis_title="axis 1", yaxis_title="axis 2"
    )
    return fig


def probability_scatter(pa: np.ndarray, pb: np.ndarray, ids: list[str], name_a: str, name_b: str, label: str) -> go.Figure:
    """Model A vs model B probability of one class per sequence, with the diagonal."""
    fig = go.Figure(
        go.Scattergl(
            x=pa,
            y=pb,
            mode="markers",
            text=ids,
            hovertemplate="%{text}<br>A %{x:.3f}, B %{y:.3f}<extra></extra>",
            marker={"size": 6},
            name="sequences",
        )
    )
    fig.add_shape(type="line", x0=0, y0=0, x1=1, y1=1, line={"color": "grey", "dash": "dot"})
    fig.update_layout(
        title=f"P({label}): {name_a} vs {name_b}",
        xaxis={"title": f"{name_a}", "range": [0, 1]},
        yaxis={"title": f"{name_b}", "range": [0, 1]},
        height=480,
    )
    return fig


def stacked_tracks(seq_id: str, track_a: np.ndarray, track_b: np.ndarray, name_a: str, name_b: str, r: float) -> go.Figure:
    """The attention tracks of one sequence under two models, one above the other on a shared position axis."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, subplot_titles=[name_a, name_b], vertical_spacing=0.08)
    for row, track in ((1, track_a), (2, track_b)):
        fig.add_trace(go.Scatter(y=track, mode="lines", name=name_a if row == 1 else name_b, line={"width": 1.5}), row=row, col=1)
    fig.update_layout(title=f"{seq_id}: attention under two models (Pearson r = {r:.3f})", height=460, showlegend=False)
    fig.update_xaxes(title_text="position (0-based)", row=2, col=1)
    return fig
