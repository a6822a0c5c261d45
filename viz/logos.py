"""Sequence logos (logomaker, information content) of motifs, alone or aligned with a JASPAR match.

PPMs here are (4, W) arrays with rows A, C, G, T, one column per motif
position (the project's one matrix orientation, as in :mod:`motif` and
memelite); columns are normalised to sum 1, so counts work too. logomaker's
(W, 4) DataFrame is made only inside :func:`information_matrix`.

TOMTOM alignment (memelite's convention, checked on sub-motifs): with strand
``"+"`` (or 0), query column i lies on target column ``i + offset``; with
``"-"`` (or 1), on column ``i + offset`` of the target's reverse complement.
So the aligned logo draws the query at x = 0 .. Wq-1 and the target (reverse
complemented for "-") from x = -offset.

The motif command's and the app's logo files are drawn without matplotlib by
:mod:`viz.logo_images` (same layout, colours and alignment; a tenth of the cost).
Figures here are matplotlib (logomaker draws glyphs with it), made with
``matplotlib.figure.Figure`` directly rather than pyplot: no GUI backend, no
global figure registry to close, safe in the app's threads. Render them with
:func:`figure_bytes` (PNG and / or SVG). Margins are fixed in inches
(``MARGINS``) rather than fitted with ``tight_layout`` / ``bbox_inches="tight"``,
each of which draws the whole figure once more: a third of a logo's cost.
"""

from __future__ import annotations

import io

import logomaker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from dnabert.sequences import BASES
from viz.logo_images import COLORS, MARGINS, check_ppm, information_heights, oriented_target, reverse_complement_ppm  # noqa: F401 (re-exported)


def _fit_margins(fig: Figure, rows: int) -> None:
    """Place ``rows`` stacked axes in fixed margins (:data:`MARGINS`) of the figure's current size."""
    width, height = fig.get_size_inches()
    axis_height = (height - MARGINS["bottom"] - MARGINS["top"] - (rows - 1) * MARGINS["between"]) / rows
    fig.subplots_adjust(
        left=MARGINS["left"] / width,
        right=1 - MARGINS["right"] / width,
        bottom=MARGINS["bottom"] / height,
        top=1 - MARGINS["top"] / height,
        hspace=MARGINS["between"] / axis_height,
    )


def _logo_figure(width: float, height: float, rows: int = 1) -> tuple[Figure, list[Axes]]:
    """A width x height inch figure with ``rows`` axes sharing x, stacked in fixed margins."""
    fig = Figure(figsize=(width, height))
    _fit_margins(fig, rows)
    return fig, list(fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0])


def information_matrix(ppm: np.ndarray) -> pd.DataFrame:
    """Information content per base and position (bits; column heights sum to 2 - entropy).

    Returns
    -------
    pd.DataFrame, shape (W, 4), columns A, C, G, T, index 0..W-1 (logomaker's layout)
    """
    return pd.DataFrame(information_heights(ppm).T, columns=list(BASES))


def _draw(ax: Axes, ppm: np.ndarray, start: int, title: str) -> logomaker.Logo:
    info = information_matrix(ppm)
    info.index = info.index + start
    logo = logomaker.Logo(info, ax=ax, color_scheme=COLORS, font_name="DejaVu Sans")
    logo.style_spines(visible=False)
    logo.style_spines(spines=["left", "bottom"], visible=True)
    ax.set_ylim(0, 2)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("bits")
    ax.set_title(title, loc="left", fontsize=10)
    return logo


def motif_logo(ppm: np.ndarray, title: str = "", reverse_complement: bool = False) -> Figure:
    """Information-content logo of one motif (or of its reverse complement).

    Parameters
    ----------
    ppm : np.ndarray, shape (4, W), rows A, C, G, T
    title : str
    reverse_complement : bool

    Returns
    -------
    matplotlib.figure.Figure
        One axes; x = motif position 0..W-1, y = bits (0..2).
    """
    a = check_ppm(ppm)
    if reverse_complement:
        a = reverse_complement_ppm(a)
    fig, (ax,) = _logo_figure(max(2.5, 0.45 * a.shape[1] + 1), 2)
    _draw(ax, a, 0, title + (" (reverse complement)" if reverse_complement else ""))
    ax.set_xlabel("position")
    return fig


def aligned_logos(
    query: np.ndarray,
    target: np.ndarray,
    offset: int,
    strand: str | int,
    query_name: str = "motif",
    target_name: str = "JASPAR match",
) -> Figure:
    """A motif logo above its JASPAR match, aligned at the TOMTOM offset and orientation.

    Parameters
    ----------
    query, target : np.ndarray, shapes (4, Wq) and (4, Wt), rows A, C, G, T
    offset : int
        TOMTOM (memelite) offset of the best alignment (module docstring).
    strand : {"+", "-"} or {0, 1}
        Orientation of the target in the alignment; ``"-"`` draws its reverse complement.
    query_name, target_name : str

    Returns
    -------
    matplotlib.figure.Figure
        Two axes sharing x: the query at x = 0..Wq-1 and the (oriented)
        target at x = -offset .. -offset + Wt - 1.
    """
    q = check_ppm(query, query_name)
    fig, (ax_q, _) = _logo_figure(3.0, 3.8, rows=2)
    _draw(ax_q, q, 0, query_name)
    _draw_match(fig, q.shape[1], target, offset, strand, target_name)
    return fig


def _draw_match(fig: Figure, query_width: int, target, offset: int, strand: str | int, target_name: str) -> None:
    """Draw the oriented target in the lower axes of an :func:`aligned_logos` figure, replacing what it held,
    and resize the figure to the aligned span."""
    t, minus = oriented_target(target, strand, target_name)
    offset = int(offset)
    lo, hi = min(0, -offset), max(query_width, t.shape[1] - offset)
    ax_t = fig.axes[1]
    ax_t.cla()
    _draw(ax_t, t, -offset, f"{target_name} ({'reverse complement' if minus else 'forward'}, offset {offset})")
    ax_t.set_xlim(lo - 0.5, hi - 0.5)
    ax_t.set_xlabel("position in the motif")
    fig.set_size_inches(max(3.0, 0.45 * (hi - lo) + 1), 3.8)
    _fit_margins(fig, 2)


def figure_bytes(fig: Figure, formats: tuple[str, ...] = ("png", "svg"), dpi: int = 150) -> dict[str, bytes]:
    """Render a matplotlib figure in each of ``formats`` ("png", "svg").

    Returns
    -------
    dict of str to bytes
        Format -> file content (PNG at ``dpi``; SVG text, UTF-8).
    """
    bad = set(formats) - {"png", "svg"}
    if bad:
        raise ValueError(f"formats must be 'png' and/or 'svg', got {sorted(bad)}")
    out = {}
    for fmt in formats:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=dpi)
        out[fmt] = buf.getvalue()
    return out
