"""Per-head attention of one sequence, for any length: head grids and the context plot.

Input everywhere: ``tokens`` (T strings: [CLS], the k-mers, [SEP]) and
``attn`` of shape (layers, heads, T, T), ``attn[l, h, i, j]`` = attention of
token i to token j (as :func:`dnabert.analysis.inference.attention_matrices` returns).
Token index i is the x coordinate; k-mer token i (1 <= i <= T - 2) covers
nucleotides [i - 1, i - 1 + k).

* :func:`head_grid`: heads x tokens heatmaps of the attention from [CLS] and
  from a selected token, one layer at a time (a dropdown switches layers).
* :func:`context_plot`: the paper's Fig. 4e: arcs from the selected token to
  every other token it attends to with weight >= threshold in one layer, one
  colour per head, width by weight.
* :func:`context_overview`: the selected token's attention in every head of
  every layer, as one (layers x heads) x tokens heatmap.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from dnabert.errors import InputError


def check_attention(tokens: list[str], attn: np.ndarray, layer: int | None = None, query: int | None = None) -> np.ndarray:
    """Validate attention weights and the chosen layer / query token.

    Returns
    -------
    np.ndarray, shape (layers, heads, T, T), float32
    """
    a = np.asarray(attn, dtype=np.float32)
    if a.ndim != 4 or a.shape[2] != a.shape[3] or 0 in a.shape:
        raise InputError(f"attention must have shape (layers, heads, T, T) with T tokens, got {a.shape}")
    if a.shape[2] != len(tokens):
        raise InputError(f"attention covers {a.shape[2]} tokens but {len(tokens)} tokens were given")
    if not np.isfinite(a).all():
        raise InputError("attention contains NaN or infinite values")
    if layer is not None and not 0 <= layer < a.shape[0]:
        raise InputError(f"layer {layer} does not exist; the model has layers 0..{a.shape[0] - 1}")
    if query is not None and not 0 <= query < a.shape[2]:
        raise InputError(f"token {query} does not exist; the sequence has tokens 0..{a.shape[2] - 1}")
    return a


def head_grid(tokens: list[str], attn: np.ndarray, query: int = 1, layer: int = -1) -> go.Figure:
    """Attention of every head from [CLS] (top) and from token ``query`` (bottom).

    Parameters
    ----------
    tokens : list of str, length T
    attn : np.ndarray, shape (layers, heads, T, T)
    query : int
        Index of the selected token (0 = [CLS], 1 = first k-mer).
    layer : int
        Layer shown first (negative counts from the last); a dropdown shows any layer.

    Returns
    -------
    go.Figure
        Two heatmaps per layer, heads (rows) x tokens (columns), named
        ``"layer <l> from [CLS]"`` and ``"layer <l> from token <query>"``;
        only the shown layer's pair is visible.
    """
    a = check_attention(tokens, attn, query=query)
    n_layers, n_heads, n_tokens, _ = a.shape
    if not -n_layers <= layer < n_layers:
        raise InputError(f"layer {layer} does not exist; the model has layers 0..{n_layers - 1}")
    shown = layer % n_layers
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.12,
        subplot_titles=("from [CLS]", f"from token {query} ({tokens[query]})"),
    )
    x = np.arange(n_tokens)
    heads = [f"head {h}" for h in range(n_heads)]
    custom = np.broadcast_to(np.array(tokens, dtype=object), (n_heads, n_tokens))
    for lay in range(n_layers):
        for row, (source, name) in enumerate(((0, "[CLS]"), (query, f"token {query}")), start=1):
            fig.add_trace(
                go.Heatmap(
                    z=a[lay, :, source, :],
                    x=x,
                    y=heads,
                    zmin=0,
                    colorscale="Blues",
                    showscale=row == 1,
                    colorbar=dict(title="attention"),
                    visible=lay == shown,
                    name=f"layer {lay} from {name}",
                    customdata=custom,
                    hovertemplate="%{y}<br>to token %{x} (%{customdata})<br>attention %{z:.3f}<extra></extra>",
                ),
                row=row,
                col=1,
            )
    buttons = [
        dict(label=f"layer {lay}", method="update", args=[{"visible": [t // 2 == lay for t in range(2 * n_layers)]}])
        for lay in range(n_layers)
    ]
    fig.update_layout(
        title=f"attention per head (layers 0..{n_layers - 1})",
        updatemenus=[dict(buttons=buttons, active=shown, x=1, xanchor="right", y=1.15, yanchor="top")],
        height=260 + 30 * n_heads,
        margin=dict(l=70, r=20, t=90, b=40),
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="token (0 = [CLS])", row=2, col=1)
    return fig


def _arc(x0: float, x1: float, n: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """Half-ellipse from x0 to x1 whose height is half the distance (nested arcs do not cross)."""
    t = np.linspace(0, np.pi, n)
    return (x0 + x1) / 2 - (x1 - x0) / 2 * np.cos(t), np.abs(x1 - x0) / 2 * np.sin(t)


def most_attended_token(attn: np.ndarray, layer: int) -> int:
    """The k-mer token (not [CLS] or [SEP]) that receives the most attention in ``layer``.

    Parameters
    ----------
    attn : np.ndarray, shape (layers, heads, T, T)
        Attention from query (row) to key (column); T >= 3.

    Returns
    -------
    int
        Token index in 1 .. T-2: argmax of the attention it receives, summed over heads and queries.
    """
    received = attn[layer].sum(axis=(0, 1))  # (T,)
    return 1 + int(np.argmax(received[1:-1]))


def context_plot(
    tokens: list[str], attn: np.ndarray, layer: int, query: int, threshold: float = 0.2, relative: bool = False
) -> go.Figure:
    """The selected token's attention to every other token in each head of one layer, as arcs.

    Parameters
    ----------
    tokens : list of str, length T
    attn : np.ndarray, shape (layers, heads, T, T)
    layer : int
    query : int
        Index of the selected token.
    threshold : float
        Links with attention below it are hidden (the paper used 0.2 / 0.4 / 0.6).
    relative : bool
        Read ``threshold`` as a fraction of the strongest link from ``query`` to another token
        (over the layer's heads), so that link always shows.

    Returns
    -------
    go.Figure
        One trace per link (``legendgroup`` = ``"head <h>"``, width grows
        with the weight, ``customdata`` = [head, target token, weight]) and a
        marker trace ``"tokens"`` along the axis. With no link above the
        threshold the figure says so.
    """
    a = check_attention(tokens, attn, layer, query)
    if not 0 <= threshold <= 1:
        raise InputError(f"threshold must be between 0 and 1, got {threshold}")
    weights = a[layer, :, query, :]  # (heads, T)
    if relative:
        threshold = max(threshold * float(np.delete(weights, query, axis=1).max()), np.finfo(np.float32).tiny)  # > 0
    colors = qualitative.Dark24
    fig = go.Figure()
    seen_heads: set[int] = set()
    for h, j in zip(*np.nonzero(weights >= threshold)):
        if j == query:
            continue
        w = float(weights[h, j])
        x, y = _arc(query, j)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                line=dict(color=colors[h % len(colors)], width=1 + 7 * w),
                opacity=0.75,
                name=f"head {h}",
                legendgroup=f"head {h}",
                showlegend=h not in seen_heads,
                customdata=np.tile([h, j, w], (len(x), 1)),
                hovertemplate=f"head {h}: token {query} -> {j} ({tokens[j]})<br>attention {w:.3f}<extra></extra>",
            )
        )
        seen_heads.add(int(h))
    n_tokens = len(tokens)
    selected = np.arange(n_tokens) == query
    fig.add_trace(
        go.Scatter(
            x=np.arange(n_tokens),
            y=np.zeros(n_tokens),
            mode="markers",
            marker=dict(size=np.where(selected, 12, 5), color=np.where(selected, "black", "#999999")),
            name="tokens",
            showlegend=False,
            text=tokens,
            hovertemplate="token %{x}: %{text}<extra></extra>",
        )
    )
    links = len(fig.data) - 1
    if links == 0:
        fig.add_annotation(
            text=f"no attention >= {threshold:.3g} from this token to another token in layer {layer}",
            showarrow=False,
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.6,
        )
    fig.update_layout(
        title=f"context of token {query} ({tokens[query]}), layer {layer}: {links} links with attention >= {threshold:.3g}",
        height=420,
        margin=dict(l=40, r=20, t=60, b=40),
        legend=dict(title="head"),
    )
    fig.update_xaxes(title_text="token (0 = [CLS])", range=[-1, n_tokens])
    fig.update_yaxes(visible=False, rangemode="tozero")
    return fig


def context_overview(tokens: list[str], attn: np.ndarray, query: int) -> go.Figure:
    """The selected token's attention in every head of every layer.

    Returns
    -------
    go.Figure
        One heatmap (``"overview"``), rows ``"L<l> H<h>"`` (layers x heads,
        layer-major), columns tokens, z = attn[l, h, query, :].
    """
    a = check_attention(tokens, attn, query=query)
    n_layers, n_heads, n_tokens, _ = a.shape
    rows = [f"L{lay} H{h}" for lay in range(n_layers) for h in range(n_heads)]
    fig = go.Figure(
        go.Heatmap(
            z=a[:, :, query, :].reshape(n_layers * n_heads, n_tokens),
            x=np.arange(n_tokens),
            y=rows,
            zmin=0,
            colorscale="Blues",
            colorbar=dict(title="attention"),
            name="overview",
            customdata=np.broadcast_to(np.array(tokens, dtype=object), (len(rows), n_tokens)),
            hovertemplate="%{y}<br>to token %{x} (%{customdata})<br>attention %{z:.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"attention from token {query} ({tokens[query]}) in every head",
        height=min(200 + 12 * len(rows), 1600),
        margin=dict(l=80, r=20, t=60, b=40),
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="token (0 = [CLS])")
    return fig
