"""Attention landscape of many sequences: a heatmap of sequences x positions (DNABERT-viz).

Below: one row per sequence, one column per position (0-based), colour =
score; sequences of different lengths are padded on the right with blank
cells. Above: the mean profile of each class with a band of +- one standard
deviation (computed from every sequence, never from the display bins).

Rows can be sorted by predicted probability (highest first), by class (then
by probability when given), or by the position of each sequence's maximum.
More than ``max_rows`` sequences are binned for display: consecutive rows
(in the sorted order; within a class when sorted by class) are averaged into
one, and the axis title says how many sequences each row holds. Likewise for
more than ``max_cols`` positions. The colour scale is clipped at the 99th
percentile of the shown values so one extreme peak does not wash out the rest.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from dnabert.errors import InputError
from viz.binning import bin_mean, bin_starts

SORTS = ("none", "probability", "class", "peak")


def stack_tracks(tracks: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """Tracks of n sequences as one (n, L_max) float64 matrix, right-padded with NaN.

    Raises
    ------
    InputError
        Fewer than two sequences, an empty or non-1-D track, infinite
        values, or no finite value at all.
    """
    rows = [np.asarray(t, dtype=np.float64) for t in tracks]
    if len(rows) < 2:
        raise InputError(f"a landscape needs at least 2 sequences, got {len(rows)}; show a single sequence as an attention track")
    for i, r in enumerate(rows):
        if r.ndim != 1 or r.size == 0:
            raise InputError(f"track {i + 1} must be a non-empty 1-D array of per-nucleotide scores, got shape {r.shape}")
    matrix = np.full((len(rows), max(r.size for r in rows)), np.nan)
    for i, r in enumerate(rows):
        matrix[i, : r.size] = r
    if np.isinf(matrix).any():
        raise InputError(f"track {int(np.flatnonzero(np.isinf(matrix).any(axis=1))[0]) + 1} contains infinite values")
    if not np.isfinite(matrix).any():
        raise InputError("every track is NaN everywhere; there is nothing to plot")
    return matrix


def row_order(matrix: np.ndarray, sort: str, probs: np.ndarray | None, classes: np.ndarray | None) -> np.ndarray:
    """Row order of the landscape.

    Parameters
    ----------
    matrix : np.ndarray, shape (n, L)
    sort : {"none", "probability", "class", "peak"}
        Input order; probability, highest first; class (in order of first
        appearance), then probability if given; position of the maximum, 5' first.
    probs : np.ndarray, shape (n,), optional
    classes : np.ndarray, shape (n,), optional

    Returns
    -------
    np.ndarray, shape (n,), int64
    """
    n = len(matrix)
    if sort == "none":
        return np.arange(n)
    if sort == "probability":
        if probs is None:
            raise InputError("sorting by probability needs the predicted probabilities")
        return np.argsort(-probs, kind="stable")
    if sort == "class":
        if classes is None:
            raise InputError("sorting by class needs the class of each sequence")
        _, first, codes = np.unique(classes, return_index=True, return_inverse=True)
        rank = np.argsort(np.argsort(first))[codes]
        second = -probs if probs is not None else np.zeros(n)
        return np.lexsort((second, rank))
    if sort == "peak":
        filled = np.where(np.isfinite(matrix), matrix, -np.inf)
        return np.argsort(filled.argmax(axis=1), kind="stable")
    raise InputError(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")


def _row_bins(n: int, groups: np.ndarray, max_rows: int | None) -> np.ndarray:
    """Bin starts over n sorted rows: equal-width bins that never cross a change of ``groups``."""
    starts = bin_starts(n, max_rows)
    width = int(starts[1] - starts[0]) if len(starts) > 1 else 1
    edges = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    bounds = np.append(edges, n)
    return np.concatenate([np.arange(s, e, width) for s, e in itertools.pairwise(bounds)])


def attention_landscape(
    tracks: np.ndarray | Sequence[np.ndarray],
    probs: np.ndarray | None = None,
    classes: Sequence[str] | np.ndarray | None = None,
    ids: Sequence[str] | None = None,
    sort: str = "none",
    max_rows: int | None = 500,
    max_cols: int | None = 1000,
    title: str = "",
) -> go.Figure:
    """Heatmap of per-nucleotide scores, sequences x positions, with mean profiles per class.

    Parameters
    ----------
    tracks : np.ndarray, shape (n, L), or list of n arrays of shape (L_i,)
        Per-nucleotide scores (``Prediction.scores``), n >= 2.
    probs : np.ndarray, shape (n,), optional
        Probability of the class of interest per sequence (shown on hover,
        used by ``sort="probability"``).
    classes : array-like of str, shape (n,), optional
        Class per sequence (true or predicted): one mean profile each.
    ids : list of str, shape (n,), optional
        Sequence names for hover (default: 1-based index).
    sort : {"none", "probability", "class", "peak"}
    max_rows, max_cols : int or None
        Most heatmap rows / columns drawn; above, bins are averaged. None: never bin.
    title : str

    Returns
    -------
    go.Figure
        Top: per class a band (traces ``"<class> +-1 SD"``) and a mean line
        (``"<class> mean"``); bottom: the heatmap (``"landscape"``), whose
        rows follow the sort and whose hover names the sequence(s).
    """
    matrix = stack_tracks(tracks)
    n, length = matrix.shape
    if probs is not None:
        probs = np.asarray(probs, dtype=np.float64)
        if probs.shape != (n,) or not np.isfinite(probs).all():
            raise InputError(f"probs must be {n} finite numbers (one per sequence), got shape {probs.shape}")
    if classes is not None:
        classes = np.asarray(classes).astype(str)
        if classes.shape != (n,):
            raise InputError(f"classes must give one class per sequence ({n}), got {classes.shape[0]}")
    ids = [str(i + 1) for i in range(n)] if ids is None else [str(i) for i in ids]
    if len(ids) != n:
        raise InputError(f"ids must name every sequence ({n}), got {len(ids)}")

    order = row_order(matrix, sort, probs, classes)
    groups = classes[order] if sort == "class" else np.zeros(n, dtype=int)
    rows = _row_bins(n, groups, max_rows)
    cols = bin_starts(length, max_cols)
    shown = bin_mean(bin_mean(matrix[order], rows, axis=0), cols, axis=1).astype(np.float32)
    row_ends = np.append(rows[1:], n)
    per_row = int(row_ends[0] - rows[0])
    col_ends = np.append(cols[1:], length)
    labels = []  # one unique category per heatmap row ("#rank ..."), shown on hover
    for r, (s, e) in enumerate(zip(rows, row_ends)):
        first = order[s]
        text = f"#{r + 1} " + (ids[first] if e - s == 1 else f"{e - s} sequences ({ids[first]} .. {ids[order[e - 1]]})")
        if probs is not None and e - s == 1:
            text += f", p = {probs[first]:.3f}"
        if classes is not None:
            text += f", {classes[first]}"
        labels.append(text)
    finite = shown[np.isfinite(shown)]
    top = float(np.percentile(finite, 99)) if finite.size else 1.0

    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.25, 0.75], vertical_spacing=0.03)
    positions = np.arange(length)
    class_names = list(dict.fromkeys(classes.tolist())) if classes is not None else ["all sequences"]
    for i, name in enumerate(class_names):
        member = matrix if classes is None else matrix[classes == name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # positions beyond every member's length: NaN
            mean = np.nanmean(member, axis=0)
            sd = np.nanstd(member, axis=0)
        color = qualitative.D3[i % len(qualitative.D3)]
        fig.add_trace(
            go.Scatter(
                x=np.r_[positions, positions[::-1]],
                y=np.r_[mean + sd, (mean - sd)[::-1]],
                fill="toself",
                fillcolor=color,
                opacity=0.2,
                line=dict(width=0),
                name=f"{name} +-1 SD",
                legendgroup=name,
                showlegend=False,
                hoverinfo="skip",
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=positions,
                y=mean,
                mode="lines",
                line=dict(color=color, width=1.5),
                name=f"{name} mean",
                legendgroup=name,
                hovertemplate=f"{name} (n={len(member)})<br>position %{{x}}<br>mean %{{y:.4g}}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    fig.add_trace(
        go.Heatmap(
            z=shown,
            x=(cols + col_ends - 1) / 2,
            y=labels,
            zmin=0.0 if finite.size and finite.min() >= 0 else None,
            zmax=top if top > 0 else None,
            colorscale="YlOrRd",
            colorbar=dict(title="score", len=0.7, y=0.37),
            name="landscape",
            hovertemplate="%{y}<br>position %{x}<br>score %{z:.4g}<extra></extra>",
        ),
        row=2,
        col=1,
    )
    if sort == "class":
        for b in np.flatnonzero(groups[rows][1:] != groups[rows][:-1]) + 1:
            fig.add_hline(y=b - 0.5, line=dict(color="black", width=1), name="class boundary", row=2, col=1)

    what = {
        "none": "input order",
        "probability": "by probability, highest first",
        "class": "by class",
        "peak": "by position of the maximum",
    }[sort]
    row_note = f"{n} sequences ({what})" if per_row == 1 else f"{n} sequences ({what}); each row = mean of {per_row}"
    col_note = "" if len(cols) == length else f"; each column = mean of {int(col_ends[0] - cols[0])} bp"
    fig.update_layout(
        title=(title or "attention landscape") + (" (binned for display)" if per_row > 1 or len(cols) < length else ""),
        height=600,
        margin=dict(l=70, r=20, t=90, b=40),
        legend=dict(orientation="h", y=1.01, x=1, xanchor="right", yanchor="bottom"),
        title_y=0.98,
        title_yanchor="top",
    )
    fig.update_yaxes(title_text="mean score", row=1, col=1)
    fig.update_yaxes(title_text=row_note, autorange="reversed", showticklabels=False, row=2, col=1)
    fig.update_xaxes(title_text="position (0-based)" + col_note, row=2, col=1)
    return fig
