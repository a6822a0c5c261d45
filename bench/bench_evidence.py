"""Evidence throughput: integrated gradients and ISM against a plain forward pass, sequences per second and ratios.

    OMP_WAIT_POLICY=PASSIVE python -m bench.bench_evidence [--model demo] [--n 16] [--length 100] [--rounds 3]

On ``--n`` random sequences of ``--length`` bp, each round times, interleaved in this
process: the plain forward pass (:func:`dnabert.analysis.inference.predict`, no attention),
integrated gradients (:func:`dnabert.analysis.evidence.attribution_evidence`,
:data:`dnabert.options.IG_STEPS` path points: a forward and a backward pass of the
path batch per sequence) and ISM magnitude (:func:`dnabert.analysis.evidence.ism_evidence`,
3 mutants per base, batched as ``mutate``). Rates are per CPU second of this process
(other load on a shared machine counts less); the table shows the median over rounds
and the ratio of each to the forward pass (lowest..highest per round).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

from dnabert.loading.checkpoint import load_model
from dnabert.analysis.evidence import attribution_evidence, ism_evidence
from dnabert.analysis.inference import predict
from dnabert.options import IG_STEPS


def cpu_rate(n: int, fn) -> float:
    """Sequences per CPU second of this process."""
    t = time.process_time()
    fn()
    return n / (time.process_time() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n", type=int, default=16, help="sequences per round")
    parser.add_argument("--length", type=int, default=100, help="bp")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    lm = load_model(args.model)
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), size=args.length)) for _ in range(args.n)]
    print(f"model {lm.path} ({lm.family}), {args.n} x {args.length} bp, torch threads {args.threads}, {args.rounds} rounds")
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    runs = {
        "forward": lambda: predict(lm, seqs, attention=None),
        f"integrated gradients ({IG_STEPS} steps)": lambda: attribution_evidence(lm, seqs),
        "ISM magnitude": lambda: ism_evidence(lm, seqs),
    }
    for fn in runs.values():  # warm-up
        fn()
    rates = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, fn in runs.items():
            rates[name].append(cpu_rate(len(seqs), fn))
    base = np.array(rates["forward"])
    print(f"{'run':>32} {'seqs/CPU s':>11} {'vs forward':>11} {'range':>16}")
    for name, r in rates.items():
        ratio = np.array(r) / base
        print(f"{name:>32} {np.median(r):11.2f} {np.median(r) / np.median(base):10.4f}x {ratio.min():7.4f}..{ratio.max():.4f}")


if __name__ == "__main__":
    main()
