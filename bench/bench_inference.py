"""Throughput of `predict` with and without per-nucleotide attention.

Models: a BERT-base-sized random DNABERT-6 (12 layers, 768 hidden, 12 heads,
vocab 4101) and the demo-sized model (the shipped demo if present, else a
random one of its size). Inputs: 100-bp and 500-bp random sequences.
Baseline in the same process, interleaved with the runs it is compared with
(``--rounds``, medians): attention taken the plain transformers way,
``output_attentions=True`` (all layers x heads x T x T kept), then the same
per-nucleotide reduction.

Run: ``python -m bench.bench_inference [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from transformers import BertForSequenceClassification

from dnabert.loading.checkpoint import DEMO_MODEL_DIR, LoadedModel, load_model
from dnabert.analysis.inference import kmer_to_nucleotide, l2_normalize, predict
from dnabert.families.kmer import encode_batch
from dnabert.training.policy import ModelShape


def random_model(layers: int, hidden: int, heads: int) -> LoadedModel:
    config = ModelShape(layers=layers, hidden=hidden, heads=heads, intermediate=4 * hidden).config(6, num_labels=2)
    config._attn_implementation = "eager"
    torch.manual_seed(0)
    return LoadedModel(model=BertForSequenceClassification(config).eval(), k=6, labels=["0", "1"], path=Path("random"))


@torch.inference_mode()
def baseline_all_attentions(lm: LoadedModel, seqs: list[str], batch_size: int) -> list[np.ndarray]:
    """The plain way: output_attentions=True for every layer, then reduce."""
    tracks = []
    for b in range(0, len(seqs), batch_size):
        chunk = seqs[b : b + batch_size]
        ids, mask = encode_batch(chunk, lm.k)
        out = lm.model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), output_attentions=True)
        cls = out.attentions[-1][:, :, 0, :].sum(dim=1).numpy()
        for row, s in enumerate(chunk):
            tracks.append(l2_normalize(kmer_to_nucleotide(cls[row, 1 : len(s) - lm.k + 2], lm.k)))
    return tracks


def timed(fn, repeats: int = 3) -> float:
    """Best of ``repeats`` wall-clock runs (the machine is shared: the minimum is the least noisy)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer sequences (smoke run)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians are shown)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    models = {"bert-base (12x768)": random_model(12, 768, 12)}
    if (DEMO_MODEL_DIR / "config.json").is_file():
        models["demo (shipped)"] = load_model("demo")
    else:
        models["demo-size random (2x128)"] = random_model(2, 128, 4)
    print(f"torch threads: {torch.get_num_threads()}")
    print(
        f"{'model':26s} {'len':>4s} {'n':>5s} {'no attn seq/s':>14s} {'attn seq/s':>11s} {'ratio':>6s} {'baseline seq/s':>15s} {'vs baseline':>11s}"
    )
    results = []
    for name, lm in models.items():
        big = lm.model.config.num_hidden_layers >= 12
        for length in (100, 500):
            n = (16 if length == 100 else 4) if args.quick else (64 if length == 100 else 16)
            n = n if big else n * 8
            seqs = ["".join(rng.choice(list("ACGT"), length)) for _ in range(n)]
            predict(lm, seqs[:2], batch_size=16, attention="last")  # warm-up
            runs = {
                "off": lambda: predict(lm, seqs, batch_size=16, attention=None),
                "on": lambda: predict(lm, seqs, batch_size=16, attention="last"),
                "base": lambda: baseline_all_attentions(lm, seqs, 16),
            }
            times = {key: [] for key in runs}
            for r in range(args.rounds):  # the order rotates, so machine noise hits every run alike
                for key in list(runs)[r % 3 :] + list(runs)[: r % 3]:
                    times[key].append(timed(runs[key]))
            t_off, t_on, t_base = (float(np.median(times[key])) for key in runs)
            row = dict(model=name, length=length, n=n, off=n / t_off, on=n / t_on, ratio=t_on / t_off, base=n / t_base)
            results.append(row)
            print(
                f"{name:26s} {length:4d} {n:5d} {row['off']:14.1f} {row['on']:11.1f} {row['ratio']:6.2f} {row['base']:15.1f} {t_base / t_on:10.2f}x"
            )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
