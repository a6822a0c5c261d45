"""Benchmark of the one-motif-per-factor stage (``motif.redundancy``) inside ``find_motifs``.

Usage::

    python -m bench.bench_redundancy               # 10k + 10k
    python -m bench.bench_redundancy --n 3000

Data (:mod:`dnabert_demo.synthetic`: ``planted_consensus``, ``planted_with_attention``): the
issue-19 set (one planted CCGCGNGGNGGCAG per positive, 70% of peaks on the
site, 30-bp decoy stretches), three planted JASPAR factors (NRF1, CTCF,
REST) with 70% of peaks on the site, and two factors sharing a core (YY1
MA0095.4 and ZFP42 MA1651.2: YY1's CAAAATGG is ZFP42's first 8 bp, which the
assembly lumps into one motif and the stage splits) with 90% of peaks on the
site, and YY2 (MA0748.3) with ZFP42 (shared ATGGC; YY2 sites with a mismatch
YY2's matrix misses seed weak 7-bp variants, which the stage splits off ZFP42
and joins to YY2), 90% of peaks on the site. For each, the default run and the
baseline without the stage (``remove_redundant=False``) alternate
``--repeats`` times in this process; TOMTOM is compiled and JASPAR loaded
before timing. Prints motifs before / after (consensus, instances), what was
merged and dropped, the stage's own time and the whole run's time ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time

from motif.jaspar import load_jaspar
from motif.pipeline import MotifParams, find_motifs


def run(name: str, pos, neg, scores, repeats: int) -> None:
    times = {False: [], True: []}
    stage = []
    results = {}
    for _ in range(repeats):
        for on in (False, True):  # interleaved: baseline, then with the stage
            t0 = time.perf_counter()
            results[on] = find_motifs(pos, scores, neg, MotifParams(remove_redundant=on))
            times[on].append(time.perf_counter() - t0)
        stage.append(results[True].timings["redundancy"])
    before, after = results[False], results[True]
    base, new = statistics.median(times[False]), statistics.median(times[True])
    print(f"\n=== {name}: {len(pos)} + {len(neg)} sequences ===")
    print(f"  before: {len(before.motifs)} motifs: " + ", ".join(f"{m.consensus} ({len(m.instances)})" for m in before.motifs))
    print(f"  after:  {len(after.motifs)} motifs: " + ", ".join(f"{m.consensus} ({len(m.instances)})" for m in after.motifs))
    for m in after.motifs:
        if m.members:
            print(
                f"    {m.id} merged from "
                + ", ".join(f"{x.motif.consensus} (strand {x.orientation}, offset {x.offset})" for x in m.members)
            )
    for s in after.splits:
        print(f"    split: {s.note}")
    for d in after.dropped:
        print(f"    dropped {d.motif.consensus}: {d.reason}")
    print(
        f"  redundancy stage {statistics.median(stage):.2f} s (median of {repeats}); whole run {new:.2f} s vs {base:.2f} s "
        f"without the stage = {new / base:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="positives (= negatives)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from memelite import tomtom

    from dnabert_demo.synthetic import planted_consensus, planted_with_attention

    db = load_jaspar()
    tomtom([db.ppms[0]], list(db.ppms[:60]))  # JIT warm-up
    pos, neg, scores, _ = planted_consensus(args.n)
    run("issue 19 set (CCGCGNGGNGGCAG, decoys)", pos, neg, scores, args.repeats)
    data, scores = planted_with_attention(args.n, args.n, ("MA0506.3", "MA0139.2", "MA0138.3"), hit_rate=0.7, seed=2)
    pos = [s for s, y in zip(data.seqs, data.labels) if y == 1]
    neg = [s for s, y in zip(data.seqs, data.labels) if y == 0]
    run("NRF1 + CTCF + REST, 70% of peaks on the site", pos, neg, scores, args.repeats)
    data, scores = planted_with_attention(args.n, args.n, ("MA0095.4", "MA1651.2"), hit_rate=0.9, seed=5)
    pos = [s for s, y in zip(data.seqs, data.labels) if y == 1]
    neg = [s for s, y in zip(data.seqs, data.labels) if y == 0]
    run("YY1 + ZFP42 (shared core CAAAATGG), 90% of peaks on the site", pos, neg, scores, args.repeats)
    data, scores = planted_with_attention(args.n, args.n, ("MA0748.3", "MA1651.2"), hit_rate=0.9, seed=5)
    pos = [s for s, y in zip(data.seqs, data.labels) if y == 1]
    neg = [s for s, y in zip(data.seqs, data.labels) if y == 0]
    run("YY2 + ZFP42 (shared ATGGC), 90% of peaks on the site", pos, neg, scores, args.repeats)


if __name__ == "__main__":
    main()
