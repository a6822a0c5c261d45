"""Mutation map of one sequence (the paper's Fig. 6a-c): every position x every alternative base.

Rows, sharing the position axis (0-based):

1. the wild type's attention track (when given);
2. the model's probability of the scored class: the wild type (a line) and
   each single-base mutant (a marker per alternative base, when ``p_mut`` is given);
3. the difference score ``(p_mut - p_wt) * max(p_wt, p_mut)``, bases A, C, G, T x positions;
4. the log-odds ratio ``log2 odds(p_wt) - log2 odds(p_mut)``;
5. the wild-type sequence.

Both heatmaps are coloured so that red means the mutation raises the
probability and blue that it lowers it (the log-odds ratio is positive when
it lowers it, so its scale is flipped); each scale is symmetric about 0.
Reference bases have no score (NaN) and are marked with a dot.

Input: the arrays of :class:`dnabert.analysis.variants.MutationMap` (columns in ACGT
order), or the variants table via :func:`arrays_from_table`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dnabert.errors import InputError
from viz.tracks import BASE_COLORS, BASE_ORDER, LETTERS_MAX, base_strip, check_track


def _check_grid(values: np.ndarray, length: int, name: str) -> np.ndarray:
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numbers") from None
    if a.shape != (length, 4):
        raise InputError(f"{name} must have shape (L, 4) = ({length}, 4) (positions x A, C, G, T), got {a.shape}")
    if np.isinf(a).any():
        raise InputError(f"{name} contains infinite values")
    if np.isnan(a).all():
        raise InputError(f"{name} is NaN everywhere: no mutant was scored")
    return a


def arrays_from_table(table: pd.DataFrame, seq: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Mutation-map arrays from the variants table of one sequence.

    Parameters
    ----------
    table : pd.DataFrame
        Rows of one sequence with columns position (0-based), ref, alt,
        p_wt, p_mut, diff, logOR (:func:`dnabert.analysis.variants.variant_table`);
        rows that are not single-base substitutions are left out of the map.
    seq : str
        The wild-type sequence, length L.

    Returns
    -------
    diff, log_or, p_mut : np.ndarray, shape (L, 4)
        NaN where no mutant was scored (always at the reference base).
    p_wt : float
    """
    missing = {"position", "ref", "alt", "p_wt", "p_mut", "diff", "logOR"} - set(table.columns)
    if missing:
        raise InputError(f"the variants table lacks the column(s) {', '.join(sorted(missing))}")
    snv = table[(table["ref"].str.len() == 1) & table["alt"].isin(list(BASE_ORDER))]
    if snv.empty:
        raise InputError("the variants table has no single-base substitution to draw")
    pos = snv["position"].to_numpy(dtype=np.int64)
    if pos.min() < 0 or pos.max() >= len(seq):
        raise InputError(f"variant positions must lie in 0..{len(seq) - 1} (0-based) for this sequence of length {len(seq)}")
    cols = snv["alt"].map(BASE_ORDER.index).to_numpy()
    grids = []
    for column in ("diff", "logOR", "p_mut"):
        g = np.full((len(seq), 4), np.nan)
        g[pos, cols] = snv[column].to_numpy(dtype=np.float64)
        grids.append(g)
    return grids[0], grids[1], grids[2], float(snv["p_wt"].iloc[0])


def mutation_map_figure(
    seq: str,
    diff: np.ndarray,
    log_or: np.ndarray,
    p_wt: float,
    p_mut: np.ndarray | None = None,
    attention: np.ndarray | None = None,
    title: str = "",
) -> go.Figure:
    """Heatmaps of the difference score and log-odds ratio of every single-base mutant.

    Parameters
    ----------
    seq : str
        Wild-type sequence, length L.
    diff, log_or : np.ndarray, shape (L, 4)
        Columns A, C, G, T; NaN at the reference base.
    p_wt : float
        Wild-type probability of the scored class.
    p_mut : np.ndarray, shape (L, 4), optional
        Mutant probabilities; adds the wild type vs mutant row.
    attention : np.ndarray, shape (L,), optional
        Wild-type attention track; adds the top row.
    title : str

    Returns
    -------
    go.Figure
        Heatmaps ``"difference score"`` and ``"log-odds ratio"`` (z shape
        (4, L), rows A, C, G, T); marker traces ``"reference base"`` per
        heatmap; optional ``"attention"``, ``"p wild type"`` and ``"p mutant <base>"``.
    """
    length = len(seq)
    if length == 0:
        raise InputError("the sequence is empty; there is no mutation map to draw")
    diff = _check_grid(diff, length, "diff")
    log_or = _check_grid(log_or, length, "log_or")
    if not 0 <= p_wt <= 1:
        raise InputError(f"p_wt must be a probability in [0, 1], got {p_wt}")
    panels = ["difference score", "log-odds ratio"]
    if p_mut is not None:
        p_mut = _check_grid(p_mut, length, "p_mut")
        panels.insert(0, "probability")
    if attention is not None:
        attention = check_track(seq, attention, "attention")
        panels.insert(0, "attention")
    heights = {"attention": 0.7, "probability": 0.7, "difference score": 1.0, "log-odds ratio": 1.0}
    fig = make_subplots(
        rows=len(panels) + 1,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.03,
        row_heights=[heights[p] for p in panels] + [0.25],
    )
    row = {p: i + 1 for i, p in enumerate(panels)}
    x = np.arange(length)
    if attention is not None:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=attention,
                mode="lines",
                line=dict(color="#222222", shape="hvh"),
                name="attention",
                hovertemplate="position %{x}<br>attention %{y:.4g}<extra></extra>",
            ),
            row=row["attention"],
            col=1,
        )
        fig.update_yaxes(title_text="attention", row=row["attention"], col=1)
    if p_mut is not None:
        fig.add_trace(
            go.Scatter(
                x=[-0.5, length - 0.5],
                y=[p_wt, p_wt],
                mode="lines",
                line=dict(color="black", dash="dash"),
                name="p wild type",
                hovertemplate=f"wild type p = {p_wt:.4f}<extra></extra>",
            ),
            row=row["probability"],
            col=1,
        )
        for c, base in enumerate(BASE_ORDER):
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=p_mut[:, c],
                    mode="markers",
                    marker=dict(size=4, color=BASE_COLORS[base]),
                    name=f"p mutant {base}",
                    hovertemplate=f"position %{{x}} -> {base}<br>p = %{{y:.4f}}<extra></extra>",
                ),
                row=row["probability"],
                col=1,
            )
        fig.update_yaxes(title_text="p", row=row["probability"], col=1)

    ref = [b if b in BASE_ORDER else None for b in seq.upper()]
    for name, values, scale in (("difference score", diff, "RdBu_r"), ("log-odds ratio", log_or, "RdBu")):
        bound = float(np.nanmax(np.abs(values))) or 1.0
        lo, hi = fig.get_subplot(row[name], 1).yaxis.domain
        fig.add_trace(
            go.Heatmap(
                z=values.T,
                x=x,
                y=list(BASE_ORDER),
                zmin=-bound,
                zmax=bound,
                colorscale=scale,
                name=name,
                colorbar=dict(title=name.split()[0], len=hi - lo, y=(lo + hi) / 2),
                hovertemplate="position %{x} -> %{y}<br>" + name + " %{z:.4g}<extra></extra>",
            ),
            row=row[name],
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=ref,
                mode="markers",
                marker=dict(size=3, color="black"),
                name="reference base",
                showlegend=False,
                hovertemplate="position %{x}: reference %{y}<extra></extra>",
            ),
            row=row[name],
            col=1,
        )
        fig.update_yaxes(
            title_text=name, categoryorder="array", categoryarray=list(BASE_ORDER), autorange="reversed", row=row[name], col=1
        )
    fig.add_trace(base_strip(seq, letters=length <= LETTERS_MAX), row=len(panels) + 1, col=1)
    fig.update_yaxes(showticklabels=False, row=len(panels) + 1, col=1)
    fig.update_xaxes(title_text="position (0-based)", range=[-0.5, length - 0.5], row=len(panels) + 1, col=1)
    fig.update_layout(
        title=title or f"mutation map ({length} bp, wild type p = {p_wt:.3f})",
        height=170 * len(panels) + 120,
        margin=dict(l=70, r=20, t=90, b=40),
        legend=dict(orientation="h", y=1.01, x=1, xanchor="right", yanchor="bottom"),
        title_y=0.98,
        title_yanchor="top",
    )
    return fig
