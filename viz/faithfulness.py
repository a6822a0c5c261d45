"""Deletion curves (:mod:`dnabert.analysis.faithfulness`): the mean class probability as the top-ranked bases are deleted."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

COLORS = {"attention": "#1f77b4", "attribution": "#d62728", "ism": "#2ca02c", "random": "#7f7f7f"}


def deletion_curves_figure(mean: pd.DataFrame, label: str, fill: str) -> go.Figure:
    """One line per ranking (``random`` dashed).

    Parameters
    ----------
    mean : pandas.DataFrame
        Columns ranking, fraction (share of bases deleted, 0..1), p (mean class probability),
        as :meth:`dnabert.analysis.faithfulness.DeletionCurves.mean_curves` returns.
    label : str
        The class followed.
    fill : str
        How bases were deleted (``N`` or ``shuffle``), for the axis title.

    Returns
    -------
    go.Figure
        One trace per ranking, named after it.
    """
    fig = go.Figure()
    for name, rows in mean.groupby("ranking", sort=False):
        fig.add_trace(
            go.Scatter(
                x=rows["fraction"], y=rows["p"], name=name, mode="lines+markers",
                line={"color": COLORS.get(name), "dash": "dash" if name == "random" else "solid"},
            )
        )  # fmt: skip
    fig.update_layout(
        xaxis_title=f"share of bases deleted (top-ranked first; deleted = {fill})",
        yaxis_title=f"mean P({label})",
        height=380,
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
    )
    return fig
