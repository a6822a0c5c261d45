"""Saturation mutagenesis throughput: mutants scored per second, batched vs one mutant at a time.

    OMP_WAIT_POLICY=PASSIVE python bench/bench_variants.py [--model demo] [--threads 2]

For random 100-bp and 500-bp sequences: all 3L mutants through
:func:`dnabert.variants.mutation_map` (batched, without and with the
attention change), and the baseline of one :func:`dnabert.inference.predict`
call per mutant (timed on the first ``--baseline`` mutants), in this process.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

from dnabert.checkpoint import load_model
from dnabert.inference import predict
from dnabert.variants import apply_edit, mutation_map, saturation_edits


def rate(n: int, fn) -> float:
    t0 = time.perf_counter()
    fn()
    return n / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--baseline", type=int, default=60, help="mutants scored one at a time for the baseline")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    lm = load_model(args.model)
    rng = np.random.default_rng(0)
    print(f"model {lm.path} (k={lm.k}), torch threads {args.threads}, batch size {args.batch_size}")
    print(f"{'length':>6} {'mutants':>7} {'batched/s':>10} {'+attention/s':>13} {'one-by-one/s':>13} {'speed-up':>9}")
    for length in (100, 500):
        seq = "".join(rng.choice(list("ACGT"), size=length))
        edits = saturation_edits(seq)
        mutation_map(lm, seq[:50])  # warm-up
        batched = rate(len(edits), lambda: mutation_map(lm, seq, batch_size=args.batch_size))
        with_attention = rate(len(edits), lambda: mutation_map(lm, seq, attention=True, batch_size=args.batch_size))
        few = edits[: args.baseline]
        single = rate(len(few), lambda: [predict(lm, [apply_edit(seq, e)], attention=None) for e in few])
        print(f"{length:>6} {len(edits):>7} {batched:>10.0f} {with_attention:>13.0f} {single:>13.0f} {batched / single:>8.1f}x")


if __name__ == "__main__":
    main()
