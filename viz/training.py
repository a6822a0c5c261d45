"""Training figures: loss and dev AUROC per evaluation (curves.tsv), and model vs k-mer baseline bars."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots


def training_curves_figure(curves: pd.DataFrame, baseline_dev_auroc: float | None = None) -> go.Figure:
    """Two panels against the optimizer step: training and dev loss; dev AUROC (and the baseline's, dashed).

    Parameters
    ----------
    curves : pandas.DataFrame
        Columns step, split (``"train"`` / ``"dev"``), loss, auroc
        (:func:`dnabert.curves.training_curves`).
    baseline_dev_auroc : float, optional
        Dev AUROC of the k-mer baseline, drawn as a horizontal line.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Loss", "Dev AUROC"))
    for split, color in (("train", "#1f77b4"), ("dev", "#d62728")):
        part = curves[curves["split"] == split]
        if len(part):
            fig.add_trace(go.Scatter(x=part["step"], y=part["loss"], mode="lines+markers", name=f"{split} loss",
                                     line={"color": color}), row=1, col=1)  # fmt: skip
    dev = curves[(curves["split"] == "dev") & curves["auroc"].notna()]
    if len(dev):
        fig.add_trace(go.Scatter(x=dev["step"], y=dev["auroc"], mode="lines+markers", name="dev AUROC", line={"color": "#d62728"}),
                      row=1, col=2)  # fmt: skip
    if baseline_dev_auroc is not None:
        fig.add_hline(y=baseline_dev_auroc, line_dash="dash", line_color="gray", row=1, col=2,
                      annotation_text="k-mer baseline", annotation_position="bottom right")  # fmt: skip
    fig.update_xaxes(title_text="optimizer step")
    fig.update_layout(height=340, margin={"t": 40, "b": 40, "l": 50, "r": 20}, legend={"orientation": "h", "y": -0.25})
    return fig


def baseline_bars_figure(table: pd.DataFrame, metric: str = "auroc") -> go.Figure:
    """Grouped bars of ``metric`` per split, model vs baseline, from :func:`dnabert.baseline.comparison_table`."""
    fig = go.Figure()
    for who in dict.fromkeys(table.index.get_level_values(1)):
        part = table.xs(who, level=1)
        fig.add_trace(go.Bar(x=list(part.index), y=part[metric], name=who, text=[f"{v:.3f}" for v in part[metric]]))
    fig.update_layout(barmode="group", height=300, yaxis_title=metric.upper(), yaxis_range=[0, 1],
                      margin={"t": 20, "b": 40, "l": 50, "r": 20})  # fmt: skip
    return fig
