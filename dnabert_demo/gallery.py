"""Every figure of the project for one model and its example data, in one folder.

Usage::

    python -m dnabert_demo.gallery --out DIR [--model demo|PATH] [--format html png] [--n 200]

Model and data: the demo model (``dnabert/demo_model``) with the example sequences
shipped next to it (``example_positives.fa``, ``example_negatives.fa`` and the
ground truth ``example_sites.tsv``); a model folder given with ``--model``
uses the example files in that folder when it has them, otherwise planted-motif
sequences from :mod:`dnabert_demo.synthetic`. When the demo model has not been
built, a tiny random model stands in and the output says so (its figures
show the plotting, not what a trained model attends to).

What is drawn (on the most confidently predicted positive, unless said):
attention track (with high-attention regions from :mod:`motif.regions` and
the planted sites), a long track made of many positives joined (window
seams, display binning), the landscape of all sequences, the head grid,
context plot and overview, the offline bertviz head view, the mutation map,
attention vs integrated gradients, and the logo of the top motif found by
:func:`motif.pipeline.find_motifs`, its reverse complement and its alignment
with its best JASPAR match.

Writes ``<name>.html`` (plotly.js once, as ``plotly.min.js``) and/or
``<name>.png`` per figure (PNG through a local headless Chromium), the logos
as PNG and SVG, and ``index.html`` linking everything. Existing files of the
same names are replaced; nothing else in the folder is touched.
"""

from __future__ import annotations

import argparse
import html
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import torch
from transformers import BertForSequenceClassification

from dnabert_demo.synthetic import PlantedData, make_planted_dataset
from dnabert.analysis.attribution import attribution_track
from dnabert.loading.checkpoint import DEMO_MODEL_DIR, LoadedModel, load_model, resolve_model_path, save_model
from dnabert.errors import InputError
from dnabert.analysis.inference import attention_matrices, predict
from dnabert.outputs import atomic_path
from dnabert.training.policy import ModelShape
from dnabert.sequences import read_sequences, reverse_complement
from dnabert.analysis.variants import mutation_map
from motif.encoding import encode
from motif.jaspar import load_jaspar, match_motifs
from motif.pipeline import find_motifs
from motif.regions import find_regions
from viz.attribution import attention_vs_attribution
from viz.bertviz_offline import head_view_html
from viz.export import figures_to_png, html_to_png, write_html
from viz.heads import context_overview, context_plot, head_grid
from viz.landscape import attention_landscape
from viz.logos import aligned_logos, figure_bytes, motif_logo
from viz.mutation_map import mutation_map_figure
from viz.tracks import attention_track

FORMATS = ("html", "png")
LONG_PARTS = 30  # positives joined into the long-sequence example


def random_model(folder: Path) -> LoadedModel:
    """A seeded, untrained 2-layer k=6 classifier saved in ``folder`` and loaded back."""
    torch.manual_seed(0)
    config = ModelShape(layers=2, hidden=64, heads=4, intermediate=128).config(6, num_labels=2)
    save_model(BertForSequenceClassification(config), 6, folder, labels=["negative", "positive"], overwrite=True)
    return load_model(folder)


def example_data(folder: Path, n: int) -> PlantedData | None:
    """The example sequences shipped in a model folder (at most n per class), or None."""
    files = [folder / f for f in ("example_positives.fa", "example_negatives.fa", "example_sites.tsv")]
    if not all(f.is_file() for f in files):
        return None
    pos, neg = read_sequences(files[0]), read_sequences(files[1])
    ids, seqs = pos.ids[:n] + neg.ids[:n], pos.seqs[:n] + neg.seqs[:n]
    labels = np.array([1] * min(n, len(pos)) + [0] * min(n, len(neg)))
    sites = pd.read_csv(files[2], sep="\t")
    return PlantedData(ids=ids, seqs=seqs, labels=labels, kind=["example"] * len(ids), sites=sites[sites["id"].isin(ids)])


def load_inputs(model: str, n: int, scratch: Path) -> tuple[LoadedModel, PlantedData, list[str]]:
    """Model, sequences and notes for the gallery (see the module docstring)."""
    notes = []
    if model == "demo" and not (DEMO_MODEL_DIR / "config.json").is_file():
        notes.append(
            "the demo model is not built (python -m dnabert demo-model): using a tiny RANDOM model, so the "
            "figures show the plotting, not what a trained model attends to"
        )
        lm = random_model(scratch / "random_model")
    else:
        lm = load_model(model)
    data = example_data(resolve_model_path(model), n)
    if data is None:
        notes.append(f"no example data in the model folder: using {n} + {n} synthetic planted-motif sequences (seed 0)")
        data = make_planted_dataset(n, n, length=100, seed=0)
    return lm, data, notes


def _sites(data: PlantedData, index: int, shift: int = 0) -> list[tuple[int, int, str]]:
    rows = data.sites[data.sites["id"] == data.ids[index]]
    return [(s + shift, e + shift, str(m)) for s, e, m in zip(rows["start"], rows["end"], rows["motif"])]


def logo_figures(data: PlantedData, scores: list[np.ndarray], notes: list[str]) -> dict:
    """Logo of the top motif found in the positives' attention, its reverse complement, its JASPAR alignment."""
    database = load_jaspar()
    pos = np.flatnonzero(data.labels == 1)
    neg = np.flatnonzero(data.labels == 0)
    result = find_motifs(
        [data.seqs[i] for i in pos],
        [scores[i] for i in pos],
        [data.seqs[i] for i in neg] or None,
        database=database,
        pos_ids=[data.ids[i] for i in pos],
    )
    if result.motifs:
        name, ppm = f"{result.motifs[0].id} {result.motifs[0].consensus}", result.motifs[0].ppm
        matches = result.matches[result.matches["motif"] == result.motifs[0].id]
    else:
        first = data.sites[data.sites["motif"] == data.sites["motif"].iloc[0]]
        sites = [s if strand == "+" else reverse_complement(s) for s, strand in zip(first["site"], first["strand"])]
        counts = np.array([[[b == c for b in s] for c in "ACGT"] for s in sites], dtype=float).sum(axis=0)  # (4, W)
        name, ppm = f"planted {first['motif'].iloc[0]} sites", counts / counts.sum(axis=0, keepdims=True)
        matches = match_motifs([ppm], database, top=1)
        notes.append("the motif pipeline found no motif in this model's attention: the logos show the planted sites instead")
    best = matches.iloc[0]
    return {
        "logo": motif_logo(ppm, name),
        "logo_reverse_complement": motif_logo(ppm, name, reverse_complement=True),
        "logo_jaspar_match": aligned_logos(
            ppm,
            database.ppm(best["target_id"]),
            int(best["offset"]),
            best["orientation"],
            name,
            f"{best['target_id']} {best['target_name']} (p = {best['p']:.2g})",
        ),
    }


def make_figures(lm: LoadedModel, data: PlantedData, notes: list[str]) -> tuple[dict[str, go.Figure], dict[str, str], dict]:
    """All gallery figures: plotly figures, HTML pages (the head view) and matplotlib logos, by file name."""
    pred = predict(lm, data.seqs, attention="last")
    p_pos = pred.probs[:, -1]
    positives = np.flatnonzero(data.labels == 1)
    focus = int(positives[np.argmax(p_pos[positives])])
    seq, track = data.seqs[focus], pred.scores[focus]
    found = find_regions([track], encode([seq]))
    regions = np.stack([found.start, found.end], axis=1)
    figs: dict[str, go.Figure] = {}
    figs["attention_track"] = attention_track(
        seq,
        track,
        regions,
        _sites(data, focus),
        pred.windows[focus],
        title=f"{data.ids[focus]}: attention (p = {p_pos[focus]:.3f}); shaded: high-attention regions",
    )

    parts = positives[:LONG_PARTS]
    offsets = np.concatenate([[0], np.cumsum([len(data.seqs[i]) for i in parts])])
    joined = "".join(data.seqs[i] for i in parts)
    long_pred = predict(lm, [joined], attention="last")
    figs["attention_track_long"] = attention_track(
        joined,
        long_pred.scores[0],
        sites=[s for i, o in zip(parts, offsets) for s in _sites(data, i, int(o))],
        windows=long_pred.windows[0],
        max_points=1000,
        title=f"{len(parts)} positives joined ({len(joined)} bp, {len(long_pred.windows[0])} model windows)",
    )
    figs["landscape"] = attention_landscape(
        pred.scores,
        p_pos,
        np.where(data.labels == 1, "positive", "negative"),
        data.ids,
        sort="probability",
        title=f"attention landscape of {len(data.seqs)} sequences",
    )

    tokens, attn = attention_matrices(lm, seq)
    n_kmers = len(tokens) - 2
    query = 1 + int(np.clip(np.argmax(track) - (lm.k - 1) // 2, 0, n_kmers - 1))  # the k-mer centred on the peak
    last = attn.shape[0] - 1
    figs["head_grid"] = head_grid(tokens, attn, query, last)
    # a small model spreads attention thinly, so the paper's 0.2 can draw nothing: show the strongest 2% of links
    threshold = min(0.2, round(float(np.quantile(attn[last, :, query, :], 0.98)), 3))
    figs["context"] = context_plot(tokens, attn, last, query, threshold)
    figs["context_overview"] = context_overview(tokens, attn, query)
    pages = {"head_view": head_view_html(tokens, attn, last)}

    mm = mutation_map(lm, seq, data.ids[focus], attention="last")
    figs["mutation_map"] = mutation_map_figure(
        seq,
        mm.diff,
        mm.log_or,
        mm.p_wt,
        mm.p_mut,
        mm.attention_wt,
        title=f"{data.ids[focus]}: mutation map (class {mm.label}, wild type p = {mm.p_wt:.3f})",
    )
    ig = attribution_track(lm, seq, target=lm.model.config.num_labels - 1)
    figs["attention_vs_attribution"] = attention_vs_attribution(
        seq, track, ig.track, title=f"{data.ids[focus]}: attention vs integrated gradients"
    )
    return figs, pages, logo_figures(data, pred.scores, notes)


def write_gallery(
    out: Path, figs: dict[str, go.Figure], pages: dict[str, str], logos: dict, formats: list[str], notes: list[str]
) -> list[Path]:
    """Write every figure in ``formats`` (logos always as PNG and SVG) and, with html, an index page."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if "html" in formats:
        written += [write_html(fig, out / f"{name}.html", plotlyjs="directory") for name, fig in figs.items()]
        for name, page in pages.items():
            with atomic_path(out / f"{name}.html") as tmp:
                tmp.write_text(page, encoding="utf-8")
            written.append(out / f"{name}.html")
    if "png" in formats:
        written += figures_to_png({out / f"{name}.png": fig for name, fig in figs.items()})
        written += [html_to_png(page, out / f"{name}.png") for name, page in pages.items()]
    for name, fig in logos.items():
        for fmt, content in figure_bytes(fig).items():
            with atomic_path(out / f"{name}.{fmt}") as tmp:
                tmp.write_bytes(content)
            written.append(out / f"{name}.{fmt}")
    if "html" in formats:
        items = []
        for name in [*figs, *pages]:
            img = f'<br><img src="{name}.png" width="900">' if "png" in formats else ""
            items.append(f'<li><a href="{name}.html">{name}</a>{img}</li>')
        items += [f'<li>{name}<br><img src="{name}.png"> <a href="{name}.svg">SVG</a></li>' for name in logos]
        note_html = "".join(f"<p><b>note:</b> {html.escape(n)}</p>" for n in notes)
        with atomic_path(out / "index.html") as tmp:
            tmp.write_text(
                "<!DOCTYPE html><html><head><meta charset='utf-8'><title>DNABERT Explorer gallery</title></head>"
                f"<body><h1>DNABERT Explorer gallery</h1>{note_html}<ul>{''.join(items)}</ul></body></html>\n",
                encoding="utf-8",
            )
        written.append(out / "index.html")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dnabert_demo.gallery", description="render every figure for one model and its data")
    parser.add_argument("--out", required=True, help="output folder (created; files of the same names are replaced)")
    parser.add_argument("--model", default="demo", help="checkpoint folder, or 'demo' (default)")
    parser.add_argument("--format", nargs="+", choices=FORMATS, default=list(FORMATS), help="html and/or png (default both)")
    parser.add_argument("--n", type=int, default=200, help="example sequences per class (default 200)")
    args = parser.parse_args(argv)
    try:
        if args.n < 2:
            raise InputError("--n must be at least 2")
        with tempfile.TemporaryDirectory() as scratch:
            lm, data, notes = load_inputs(args.model, args.n, Path(scratch))
            figs, pages, logos = make_figures(lm, data, notes)
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
        written = write_gallery(Path(args.out), figs, pages, logos, args.format, notes)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} files to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
