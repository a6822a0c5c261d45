"""Cause check (:mod:`motif.cause`) of 10 motifs on 1000 x 100 bp sequences with the demo model.

The issue's target: under 60 s on 2 CPU cores, with the default parameters
(at most ``cause_sequences`` = 500 backgrounds and 500 positives with a site
per motif). The data are 1000 planted positives (CTCF / YY1, the demo's
training distribution) and 1000 negatives; the motifs are 10 JASPAR 2024
matrices (CTCF and YY1, which the demo model uses, and 8 it never saw).
Baseline in the same process: a plain prediction (:func:`dnabert.analysis.inference.predict`,
no attention) of the 1000 positives. Runs are interleaved; the best of
``--repeats`` is reported. The demo model is a teaching model.

Run: ``python -m bench.bench_cause [--n 1000] [--repeats 2]``.
"""

from __future__ import annotations

import argparse
import time

import torch

from dnabert_demo.synthetic import make_planted_dataset
from dnabert.loading.checkpoint import load_model
from dnabert.analysis.inference import predict
from motif.cause import cause_check, model_predictor
from motif.jaspar import jaspar_matrix
from motif.params import MotifParams

MOTIFS = ("MA0139.2", "MA0095.2", "MA0035.5", "MA0079.5", "MA0506.3", "MA0112.4", "MA0018.5", "MA0107.1", "MA0114.5", "MA0140.3")
TARGET_S = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="positives (and negatives), 100 bp each")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    lm = load_model("demo")
    data = make_planted_dataset(args.n, args.n, length=100, motifs=("MA0139.2", "MA0095.2"), seed=7)
    pos = [s for s, y in zip(data.seqs, data.labels) if y]
    neg = [s for s, y in zip(data.seqs, data.labels) if not y]
    found = [jaspar_matrix(m) for m in MOTIFS]
    names, ppms = [n for n, _ in found], [p for _, p in found]
    params = MotifParams(cause_budget=1e6)  # no budget: time all 10 motifs
    print(f"{len(pos)} positives + {len(neg)} negatives x 100 bp, {len(MOTIFS)} motifs, {torch.get_num_threads()} threads")
    predictor = model_predictor(lm)
    predict(lm, pos[:64], attention=None)  # warm up
    check, plain = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        result = cause_check(predictor, list(MOTIFS), names, ppms, pos, neg, params)
        check.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        predict(lm, pos, 64, attention=None)
        plain.append(time.perf_counter() - t0)
    n_predicted = sum(len(d) * 2 for d in result.differences.values())
    best, base = min(check), min(plain)
    print(result.table[["name", "insertion_effect", "insertion_q", "ablation_effect", "ablation_q", "verdict"]].to_string())
    print(f"cause check: {best:.1f} s ({n_predicted} sequences predicted); target {TARGET_S:.0f} s: "
          f"{'met' if best < TARGET_S else 'MISSED'} ({best / TARGET_S:.2f} of it)")  # fmt: skip
    print(f"plain predict of the {len(pos)} positives: {base:.2f} s; cause check / plain predict = {best / base:.1f}x")


if __name__ == "__main__":
    main()
