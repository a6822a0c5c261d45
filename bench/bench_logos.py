"""Writing a motif run's files: logos and report, old drawing vs new, and ``--logos png|svg|none``.

    python -m bench.bench_logos [--n 2000] [--rounds 3]

Data: planted NRF1 / CTCF / REST sites with synthetic attention (:func:`demo.synthetic.planted_with_attention`),
motifs found by :func:`motif.pipeline.find_motifs` and matched to JASPAR. Timed, interleaved
over ``--rounds`` rounds in this process (wall seconds, medians):

* old: the tables and report without logos, plus every logo figure the old code drew (motif,
  reverse complement, and the top 3 aligned matches per motif) fitted with ``tight_layout``
  and saved with ``bbox_inches="tight"``, as before this change;
* :func:`motif.output.write_results` with the images of :func:`viz.motif_images.motif_images` in png and svg, and none.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

import numpy as np

from demo.synthetic import planted_with_attention
from motif.jaspar import load_jaspar
from motif.output import write_results
from motif.pipeline import MotifParams, find_motifs
from motif.report import REPORT_MATCHES
from viz.logos import aligned_logos, motif_logo
from viz.motif_images import motif_images


def old_png(fig) -> bytes:
    """How a logo was rendered before: fitted twice (tight_layout, then a tight bounding box)."""
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return buf.getvalue()


def old_write(result, out: Path) -> None:
    write_results(result, out)
    for m in result.motifs:
        old_png(motif_logo(m.ppm, m.id))
        old_png(motif_logo(m.ppm, m.id, reverse_complement=True))
        for r in result.matches[result.matches["motif"] == m.id].head(REPORT_MATCHES).itertuples(index=False):
            old_png(aligned_logos(m.ppm, result.target_ppms[r.target_id], int(r.offset), r.orientation, m.id, r.target_id))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="positives and negatives (100 bp)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--factors", nargs="+", default=["MA0506.3", "MA0139.2", "MA0138.3"], help="JASPAR ids planted")
    args = parser.parse_args()
    data, scores = planted_with_attention(args.n, args.n, tuple(args.factors), seed=2024)
    pos = [s for s, y in zip(data.seqs, data.labels) if y == 1]
    neg = [s for s, y in zip(data.seqs, data.labels) if y == 0]
    t0 = time.process_time()
    result = find_motifs(pos, scores, neg, MotifParams(), load_jaspar())
    analysis = time.process_time() - t0
    n_aligned = sum(min(REPORT_MATCHES, int((result.matches["motif"] == m.id).sum())) for m in result.motifs)
    print(f"{len(result.motifs)} motifs, {n_aligned} aligned matches in the report; analysis {analysis:.2f} CPU s")
    runs = {
        "old (png)": lambda out: old_write(result, out),
        "new png": lambda out: write_results(result, out, images=motif_images(result, "png")),
        "new svg": lambda out: write_results(result, out, images=motif_images(result, "svg")),
        "new none": lambda out: write_results(result, out),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for name, fn in runs.items() if r % 2 == 0 else reversed(runs.items()):
                t0 = time.perf_counter()
                fn(Path(tmp) / f"{name.replace(' ', '_').strip('()')}_{r}")
                times[name].append(time.perf_counter() - t0)
    old = np.median(times["old (png)"])
    print(f"{'files':>10} {'s':>7} {'per motif':>10} {'vs old':>7}")
    for name, t in times.items():
        med = np.median(t)
        print(f"{name:>10} {med:>7.2f} {med / max(len(result.motifs), 1):>10.3f} {old / med:>6.1f}x")


if __name__ == "__main__":
    main()
