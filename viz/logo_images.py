"""Sequence logos drawn straight to SVG text or PNG pixels (Pillow), for reports, output folders and the app.

:mod:`viz.logos` draws logos as matplotlib figures with logomaker (the
gallery's figures). A motif run writes five images per motif; through
matplotlib that is about a second per motif plus a second of imports, more
than the whole analysis (``python -m bench.bench_logos``). This module draws
the same picture from a few polygons per letter: the same layout
(:data:`viz.logos.MARGINS`, x from -0.5 to W - 0.5, 0 to 2 bits, letters
stacked smallest at the bottom, as logomaker's default), the same colours
(:data:`viz.logos.COLORS`) and the same TOMTOM alignment of a match
(:func:`viz.logos.aligned_logos`' convention: the query at x = 0..Wq-1, the
oriented target from x = -offset).

Letters are block glyphs defined here in a unit box (A with its hole drawn
even-odd), stretched to their information height. PNGs are drawn at twice
the resolution and averaged down (anti-aliasing); a letter too flat to
read is drawn as its coloured box; text uses Pillow's bundled
font.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from dnabert.errors import InputError
from dnabert.sequences import BASES

COLORS = {"A": "#2ca02c", "C": "#1f77b4", "G": "#ff9f1c", "T": "#d62728"}  # per base, also viz.logos' colours
MARGINS = {"left": 0.6, "right": 0.15, "bottom": 0.45, "top": 0.3, "between": 0.55}  # inches around / between axes
FONT_PT = 10  # title size; tick labels 8 pt
SUPERSAMPLE = 2  # PNGs are drawn at this multiple of the requested resolution, then averaged down
SOLID_BELOW_PX = 4  # in PNGs, a letter flatter than this (pixels) is drawn as its filled box


def _arc(rx: float, ry: float, start: float, stop: float, n: int = 24) -> list[tuple[float, float]]:
    t = np.radians(np.linspace(start, stop, n))
    return [(0.5 + rx * np.cos(a), 0.5 + ry * np.sin(a)) for a in t]


# Each letter: (outline, holes), points in a unit box with y up.
GLYPHS = {
    "A": ([(0, 0), (0.39, 1), (0.61, 1), (1, 0), (0.8, 0), (0.7, 0.27), (0.3, 0.27), (0.2, 0)], [[(0.36, 0.43), (0.64, 0.43), (0.5, 0.8)]]),
    "C": (_arc(0.5, 0.5, 45, 315) + _arc(0.3, 0.32, 315, 45), []),
    "G": (_arc(0.5, 0.5, 45, 360) + [(0.55, 0.5), (0.55, 0.36)] + _arc(0.3, 0.32, 334, 45), []),
    "T": ([(0, 1), (1, 1), (1, 0.82), (0.59, 0.82), (0.59, 0), (0.41, 0), (0.41, 0.82), (0, 0.82)], []),
}


def check_ppm(ppm: np.ndarray, name: str = "PPM") -> np.ndarray:
    """Validate a (4, W) ACGT matrix and normalise its columns to sum 1.

    Returns
    -------
    np.ndarray, shape (4, W), float64
    """
    try:
        a = np.asarray(ppm, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a numeric (4, W) matrix") from None
    if a.ndim != 2 or a.shape[0] != 4 or a.shape[1] == 0:
        hint = " (a (W, 4) matrix: pass its transpose)" if a.ndim == 2 and a.shape[1] == 4 else ""
        raise InputError(f"{name} must have shape (4, W), rows A, C, G, T and one column per position; got {a.shape}{hint}")
    if not np.isfinite(a).all() or (a < 0).any():
        raise InputError(f"{name} must hold finite, non-negative probabilities or counts")
    sums = a.sum(axis=0, keepdims=True)
    if (sums == 0).any():
        raise InputError(f"{name}: position {int(np.flatnonzero(sums[0] == 0)[0]) + 1} has all-zero probabilities")
    return a / sums


def information_heights(ppm: np.ndarray) -> np.ndarray:
    """Letter heights in bits: p x (2 - entropy) per position, against a uniform background.

    Returns
    -------
    np.ndarray, shape (4, W), rows A, C, G, T; column sums = information content (0..2 bits)
    """
    p = check_ppm(ppm)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log2(p), 0.0)
    return p * (2 + plogp.sum(axis=0))


def reverse_complement_ppm(ppm: np.ndarray) -> np.ndarray:
    """Reverse complement of a (4, W) ACGT matrix: positions reversed, A<->T and C<->G swapped."""
    return np.asarray(ppm)[::-1, ::-1].copy()


def oriented_target(target: np.ndarray, strand: str | int, name: str) -> tuple[np.ndarray, bool]:
    """A TOMTOM target (4, W) as it aligns to the query: reverse-complemented on the minus strand
    (``'-'`` or memelite's 1); returns (matrix, whether it was reverse-complemented)."""
    t = check_ppm(target, name)
    if strand not in ("+", "-", 0, 1):
        raise InputError(f"strand must be '+' / '-' (or memelite's 0 / 1), got {strand!r}")
    minus = strand in ("-", 1)
    return (reverse_complement_ppm(t) if minus else t), minus


@dataclass
class _Canvas:
    """Shapes in pixels (y down) at ``dpi``: filled polygons, lines and text."""

    width: float
    height: float
    dpi: float
    polygons: list = field(default_factory=list)  # (outline, holes, colour)
    lines: list = field(default_factory=list)  # (x0, y0, x1, y1)
    texts: list = field(default_factory=list)  # (x, y, text, size px, anchor, rotated)

    def text(self, x: float, y: float, s: str, pt: float, anchor: str = "ls", rotated: bool = False) -> None:
        self.texts.append((x, y, s, pt / 72 * self.dpi, anchor, rotated))


def _axes(canvas: _Canvas, rows: int, row: int) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) in pixels of axes ``row`` of ``rows`` stacked in :data:`MARGINS`."""
    d = canvas.dpi
    axis_h = (canvas.height / d - MARGINS["bottom"] - MARGINS["top"] - (rows - 1) * MARGINS["between"]) / rows
    top = (MARGINS["top"] + row * (axis_h + MARGINS["between"])) * d
    return MARGINS["left"] * d, top, canvas.width - MARGINS["right"] * d, top + axis_h * d


def _draw_logo(canvas: _Canvas, box, ppm: np.ndarray, start: int, xlim: tuple[float, float], title: str, xlabel: str) -> None:
    """One logo in axes ``box``: letters of ``ppm`` from x = start, spines, ticks, labels."""
    left, top, right, bottom = box
    lo, hi = xlim

    def px(x):
        return left + (x - lo) / (hi - lo) * (right - left)

    def py(y):
        return bottom - y / 2 * (bottom - top)

    heights = information_heights(ppm)
    for i in range(heights.shape[1]):
        base = 0.0
        x0, x1 = px(start + i - 0.5), px(start + i + 0.5)
        for b in np.argsort(heights[:, i], kind="stable"):
            h = heights[b, i]
            if h <= 0:
                continue
            outline, holes = GLYPHS[BASES[b]]

            def place(points, y0=base, h=h):
                return [(x0 + u * (x1 - x0), py(y0 + v * h)) for u, v in points]

            canvas.polygons.append((place(outline), [place(hole) for hole in holes], COLORS[BASES[b]]))
            base += h
    canvas.lines += [(left, top, left, bottom), (left, bottom, right, bottom)]
    tick = canvas.dpi * 3.5 / 72
    for y in (0, 1, 2):
        canvas.lines.append((left - tick, py(y), left, py(y)))
        canvas.text(left - 1.5 * tick, py(y), str(y), 8, "rm")
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100) if (hi - lo) / s <= 12)
    for x in range(int(np.ceil(lo / step) * step), int(np.floor(hi)) + 1, step):
        canvas.lines.append((px(x), bottom, px(x), bottom + tick))
        canvas.text(px(x), bottom + 1.5 * tick, str(x), 8, "mt")
    canvas.text(left, top - tick, title, FONT_PT, "ls")
    canvas.text(left - 5.5 * tick, (top + bottom) / 2, "bits", 9, "mm", rotated=True)
    if xlabel:
        canvas.text((left + right) / 2, bottom + 5 * tick, xlabel, 9, "mt")


def _svg(canvas: _Canvas) -> bytes:
    def pts(points):
        return "M" + " L".join(f"{x:.2f} {y:.2f}" for x, y in points) + " Z"

    anchors = {"l": "start", "m": "middle", "r": "end"}
    baselines = {"s": "auto", "m": "central", "t": "hanging"}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{canvas.width:.0f}" height="{canvas.height:.0f}" '
        f'viewBox="0 0 {canvas.width:.2f} {canvas.height:.2f}">',
        f'<rect width="{canvas.width:.2f}" height="{canvas.height:.2f}" style="fill: #ffffff"/>',
    ]
    for outline, holes, colour in canvas.polygons:
        d = " ".join(pts(p) for p in [outline, *holes])
        out.append(f'<path d="{d}" style="fill: {colour}; fill-rule: evenodd"/>')
    for x0, y0, x1, y1 in canvas.lines:
        out.append(f'<path d="M{x0:.2f} {y0:.2f} L{x1:.2f} {y1:.2f}" style="stroke: #000000; stroke-width: 1; fill: none"/>')
    for x, y, s, size, anchor, rotated in canvas.texts:
        rot = f' transform="rotate(-90 {x:.2f} {y:.2f})"' if rotated else ""
        s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        out.append(
            f'<text x="{x:.2f}" y="{y:.2f}" font-family="DejaVu Sans, Arial, sans-serif" font-size="{size:.1f}" '
            f'text-anchor="{anchors[anchor[0]]}" dominant-baseline="{baselines[anchor[1]]}"{rot}>{s}</text>'
        )
    out.append("</svg>")
    return "\n".join(out).encode()


@lru_cache(maxsize=16)
def _font(size: float):
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _png(canvas: _Canvas) -> bytes:
    from PIL import Image, ImageDraw

    k = SUPERSAMPLE
    size = (round(canvas.width * k), round(canvas.height * k))
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)

    def scaled(points):
        return [(x * k, y * k) for x, y in points]

    for outline, holes, colour in canvas.polygons:
        ys = [y for _, y in outline]
        if max(ys) - min(ys) < SOLID_BELOW_PX:  # too flat to show a letter: its box, so that its colour shows
            xs = [x for x, _ in outline]
            draw.rectangle([min(xs) * k, min(ys) * k, max(xs) * k, max(ys) * k], fill=colour)
            continue
        draw.polygon(scaled(outline), fill=colour)
        for hole in holes:
            draw.polygon(scaled(hole), fill="white")
    for x0, y0, x1, y1 in canvas.lines:
        draw.line([(x0 * k, y0 * k), (x1 * k, y1 * k)], fill="black", width=k)
    for x, y, s, px, anchor, rotated in canvas.texts:
        font = _font(px * k)
        if rotated:
            w = int(draw.textlength(s, font=font)) + 2
            label = Image.new("L", (w, int(px * k * 1.4)), 0)
            ImageDraw.Draw(label).text((w / 2, px * k * 0.7), s, fill=255, font=font, anchor="mm")
            label = label.rotate(90, expand=True)
            img.paste((0, 0, 0), (round(x * k - label.width / 2), round(y * k - label.height / 2)), label)
        else:
            draw.text((x * k, y * k), s, fill="black", font=font, anchor=anchor)
    img = img.reduce(k)
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)  # zlib level 1: a third of the encoding time, files a little larger
    return buf.getvalue()


def _render(canvas: _Canvas, fmt: str) -> bytes:
    if fmt == "png":
        return _png(canvas)
    if fmt == "svg":
        return _svg(canvas)
    raise ValueError(f"fmt must be 'png' or 'svg', got {fmt!r}")


def logo_image(ppm: np.ndarray, title: str = "", fmt: str = "png", dpi: int = 100, reverse_complement: bool = False) -> bytes:
    """Information-content logo of one motif (or of its reverse complement), as PNG or SVG bytes.

    Parameters
    ----------
    ppm : np.ndarray, shape (4, W), rows A, C, G, T
    title : str
    fmt : {"png", "svg"}
    dpi : int
        Pixels per inch (the figure is max(2.5, 0.45 W + 1) x 2 inches, as :func:`viz.logos.motif_logo`).
    reverse_complement : bool

    Returns
    -------
    bytes
    """
    a = check_ppm(ppm)
    if reverse_complement:
        a = reverse_complement_ppm(a)
        title += " (reverse complement)"
    w = a.shape[1]
    canvas = _Canvas(max(2.5, 0.45 * w + 1) * dpi, 2 * dpi, dpi)
    _draw_logo(canvas, _axes(canvas, 1, 0), a, 0, (-0.5, w - 0.5), title, "position")
    return _render(canvas, fmt)


def aligned_logo_image(
    query: np.ndarray,
    target: np.ndarray,
    offset: int,
    strand: str | int,
    query_name: str = "motif",
    target_name: str = "JASPAR match",
    fmt: str = "png",
    dpi: int = 100,
) -> bytes:
    """A motif's logo above its database match, aligned at the TOMTOM offset and orientation.

    Parameters
    ----------
    query, target : np.ndarray, shapes (4, Wq) and (4, Wt), rows A, C, G, T
    offset : int
        memelite's offset: query column i faces column i + offset of the oriented target.
    strand : {"+", "-"} or {0, 1}
        ``"-"`` draws the target's reverse complement.
    query_name, target_name : str
    fmt : {"png", "svg"}
    dpi : int

    Returns
    -------
    bytes
        Two logos sharing x: the query at x = 0..Wq-1, the oriented target at x = -offset .. -offset + Wt - 1.
    """
    q = check_ppm(query, query_name)
    t, minus = oriented_target(target, strand, target_name)
    offset = int(offset)
    lo, hi = min(0, -offset), max(q.shape[1], t.shape[1] - offset)
    canvas = _Canvas(max(3.0, 0.45 * (hi - lo) + 1) * dpi, 3.8 * dpi, dpi)
    xlim = (lo - 0.5, hi - 0.5)
    _draw_logo(canvas, _axes(canvas, 2, 0), q, 0, xlim, query_name, "")
    name = f"{target_name} ({'reverse complement' if minus else 'forward'}, offset {offset})"
    _draw_logo(canvas, _axes(canvas, 2, 1), t, -offset, xlim, name, "position in the motif")
    return _render(canvas, fmt)
