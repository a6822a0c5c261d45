"""Known-motif scan of 20,000 x 100 bp positives (+ as many negatives) against JASPAR 2024 CORE vertebrates.

The issue's target: the whole of :func:`motif.known.known_motif_attention`
(FIMO sites of 879 matrices in both sets, enrichment, attention at sites vs
flanks) in under a minute on 2 cores. Baseline in the same process: the FIMO
scans alone (``memelite.fimo`` on the same concatenated one-hot arrays), the
floor of any implementation that scans with FIMO. Runs are interleaved; the
best of ``--repeats`` is reported.

Also: building the embedding-map figure (WebGL scatter) of 20,000 points and its JSON size.

Run: ``python -m bench.bench_known [--n 20000] [--repeats 2]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from dnabert_demo.synthetic import make_planted_dataset
from motif.encoding import encode
from motif.jaspar import load_jaspar
from motif.known import fimo_sites, known_motif_attention
from viz.maps import embedding_map


def planted(n: int, seed: int = 0) -> tuple[list[str], list[np.ndarray], list[str]]:
    data = make_planted_dataset(n, n, seed=seed)
    pos = [s for s, y in zip(data.seqs, data.labels) if y]
    neg = [s for s, y in zip(data.seqs, data.labels) if not y]
    ids = [i for i, y in zip(data.ids, data.labels) if y]
    rng = np.random.default_rng(seed)
    scores = []
    by_id = data.sites.groupby("id")
    for rid, seq in zip(ids, pos):
        track = rng.random(len(seq)) * 0.2
        for r in by_id.get_group(rid).itertuples():
            track[r.start : r.end] += 1.0
        scores.append(track / np.linalg.norm(track))
    return pos, scores, neg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="positives (and negatives), 100 bp each")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    db = load_jaspar()
    pos, scores, neg = planted(args.n)
    print(f"{len(pos)} positives + {len(neg)} negatives x 100 bp, {len(db)} matrices ({db.name})")
    known_motif_attention(pos[:50], scores[:50], neg[:50], db)  # compile / warm numba caches
    full, floor = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        result = known_motif_attention(pos, scores, neg, db)
        full.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        fimo_sites(db, encode(pos))
        fimo_sites(db, encode(neg))
        floor.append(time.perf_counter() - t0)
    top = result.table.head(3)
    print(f"known_motif_attention: {min(full):.1f} s (target < 60 s); top by enrichment: {', '.join(top['name'])}")
    print(f"FIMO scans alone:      {min(floor):.1f} s; ratio full / scans = {min(full) / min(floor):.2f}")
    print(f"sites found: {len(result.sites)}")

    rng = np.random.default_rng(0)
    xy = rng.normal(size=(args.n, 2))
    t0 = time.perf_counter()
    fig = embedding_map(xy, rng.random(args.n), [f"s{i}" for i in range(args.n)], "P(positive)")
    build = time.perf_counter() - t0
    size = len(fig.to_json())
    print(f"embedding map of {args.n} points: built in {build:.2f} s, JSON {size / 2**20:.1f} MB (Scattergl)")


if __name__ == "__main__":
    main()
