"""Saturation mutagenesis throughput: mutants scored per second, batched vs one mutant at a time.

    OMP_WAIT_POLICY=PASSIVE python bench/bench_variants.py [--model demo] [--threads 2] [--batch-sizes 4,32]

For random 100-bp and 500-bp sequences: all 3L mutants through
:func:`dnabert.variants.mutation_map` (batched, without and with the
attention change, at each batch size), and the baseline of one :func:`dnabert.inference.predict`
call per mutant (timed on the first ``--baseline`` mutants), in this process.
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
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


def one_at_a_time(lm, seq: str, edits: list) -> None:
    """The baseline: one predict call per mutant."""
    for e in edits:
        predict(lm, [apply_edit(seq, e)], attention=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-sizes", default="4,32", help="comma-separated batch sizes to time (default 4,32)")
    parser.add_argument("--baseline", type=int, default=60, help="mutants scored one at a time for the baseline")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    lm = load_model(args.model)
    rng = np.random.default_rng(0)
    print(f"model {lm.path} (k={lm.k}), torch threads {args.threads}")
    print(
        f"{'length':>6} {'mutants':>7} {'batch':>5} {'batched/s':>10} {'+attention/s':>13} {'one-by-one/s':>13} {'speed-up':>9}"
    )
    for length in (100, 500):
        seq = "".join(rng.choice(list("ACGT"), size=length))
        edits = saturation_edits(seq)
        mutation_map(lm, seq[:50])  # warm-up
        few = edits[: args.baseline]
        single = rate(len(few), partial(one_at_a_time, lm, seq, few))
        for bs in map(int, args.batch_sizes.split(",")):
            batched = rate(len(edits), partial(mutation_map, lm, seq, batch_size=bs))
            with_attention = rate(len(edits), partial(mutation_map, lm, seq, attention=True, batch_size=bs))
            print(
                f"{length:>6} {len(edits):>7} {bs:>5} {batched:>10.0f} {with_attention:>13.0f} {single:>13.0f}"
                f" {batched / single:>8.1f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
