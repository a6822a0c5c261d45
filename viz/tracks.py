"""Attention track of one sequence: the per-nucleotide score along the sequence (DNABERT-viz).

The figure has three rows sharing the position axis (0-based; nucleotide j is
drawn centred on x = j, so the interval [start, end) spans x = start - 0.5 ..
end - 0.5):

1. the score as a line, with shaded high-attention regions, annotated sites
   (motif instances, ground truth, FIMO hits; one legend entry per label) and
   dotted lines at the seams of the model windows of a long sequence;
2. the same score as a colour strip (the paper's heatmap view);
3. the sequence as a strip of coloured bases (A green, C blue, G orange,
   T red, anything else grey; the base shows on hover), with the letters
   written in the cells for sequences of up to ``letters_max`` bases (plotly
   sizes them to the cells, so they grow as the view is zoomed in; for
   longer sequences thousands of sub-pixel letters would only add clutter).

Tracks longer than ``max_points`` are binned for display (rows 1 and 2 show
the maximum of each bin, so peaks stay visible; the title says so); the base
strip always has every base. Pass ``max_points=None`` to draw every position
(for a standalone HTML export of the full data).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dnabert.errors import InputError
from viz.binning import bin_max, bin_starts

BASE_COLORS = {"A": "#2ca02c", "C": "#1f77b4", "G": "#ff9f1c", "T": "#d62728"}
OTHER_COLOR = "#b0b0b0"
BASE_ORDER = "ACGT"
REGION_COLOR = "rgba(255, 140, 0, 0.22)"
LETTERS_MAX = 250  # longest sequence whose base strip shows letters
SITE_COLORS = ("#6a3d9a", "#17becf", "#e377c2", "#8c564b", "#7f7f7f", "#bcbd22")


def check_track(seq: str, scores: np.ndarray, name: str = "scores") -> np.ndarray:
    """Validate a per-nucleotide track of ``seq``.

    Parameters
    ----------
    seq : str
        The sequence, length L.
    scores : array-like, shape (L,)
        One value per nucleotide; NaN is allowed (a gap, e.g. masked edges)
        but not everywhere; infinities are not.
    name : str
        What the track is, for error messages.

    Returns
    -------
    np.ndarray, shape (L,), float64

    Raises
    ------
    InputError
        Empty input, wrong shape or length, non-numeric, infinite or all-NaN values.
    """
    try:
        a = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numbers, one per nucleotide") from None
    if a.ndim != 1:
        raise InputError(f"{name} must be one value per nucleotide (a 1-D array), got shape {a.shape}")
    if len(seq) == 0 or a.size == 0:
        raise InputError(f"{name}: the sequence or the track is empty; there is nothing to plot")
    if a.size != len(seq):
        raise InputError(
            f"{name} has {a.size} values but the sequence has {len(seq)} bases; a track needs exactly one value per nucleotide"
        )
    if np.isinf(a).any():
        raise InputError(f"{name} contains infinite values (first at position {int(np.flatnonzero(np.isinf(a))[0])})")
    if np.isnan(a).all():
        raise InputError(f"{name} is NaN at every position; there is nothing to plot")
    return a


def check_intervals(intervals: np.ndarray | None, length: int, name: str) -> np.ndarray:
    """Validate intervals [start, end) on a sequence of ``length`` bases.

    Returns
    -------
    np.ndarray, shape (r, 2), int64
        ``r = 0`` for None or an empty input.
    """
    if intervals is None:
        return np.zeros((0, 2), dtype=np.int64)
    a = np.asarray(intervals)
    if a.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if a.ndim != 2 or a.shape[1] != 2 or not np.issubdtype(a.dtype, np.integer):
        raise InputError(f"{name} must be an (r, 2) integer array of [start, end) intervals, got shape {a.shape} ({a.dtype})")
    bad = (a[:, 0] < 0) | (a[:, 1] > length) | (a[:, 0] >= a[:, 1])
    if bad.any():
        s, e = a[np.flatnonzero(bad)[0]]
        raise InputError(f"{name}: interval [{s}, {e}) is empty or outside the sequence of length {length} (0-based, half-open)")
    return a.astype(np.int64)


def base_strip(seq: str, letters: bool = True) -> go.Heatmap:
    """One-row heatmap of the bases of ``seq`` at x = 0 .. L-1, coloured by base.

    With ``letters``, each cell also shows its letter (sized to the cell by plotly).
    """
    codes = np.array([BASE_ORDER.find(b) for b in seq.upper()], dtype=np.int64)
    codes[codes < 0] = 4
    palette = [BASE_COLORS[b] for b in BASE_ORDER] + [OTHER_COLOR]
    colorscale = [[edge, palette[i]] for i in range(5) for edge in (i / 5, (i + 1) / 5)]
    return go.Heatmap(
        z=codes[None, :],
        x=np.arange(len(seq)),
        text=[list(seq)],
        texttemplate="%{text}" if letters else None,
        zmin=-0.5,
        zmax=4.5,
        colorscale=colorscale,
        showscale=False,
        name="sequence",
        hovertemplate="position %{x}<br>base %{text}<extra></extra>",
    )


def _site_traces(sites: Iterable[tuple[int, int, str]], length: int, level: float) -> list[go.Scatter]:
    """One line trace per site label: a bar over [start, end) at height ``level`` (+ a step per label)."""
    by_label: dict[str, list[tuple[int, int]]] = {}
    for start, end, label in sites:
        check_intervals(np.array([[start, end]]), length, f"site {label!r}")
        by_label.setdefault(str(label), []).append((int(start), int(end)))
    traces = []
    for i, (label, spans) in enumerate(by_label.items()):
        x: list[float | None] = []
        info: list[str | None] = []
        for s, e in spans:
            x += [s - 0.5, e - 0.5, None]
            info += [f"{label} [{s}, {e})"] * 2 + [None]
        y = [None if v is None else level * (1 + 0.07 * i) for v in x]
        traces.append(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                line=dict(width=6, color=SITE_COLORS[i % len(SITE_COLORS)]),
                name=label,
                legendgroup="sites",
                legendgrouptitle_text="sites",
                customdata=info,
                hovertemplate="%{customdata}<extra></extra>",
            )
        )
    return traces


def attention_track(
    seq: str,
    scores: np.ndarray,
    regions: np.ndarray | None = None,
    sites: Iterable[tuple[int, int, str]] | None = None,
    windows: np.ndarray | None = None,
    title: str = "",
    score_name: str = "attention",
    max_points: int | None = 5000,
    letters_max: int = LETTERS_MAX,
) -> go.Figure:
    """Per-nucleotide score of one sequence, with regions, sites, window seams and the bases.

    Parameters
    ----------
    seq : str
        The sequence, length L.
    scores : np.ndarray, shape (L,)
        Per-nucleotide score (e.g. ``Prediction.scores[i]``); NaN marks gaps.
    regions : np.ndarray, shape (r, 2), int, optional
        High-attention regions [start, end) (0-based, half-open), shaded.
    sites : iterable of (start, end, label), optional
        Annotated sites [start, end); one legend entry per distinct label,
        e.g. ``zip(df.start, df.end, df.motif)`` of a ground-truth table.
    windows : np.ndarray, shape (m, 2), int, optional
        The model windows [start, end) the sequence was scored in
        (``Prediction.windows[i]``); with m > 1 their seams are drawn.
    title : str
    score_name : str
        Label of the score (y axis, legend).
    max_points : int or None
        Most positions drawn in the score rows; longer tracks show the
        maximum of each bin of ``ceil(L / max_points)`` bases. None: all.
    letters_max : int
        Longest sequence whose base strip shows letters (longer: colours and hover).

    Returns
    -------
    go.Figure
        Rows: score line (trace ``score_name``), score strip (``"strip"``),
        bases (``"sequence"``); sites are traces named by label, regions and
        seams are layout shapes named ``"region"`` and ``"window seam"``.
    """
    a = check_track(seq, scores, score_name)
    length = len(seq)
    regions = check_intervals(regions, length, "regions")
    windows = check_intervals(windows, length, "windows")
    starts = bin_starts(length, max_points)
    ends = np.append(starts[1:], length)
    shown = bin_max(a, starts)
    x = (starts + ends - 1) / 2
    span = [f"{s}" if e - s == 1 else f"{s}-{e - 1}" for s, e in zip(starts, ends)]
    width = int(ends[0] - starts[0])

    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, row_heights=[0.72, 0.12, 0.16], vertical_spacing=0.02)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=shown,
            mode="lines",
            line=dict(color="#222222", width=1.5, shape="hvh" if width == 1 else "linear"),
            name=score_name,
            customdata=span,
            hovertemplate="position %{customdata}<br>" + score_name + " %{y:.4g}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    finite = shown[np.isfinite(shown)]
    fig.add_trace(
        go.Heatmap(
            z=shown[None, :],
            x=x,
            zmin=float(finite.min()),
            zmax=float(finite.max()) if finite.max() > finite.min() else float(finite.min()) + 1e-12,
            colorscale="YlOrRd",
            showscale=False,
            name="strip",
            customdata=[span],
            hovertemplate="position %{customdata}<br>" + score_name + " %{z:.4g}<extra></extra>",
        ),
        row=2,
        col=1,
    )
    fig.add_trace(base_strip(seq, letters=length <= letters_max), row=3, col=1)

    top = float(np.nanmax(a)) if np.nanmax(a) > 0 else 1.0
    for trace in _site_traces(sites or [], length, 1.08 * top):
        fig.add_trace(trace, row=1, col=1)
    for s, e in regions:
        fig.add_vrect(x0=s - 0.5, x1=e - 0.5, fillcolor=REGION_COLOR, line_width=0, layer="below", name="region", row=1, col=1)
    for seam in sorted({int(v) for v in windows[1:, 0]} | {int(v) for v in windows[:-1, 1]}):
        fig.add_shape(
            type="line",
            x0=seam - 0.5,
            x1=seam - 0.5,
            y0=0,
            y1=1,
            xref="x",
            yref="paper",
            line=dict(color="#555555", width=1, dash="dot"),
            name="window seam",
        )

    note = "" if width == 1 else f" (display: max of each {width}-bp bin; the data keep all {length} positions)"
    fig.update_layout(
        title=(title or f"{score_name} along the sequence ({length} bp)") + note,
        height=380,
        margin=dict(l=60, r=20, t=90, b=40),
        legend=dict(orientation="h", y=1.01, x=0, xanchor="left", yanchor="bottom"),  # left: plotly's toolbar is top right
        title_y=0.98,
        title_yanchor="top",
        hovermode="x",
    )
    fig.update_xaxes(range=[-0.5, length - 0.5])
    fig.update_xaxes(title_text="position (0-based)", row=3, col=1)
    fig.update_yaxes(title_text=score_name, rangemode="tozero", row=1, col=1)
    fig.update_yaxes(showticklabels=False, row=2, col=1)
    fig.update_yaxes(showticklabels=False, row=3, col=1)
    return fig
