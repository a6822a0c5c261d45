"""Self-contained HTML report of a motif run: logos inlined as base64 PNG or SVG (or left out), no scripts, no external fonts."""

from __future__ import annotations

import base64
import html

from motif.pipeline import MotifResult
from viz.logos import aligned_logo_images, figure_bytes

REPORT_MATCHES = 3  # database matches shown per motif
LOGO_DPI = 100  # resolution of PNG logos in files and reports
LOGO_FORMATS = ("none", "png", "svg")  # how logos are written: not at all, PNG or SVG files
_MIME = {"png": "image/png", "svg": "image/svg+xml"}

_STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; text-align: left; font-size: 13px; }
th { background: #f2f2f2; }
.note { background: #fff6d5; padding: 6px 10px; margin: 4px 0; border-left: 4px solid #e0b000; }
.seq { font-family: monospace; }
img { display: block; }
"""


def _img(image: bytes, alt: str, fmt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:{_MIME[fmt]};base64,{base64.b64encode(image).decode("ascii")}">'


def _matches_cell(result: MotifResult, motif_index: int, fmt: str) -> str:
    motif = result.motifs[motif_index]
    rows = result.matches[result.matches["motif"] == motif.id].head(REPORT_MATCHES)
    if rows.empty:
        return "no database" if not result.database else "no match"
    rows = list(rows.itertuples(index=False))
    labels = [f"{r.target_id} {r.target_name}" for r in rows]
    images = [""] * len(rows)
    if fmt != "none":
        aligned = [(result.target_ppms[r.target_id].T, int(r.offset), r.orientation, label) for r, label in zip(rows, labels)]
        images = [
            _img(image, f"{motif.id} aligned to {label}", fmt)
            for image, label in zip(aligned_logo_images(motif.ppm.T, aligned, motif.id, fmt, dpi=LOGO_DPI), labels)
        ]
    return "".join(
        f"<div><b>{html.escape(label)}</b> p = {r.p:.2g}, E = {r.E:.2g}, q = {r.q:.2g}, "
        f"offset {int(r.offset)}, overlap {int(r.overlap)}, strand {html.escape(r.orientation)}</div>{image}"
        for r, label, image in zip(rows, labels, images)
    )


def logo_image(fig, fmt: str = "png") -> bytes:
    """PNG (at a resolution fit for reports) or SVG bytes of a logo figure (:mod:`viz.logos`)."""
    return figure_bytes(fig, (fmt,), dpi=LOGO_DPI)[fmt]


def render_report(result: MotifResult, motif_logos: dict[str, bytes] | None, fmt: str = "png") -> str:
    """The report as one HTML string: parameters, notes, and one row per motif with its
    logo, counts, enrichment and top database matches (their logos aligned under the motif's).

    ``motif_logos`` maps motif id to its logo in format ``fmt`` ("png" or "svg";
    :func:`viz.logos.motif_logo` via :func:`logo_image`); with ``fmt="none"`` the
    report has no logos and ``motif_logos`` is not read.
    """
    esc = html.escape
    params = "".join(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in result.parameters().items())
    notes = "".join(f'<div class="note">{esc(n)}</div>' for n in result.notes)
    n_kept = int(result.candidates["kept"].sum()) if len(result.candidates) else 0
    summary = (
        f"{result.n_pos} positive and {result.n_neg} negative sequences; {result.n_regions} high-attention regions; "
        f"{len(result.candidates)} candidates, {n_kept} with q &lt; {result.params.pval_cutoff}; {len(result.motifs)} motifs."
    )
    rows = []
    for i, m in enumerate(result.motifs):
        logo = f"<td>{_img(motif_logos[m.id], m.id, fmt)}</td>" if fmt != "none" else ""
        rows.append(
            f"<tr><td><b>{esc(m.id)}</b><br><span class=seq>{esc(m.consensus)}</span><br>from {esc(m.key)}</td>{logo}"
            f"<td>length {m.ppm.shape[1]}<br>instances {len(m.instances)}<br>dropped at ends {m.n_edge}<br>"
            f"positives with a site {m.n_pos}<br>negatives with a site {m.n_neg}<br>p = {m.p:.2g}<br>q = {m.q:.2g}</td>"
            f"<td>{_matches_cell(result, i, fmt)}</td></tr>"
        )
    logo_header = "<th>logo (information, bits)</th>" if fmt != "none" else ""
    table = (
        f"<table><tr><th>motif</th>{logo_header}<th>counts and enrichment</th>"
        f"<th>top {REPORT_MATCHES} matches ({esc(result.database or 'none')})</th></tr>{''.join(rows)}</table>"
        if rows
        else "<p><b>No motif found.</b></p>"
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>DNABERT motifs</title>"
        f"<style>{_STYLE}</style></head><body><h1>Motifs from attention</h1><p>{summary}</p>{notes}"
        f"{table}<h2>Parameters</h2><table>{params}</table></body></html>"
    )
