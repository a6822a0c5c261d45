"""Saturation mutagenesis throughput: mutants scored per second, batched vs one mutant at a time.

    OMP_WAIT_POLICY=PASSIVE python -m bench.bench_variants [--model demo|bert-base|PATH] [--threads 2] [--rounds 5]

For random 100-, 500- and 1000-bp sequences (1000 bp is two model windows), single-base
mutants spread along the sequence are scored by :func:`dnabert.analysis.variants.score_edits`
(batched: token-budget batches, fused attention, unchanged windows of long sequences
reused), and by the baseline of one :func:`dnabert.analysis.inference.predict` call for the wild
type and one per mutant; both without and with the attention change (``last``
aggregation). ``--model bert-base`` is a random BERT-base-sized DNABERT-6 (12 layers,
768 hidden; give it fewer mutants). The four runs are interleaved over ``--rounds``
rounds in this process; the table shows the median rate of each (per CPU second of this
process, so that other load on a shared machine counts less) and the ratio of the
medians, with the lowest and highest per-round ratio and the ratio of the wall-clock
medians.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

from bench.bench_inference import random_model
from dnabert.loading.checkpoint import load_model
from dnabert.analysis.inference import predict
from dnabert.analysis.variants import apply_edit, saturation_edits, score_edits


def rate(n: int, fn) -> tuple[float, float]:
    """Items per CPU second of this process and per wall-clock second."""
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return n / (time.process_time() - cpu), n / (time.perf_counter() - wall)


def one_at_a_time(lm, seq: str, edits: list, attention: str | None) -> None:
    """The baseline: one predict call for the wild type (its p and track, which the scores need), then one per mutant."""
    for s in [seq] + [apply_edit(seq, e) for e in edits]:
        predict(lm, [s], attention=attention)


def spread(edits: list, n: int) -> list:
    """n edits evenly spread along the sequence (all when there are fewer)."""
    return [edits[i] for i in np.unique(np.linspace(0, len(edits) - 1, min(n, len(edits))).astype(int))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo", help="a model folder or name, or bert-base (random, BERT-base-sized)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--lengths", default="100,500,1000", help="comma-separated sequence lengths (bp)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per length (medians are reported)")
    parser.add_argument("--batched", type=int, default=300, help="mutants scored batched per round")
    parser.add_argument("--baseline", type=int, default=40, help="mutants scored one at a time per round")
    parser.add_argument("--batch-size", type=int, default=32, help="most windows per forward pass")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    lm = random_model(12, 768, 12) if args.model == "bert-base" else load_model(args.model)
    rng = np.random.default_rng(0)
    print(f"model {lm.path} (k={lm.k}, window {lm.window} k-mers), torch threads {args.threads}, {args.rounds} rounds")
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print("mutants per CPU s, median over rounds; speed-up = batched / one at a time (lowest..highest per round; wall clock)")
    print(f"{'length':>6} {'attention':>9} {'batched/s':>10} {'one-by-one/s':>13} {'speed-up':>9} {'range':>14} {'wall':>6}")
    for length in map(int, args.lengths.split(",")):
        seq = "".join(rng.choice(list("ACGT"), size=length))
        edits = saturation_edits(seq)
        batched_edits, single_edits = spread(edits, args.batched), spread(edits, args.baseline)
        score_edits(lm, [seq], edits[:30], attention="last")  # warm-up (and the SDPA twin)
        one_at_a_time(lm, seq, edits[:5], None)
        runs = {}
        for r in range(args.rounds):
            for attention in (False, True):
                mode = "last" if attention else None
                batched = partial(score_edits, lm, [seq], batched_edits, attention=mode, batch_size=args.batch_size)
                single = partial(one_at_a_time, lm, seq, single_edits, mode)
                pair = [("batched", len(batched_edits), batched), ("single", len(single_edits), single)]
                for name, n, fn in pair if r % 2 == 0 else pair[::-1]:  # alternate which goes first
                    runs.setdefault((attention, name), []).append(rate(n, fn))
        for attention in (False, True):
            b, s = np.array(runs[attention, "batched"]), np.array(runs[attention, "single"])  # (rounds, [cpu, wall])
            ratios = b[:, 0] / s[:, 0]
            wall = np.median(b[:, 1]) / np.median(s[:, 1])
            print(
                f"{length:>6} {'yes' if attention else 'no':>9} {np.median(b[:, 0]):>10.3g} {np.median(s[:, 0]):>13.3g}"
                f" {np.median(b[:, 0]) / np.median(s[:, 0]):>8.2f}x {ratios.min():>6.2f}..{ratios.max():.2f}x {wall:>5.2f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
