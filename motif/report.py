"""Self-contained HTML report of a motif run: images inlined (base64), no scripts, no external fonts.

The pictures are drawn by a higher layer (:func:`viz.motif_images.motif_images`)
and passed in as file bytes (:class:`MotifImages`); without them the report
is tables only.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field

from motif.pipeline import MotifResult

REPORT_MATCHES = 3  # database matches shown per motif
IMAGE_FORMATS = ("png", "svg")
_MIME = {"png": "image/png", "svg": "image/svg+xml"}


@dataclass
class MotifImages:
    """Logos of a motif run, as image files.

    Attributes
    ----------
    fmt : {"png", "svg"}
    logos, reverse_complements : dict of str to bytes
        Motif id -> logo of the motif / of its reverse complement.
    matches : dict of (str, str) to bytes
        (motif id, target id) -> the motif's logo above its database match,
        aligned at the TOMTOM offset (the top :data:`REPORT_MATCHES` per motif).
    """

    fmt: str
    logos: dict[str, bytes] = field(default_factory=dict)
    reverse_complements: dict[str, bytes] = field(default_factory=dict)
    matches: dict[tuple[str, str], bytes] = field(default_factory=dict)

_STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; text-align: left; font-size: 13px; }
th { background: #f2f2f2; }
.note { background: #fff6d5; padding: 6px 10px; margin: 4px 0; border-left: 4px solid #e0b000; }
.seq { font-family: monospace; }
.counts { white-space: nowrap; }
img { display: block; }
"""


def _img(images: MotifImages | None, data: bytes | None, alt: str) -> str:
    if images is None or data is None:
        return ""
    return f'<img alt="{html.escape(alt)}" src="data:{_MIME[images.fmt]};base64,{base64.b64encode(data).decode("ascii")}">'


def _matches_cell(result: MotifResult, motif_index: int, images: MotifImages | None) -> str:
    motif = result.motifs[motif_index]
    rows = result.matches[result.matches["motif"] == motif.id].head(REPORT_MATCHES)
    if rows.empty:
        return "no database" if not result.database else "no match"
    parts = []
    for r in rows.itertuples(index=False):
        label = f"{r.target_id} {r.target_name}"
        aligned = images.matches.get((motif.id, r.target_id)) if images else None
        parts.append(
            f"<div><b>{html.escape(label)}</b> p = {r.p:.2g}, E = {r.E:.2g}, q = {r.q:.2g}, "
            f"offset {int(r.offset)}, overlap {int(r.overlap)}, strand {html.escape(r.orientation)}</div>"
            + _img(images, aligned, f"{motif.id} aligned to {label}")
        )
    return "".join(parts)


def _members_cell(motif) -> str:
    """The motifs merged into this one (:mod:`motif.redundancy`), or ""."""
    if not motif.members:
        return ""
    rows = "".join(
        f"<li><span class=seq>{html.escape(x.motif.consensus)}</span> ({len(x.motif.instances)} instances, "
        + (
            "representative"
            if x is motif.members[0]
            else f"TOMTOM p = {x.tomtom_p:.2g}, offset {x.offset}, strand {x.orientation}"
        )
        + ")</li>"
        for x in motif.members
    )
    return f"<br>merged from:<ul>{rows}</ul>"


def _dropped_section(result: MotifResult) -> str:
    """The motifs dropped as fragments, folded (shown on request)."""
    if not result.dropped:
        return ""
    rows = "".join(
        f"<tr><td class=seq>{html.escape(d.motif.consensus)}</td><td>{len(d.motif.instances)}</td>"
        f"<td>{d.motif.n_pos} / {d.motif.n_neg}</td><td>{d.motif.p:.2g}</td><td>{html.escape(d.reason)}</td></tr>"
        for d in result.dropped
    )
    return (
        f"<details><summary>{len(result.dropped)} motif(s) dropped as fragments of reported motifs</summary>"
        "<table><tr><th>consensus</th><th>instances</th><th>positives / negatives with a site</th>"
        f"<th>p (as assembled)</th><th>reason</th></tr>{rows}</table></details>"
    )


def _cause_cell(result: MotifResult, motif_index: int) -> str:
    """The cause check of one motif (:mod:`motif.cause`): verdict, then each test's effect, interval and q."""
    row = result.cause.iloc[motif_index]
    parts = [f"<b>{html.escape(str(row['verdict']))}</b>"]
    for test, what in (("insertion", "inserted vs column-shuffled"), ("ablation", "sites shuffled vs random windows")):
        if row[f"{test}_effect"] == row[f"{test}_effect"]:  # not NaN
            parts.append(
                f"{test} ({what}, n = {int(row[f'{test}_n'])}): &Delta;p = {row[f'{test}_effect']:+.3f} "
                f"[{row[f'{test}_low']:+.3f}, {row[f'{test}_high']:+.3f}], q = {row[f'{test}_q']:.2g}"
            )
        elif row["verdict"] != "not checked (time budget)":
            parts.append(f"{test}: too few pairs (n = {int(row[f'{test}_n'])})")
    return "<br>".join(parts)


CAUSE_TEXT = (
    "<p><b>Does the model use it?</b> Insertion: a site sampled from the motif written over the middle of background "
    "sequences, against a site of the column-shuffled motif at the same place; ablation: the motif's FIMO sites in the "
    "positives shuffled, against as many random windows of the same width. &Delta;p = mean paired change in the predicted "
    "probability with its 95% interval; q = Wilcoxon signed-rank p (insertion two-sided; ablation one-sided: shuffling the "
    "sites lowers p more than shuffling random windows), Benjamini-Hochberg over all tests.</p>"
)


def render_report(result: MotifResult, images: MotifImages | None = None) -> str:
    """The report as one HTML string: parameters, notes, and one row per motif with its
    logo, counts, enrichment and top database matches (their logos aligned under the motif's).
    """
    esc = html.escape
    params = "".join(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in result.parameters().items())
    notes = "".join(f'<div class="note">{esc(n)}</div>' for n in result.notes)
    n_kept = int(result.candidates["kept"].sum()) if len(result.candidates) else 0
    summary = (
        f"{result.n_pos} positive and {result.n_neg} negative sequences; {result.n_regions} high-attention regions; "
        f"{len(result.candidates)} candidates, {n_kept} with q &lt; {result.params.q_cutoff}; {len(result.motifs)} motifs."
    )
    rows = []
    for i, m in enumerate(result.motifs):
        rows.append(
            f"<tr><td><b>{esc(m.id)}</b><br><span class=seq>{esc(m.consensus)}</span><br>from {esc(m.key)}{_members_cell(m)}</td>"
            f"<td>{_img(images, images.logos.get(m.id) if images else None, m.id)}</td>"
            f"<td class=counts>length {m.ppm.shape[1]}<br>instances {len(m.instances)}<br>dropped at ends {m.n_edge}<br>"
            f"positives with a site {m.n_pos}<br>negatives with a site {m.n_neg}<br>p = {m.p:.2g}<br>q = {m.q:.2g}</td>"
            f"<td>{_matches_cell(result, i, images)}</td>"
            + (f"<td>{_cause_cell(result, i)}</td>" if result.cause is not None else "")
            + "</tr>"
        )
    cause_head = "<th>does the model use it? (cause check)</th>" if result.cause is not None else ""
    table = (
        "<table><tr><th>motif</th><th>logo (information, bits)</th><th>counts and enrichment</th>"
        f"<th>top {REPORT_MATCHES} matches ({esc(result.database or 'none')})</th>{cause_head}</tr>{''.join(rows)}</table>"
        + (CAUSE_TEXT if result.cause is not None else "")
        if rows
        else "<p><b>No motif found.</b></p>"
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>DNABERT motifs</title>"
        f"<style>{_STYLE}</style></head><body><h1>Motifs from attention</h1><p>{summary}</p>{notes}"
        f"{table}{_dropped_section(result)}<h2>Parameters</h2><table>{params}</table></body></html>"
    )


def render_agreement_report(agreement, results: dict[str, MotifResult]) -> str:
    """The report of an ``--evidence all`` run: the agreement table (:mod:`motif.agreement`) and links to
    each kind's report (``<kind>/report.html``)."""
    esc = html.escape
    runs = "".join(
        f"<li><a href='{esc(kind)}/report.html'>{esc(kind)}</a>: {len(r.motifs)} motifs, {r.n_regions} high-evidence "
        "regions</li>"
        for kind, r in results.items()
    )
    head = "".join(f"<th>{esc(str(c))}</th>" for c in agreement.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(f'{v:.2g}' if isinstance(v, float) else str(v))}</td>" for v in row) + "</tr>"
        for row in agreement.itertuples(index=False)
    )
    table = f"<table><tr>{head}</tr>{body}</table>" if len(agreement) else "<p><b>No motif found by any kind.</b></p>"
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>DNABERT motifs: agreement of evidence</title>"
        f"<style>{_STYLE}</style></head><body><h1>Motifs by kind of evidence</h1>"
        "<p>Motif discovery was run on each kind of per-nucleotide evidence; motifs that TOMTOM finds similar "
        f"are one row. <i>every kind</i>: all kinds found it; <i>only ...</i>: one kind alone.</p><ul>{runs}</ul>"
        f"<h2>Agreement</h2>{table}</body></html>"
    )
