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
        (:func:`dnabert.training.curves.training_curves`).
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
    """Grouped bars of ``metric`` per split, model vs baseline, from :func:`dnabert.training.baseline.comparison_table`."""
    fig = go.Figure()
    for who in dict.fromkeys(table.index.get_level_values(1)):
        part = table.xs(who, level=1)
        fig.add_trace(go.Bar(x=list(part.index), y=part[metric], name=who, text=[f"{v:.3f}" for v in part[metric]]))
    fig.update_layout(barmode="group", height=300, yaxis_title=metric.upper(), yaxis_range=[0, 1],
                      margin={"t": 20, "b": 40, "l": 50, "r": 20})  # fmt: skip
    return fig


def training_report_html(record: dict, curves: pd.DataFrame) -> str:
    """A standalone HTML page (plotly.js inline, opens offline): model vs baseline table and bars, notes, curves.

    ``record`` is a ``metrics.json`` record, ``curves`` the ``curves.tsv`` table.
    """
    from html import escape

    from dnabert.training.baseline import comparison_table
    from dnabert.training.summary import summary_lines

    table = comparison_table(record)
    base_dev = ((record.get("baseline") or {}).get("dev") or {}).get("auroc")
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Training report</title></head><body style='font-family:sans-serif'>",
        "<h1>Training report</h1>",
        (
            f"<p>Classes: {escape(', '.join(record.get('labels', [])))}; k = {record.get('k')}; "
            f"start: {escape(str(record.get('init')))}; decision threshold: {record.get('decision_threshold')}</p>"
        ),
        "<h2>Model vs k-mer baseline</h2>",
        "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in summary_lines(record)) + "</ul>",
        table.to_html(float_format=lambda v: f"{v:.4f}"),
        baseline_bars_figure(table).to_html(full_html=False, include_plotlyjs=True) if len(table) else "",
        "<h2>Notes</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in record.get("notes", [])) + "</ul>",
        "<h2>Training curves</h2>",
        training_curves_figure(curves, base_dev).to_html(full_html=False, include_plotlyjs=not len(table)),
        "</body></html>",
    ]
    return "\n".join(parts)
