"""Known motifs: enrichment in positives against attention at their sites (one point per database motif).

x: enrichment evidence, -log10 p of the hypergeometric test (exact even
where p underflows; the q-values are in the hover text and the table); y: ``attention_log2_ratio`` (site vs matched flanks,
see :mod:`motif.known`); marker size: sites with flanks; colour: -log10 of
the attention q. Motifs without an attention score (too few sites) sit on
y = 0 in grey. Top right: enriched and attended; bottom right: enriched but
ignored by the model. WebGL (``Scattergl``) so whole databases stay fast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

FLOOR = 1e-300  # attention q-values of 0 (underflow) are coloured as this value


def known_motif_scatter(
    table: pd.DataFrame, label_top: int = 8, title: str = "Known motifs: enrichment vs attention"
) -> go.Figure:
    """Scatter of a :func:`motif.known.known_motif_attention` table.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns of :data:`motif.known.KNOWN_COLUMNS`.
    label_top : int
        Motifs labelled by name: the best ``label_top`` by enrichment rank and by attention rank.
    """
    x = -table["log10_p"].to_numpy(np.float64)
    y = table["attention_log2_ratio"].to_numpy(np.float64)
    scored = np.isfinite(y)
    colour = -np.log10(np.clip(table["attention_q"].to_numpy(np.float64), FLOOR, 1))
    size = 6 + 3 * np.sqrt(table["n_sites"].to_numpy(np.float64))
    text = (table["name"] + " (" + table["motif_id"] + ")").to_numpy(object)
    hover = (
        "%{text}<br>-log10 p = %{x:.2f}, q = %{customdata[3]:.2e}<br>attention log2 ratio = %{y:.2f}<br>"
        "positives with site: %{customdata[0]}, negatives: %{customdata[1]}<br>sites with flanks: %{customdata[2]}<extra></extra>"
    )
    custom = table[["n_pos", "n_neg", "n_sites", "q"]].to_numpy()
    fig = go.Figure()
    fig.add_trace(
        go.Scattergl(
            x=x[~scored],
            y=np.zeros((~scored).sum()),
            mode="markers",
            marker={"color": "lightgrey", "size": 6},
            text=text[~scored],
            customdata=custom[~scored],
            hovertemplate=hover,
            name="too few sites for attention",
        )
    )
    fig.add_trace(
        go.Scattergl(
            x=x[scored],
            y=y[scored],
            mode="markers",
            marker={
                "color": colour[scored],
                "size": np.minimum(size[scored], 40),
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": {"title": "-log10 q<br>attention"},
                "line": {"width": 0.5, "color": "black"},
            },
            text=text[scored],
            customdata=custom[scored],
            hovertemplate=hover,
            name="motifs",
        )
    )
    top = (table["rank_enrichment"] <= label_top) | (table["rank_attention"].fillna(label_top + 1) <= label_top)
    for i in np.flatnonzero(top.to_numpy() & scored):
        fig.add_annotation(x=x[i], y=y[i], text=str(table["name"].iloc[i]), showarrow=False, yshift=12, font={"size": 11})
    fig.add_hline(y=0, line={"color": "grey", "dash": "dot"})
    fig.update_layout(
        title=title,
        xaxis_title="enrichment in positives, -log10 p",
        yaxis_title="attention at sites vs flanks, log2 ratio",
        height=520,
        legend={"orientation": "h", "y": -0.18},
    )
    return fig
