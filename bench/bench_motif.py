"""Benchmark of the motif pipeline (``motif.pipeline.find_motifs``) with precomputed attention.

Usage::

    python bench/bench_motif.py                    # 10k+10k and 100k+100k x 100 bp
    python bench/bench_motif.py --sizes 10000      # one size
    python bench/bench_motif.py --rules            # the measurement behind the default region rule

Data: planted NRF1 / CTCF / REST sites with synthetic sharp attention
(:func:`dnabert_demo.synthetic.planted_with_attention`), generated once and cached under /tmp. Each
size runs in a fresh child process, so its peak memory (``ru_maxrss``) is
that of one run: the loaded data plus the pipeline. JASPAR loading and the
TOMTOM JIT are warmed before timing.

Baselines, in the same process on the same data:

* ``regions`` mode (the original DNABERT analysis: exact region strings,
  the original region rule, Aho-Corasick counting, greedy merge);
* naive counting: ``sum(word in s for s in seqs)`` per candidate over all
  sequences, timed on a sample of 200 k-mer candidates and extrapolated to
  all candidates (the cost of counting without an index).

``--rules`` prints, for each attention regime and region rule: regions
found, the share of positives with a region on the planted site (recall),
the share of region bases on a site (precision), and the JASPAR families of
the motifs found. Regimes: synthetic sharp and diffuse attention, and the
demo model's real attention (``last``, ``mean``, ``rollout``) on its example
data when the demo model (``dnabert/demo_model``) exists.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script in the child process

from dnabert_demo.synthetic import planted_with_attention
from motif.jaspar import load_jaspar
from motif.pipeline import MotifParams, find_motifs

NAIVE_SAMPLE = 200
PLANTED = ("MA0506.3", "MA0139.2", "MA0138.3")  # NRF1, CTCF, REST


def planted(n: int, regime: str = "sharp", seed: int = 0):
    """n positives with one planted site each and synthetic attention, n uniform negatives."""
    data, scores = planted_with_attention(n, n, PLANTED, regime=regime, seed=seed)
    pos = np.flatnonzero(data.labels == 1)
    neg = np.flatnonzero(data.labels == 0)
    sites = data.sites.set_index("id").loc[[data.ids[i] for i in pos]]
    return [data.seqs[i] for i in pos], [data.seqs[i] for i in neg], scores, sites


def cache_path(n: int) -> Path:
    return Path(f"/tmp/bench_motif_{n}.npz")


def make_data(n: int) -> Path:
    """Generate (once) and cache n positives + n negatives of 100 bp with attention."""
    path = cache_path(n)
    if not path.exists():
        t0 = time.perf_counter()
        pos, neg, scores, _ = planted(n, seed=2024)
        np.savez(path, pos=np.array(pos), neg=np.array(neg), scores=np.stack(scores))
        print(f"generated {n}+{n} sequences in {time.perf_counter() - t0:.0f} s", flush=True)
    return path


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def naive_counting_seconds(words: list[str], seqs: list[str]) -> float:
    """Seconds to count all ``words`` with a Python loop, extrapolated from a sample."""
    sample = words[:: max(1, len(words) // NAIVE_SAMPLE)][:NAIVE_SAMPLE]
    t0 = time.perf_counter()
    for w in sample:
        sum(w in s for s in seqs)
    return (time.perf_counter() - t0) / len(sample) * len(words)


def child(n: int) -> None:
    """One size: the default run, then the baselines, in this process."""
    from memelite import tomtom

    with np.load(cache_path(n)) as z:
        pos, neg, scores = z["pos"].tolist(), z["neg"].tolist(), list(z["scores"])
    db = load_jaspar()
    tomtom([db.ppms[0]], list(db.ppms[:60]))  # JIT warm-up
    t0 = time.perf_counter()
    result = find_motifs(pos, scores, neg, MotifParams(), db)
    total = time.perf_counter() - t0
    peak = peak_mb()
    print(f"\n=== {n} + {n} sequences x 100 bp, kmers mode (default) ===")
    for stage, seconds in result.timings.items():
        print(f"  {stage:18s} {seconds:7.2f} s")
    print(f"  {'total':18s} {total:7.2f} s")
    print(f"  peak memory {peak:.0f} MB (whole process: data, libraries, TOMTOM scratch, pipeline)")
    top = result.matches[result.matches["rank"] == 1].set_index("motif")
    for m in result.motifs:
        print(
            f"  {m.id}: {m.consensus} {len(m.instances)} instances, q={m.q:.2g}, best {top.loc[m.id, 'target_id']} {top.loc[m.id, 'target_name']} q={top.loc[m.id, 'q']:.2g}"
        )
    counting = result.timings["enrichment"]
    naive = naive_counting_seconds(result.candidates["sequence"].tolist(), pos + neg)
    print(
        f"  naive Python-loop counting of the {len(result.candidates)} candidates (extrapolated from {NAIVE_SAMPLE}): {naive:.1f} s "
        f"= {naive / counting:.0f}x this run's whole enrichment stage (candidates, counting, tests)"
    )
    t0 = time.perf_counter()
    original = find_motifs(pos, scores, neg, MotifParams(mode="regions"), db)
    base = time.perf_counter() - t0
    families = sorted({top_id.split(".")[0] for top_id in original.matches.loc[original.matches["rank"] == 1, "target_id"]})
    print(
        f"  baseline regions mode (original rule, exact strings, greedy merge): {base:.2f} s = {base / total:.2f}x the default; "
        f"{len(original.candidates)} candidates, {int(original.candidates['kept'].sum())} kept, {len(original.motifs)} motifs "
        f"({', '.join(families) or 'none'})",
        flush=True,
    )


def region_stats(scores, seqs, starts, ends, rule):
    from motif.encoding import encode
    from motif.regions import find_regions

    r = find_regions(scores, encode(seqs), rule=rule)
    overlap = np.clip(np.minimum(ends[r.seq], r.end) - np.maximum(starts[r.seq], r.start), 0, None)
    hit = np.zeros(len(seqs), dtype=bool)
    hit[r.seq[overlap > 0]] = True
    return len(r), hit.mean(), overlap.sum() / max(int((r.end - r.start).sum()), 1)


def rules() -> None:
    """The region-rule measurement (see the module docstring)."""
    import pandas as pd

    db = load_jaspar()
    cases = []
    for regime in ("sharp", "diffuse"):
        cases.append((f"synthetic {regime}", *planted(1500, regime=regime, seed=1)))
    from dnabert.loading.checkpoint import DEMO_MODEL_DIR as demo

    if (demo / "config.json").exists():
        from dnabert.loading.checkpoint import load_model
        from dnabert.analysis.inference import predict
        from dnabert.options import ATTENTION_MODES
        from dnabert.sequences import read_sequences

        lm = load_model(str(demo))
        pos = read_sequences(demo / "example_positives.fa")
        neg = read_sequences(demo / "example_negatives.fa")
        sites = pd.read_csv(demo / "example_sites.tsv", sep="\t").set_index("id").loc[pos.ids]
        for mode in ATTENTION_MODES:
            scores = predict(lm, pos.seqs, 64, attention=mode).scores
            cases.append((f"demo model, {mode}", pos.seqs, neg.seqs, scores, sites))
    print(f"{'attention':22s} {'rule':9s} {'regions':>7s} {'recall':>7s} {'precision':>9s}  motifs (best JASPAR family, q<0.01)")
    for name, pos, neg, scores, sites in cases:
        starts, ends = sites["start"].to_numpy(), sites["end"].to_numpy()
        for rule in ("original", "zscore"):
            n, recall, precision = region_stats(scores, pos, starts, ends, rule)
            result = find_motifs(pos, scores, neg, MotifParams(rule=rule), db)
            top = result.matches[(result.matches["rank"] == 1) & (result.matches["q"] < 0.01)]
            found = ", ".join(f"{t} {nm}" for t, nm in zip(top["target_id"], top["target_name"])) or "none"
            print(f"{name:22s} {rule:9s} {n:7d} {recall:7.2f} {precision:9.2f}  {found}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="positives (= negatives) per run")
    parser.add_argument("--rules", action="store_true", help="measure the region rules instead")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
    elif args.rules:
        rules()
    else:
        for n in args.sizes:
            make_data(n)
            subprocess.run([sys.executable, __file__, "--child", str(n)], check=True)


if __name__ == "__main__":
    main()
