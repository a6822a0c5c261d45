"""Training-side throughput: synthetic data, PWM scan, span-masking collator, fine-tune and MLM steps.

Usage::

    python bench/bench_training.py            # demo-sized model, ~1 minute on 2 CPU threads
    python bench/bench_training.py --quick    # seconds
    python bench/bench_training.py --json out.json --threads 2 --device cpu

Prints one line per measurement (and optionally writes them as JSON). The
fine-tune and MLM figures are optimizer steps of the demo model's shape
(2 layers, hidden 128, k = 6) on 100-bp sequences, after 3 warm-up steps.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch


def timed(fn, repeat: int = 1) -> float:
    t = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t) / repeat


def bench(quick: bool, threads: int, device: str) -> list[dict]:
    from transformers import BertForMaskedLM, BertForSequenceClassification

    from dnabert_demo import DEFAULT_MOTIFS
    from dnabert_demo.synthetic import make_planted_dataset, motif_ppm, scan_best, site_pwm
    from dnabert.training.policy import ModelShape, TokenDataset, pad_collate
    from dnabert.training.pretrain import MaskedOnlyBertForMaskedLM, SpanMaskingCollator

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    rows = []
    n = 1000 if quick else 10000
    t = timed(lambda: make_planted_dataset(n // 2, n // 2, seed=0))
    rows.append({"what": "make_planted_dataset (100 bp)", "n": n, "seconds": t, "per_s": n / t, "unit": "seq/s"})
    data = make_planted_dataset(n // 2, n // 2, seed=0)
    pwms = [site_pwm(motif_ppm(m)) for m in DEFAULT_MOTIFS]
    t = timed(lambda: scan_best(data.seqs, pwms))
    rows.append({"what": "PWM scan, 2 motifs x 2 strands", "n": n, "seconds": t, "per_s": n / t, "unit": "seq/s"})

    k, batch = 6, 32
    ds = TokenDataset(data.seqs, k, data.labels)
    items = [ds[i] for i in range(min(len(ds), 2048))]
    collator = SpanMaskingCollator(k, 0.15, seed=0)
    t = timed(lambda: [collator(items[i : i + batch]) for i in range(0, len(items), batch)])
    rows.append({"what": "span-masking collator", "n": len(items), "seconds": t, "per_s": len(items) / t, "unit": "seq/s"})

    shape = ModelShape()
    steps = 5 if quick else 30
    for name, cls, arch, make_batch in (
        ("fine-tune step", BertForSequenceClassification, "BertForSequenceClassification", pad_collate),
        ("MLM step, head on all positions", BertForMaskedLM, "BertForMaskedLM", collator),
        ("MLM step (pretrain: masked only)", MaskedOnlyBertForMaskedLM, "BertForMaskedLM", collator),
    ):
        model = cls(shape.config(k, num_labels=2 if arch.endswith("Classification") else None, architecture=arch)).to(device)
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        batches = [make_batch(items[i * batch : (i + 1) * batch]) for i in range(steps + 3)]

        def step(b):
            out = model(**{key: v.to(device) for key, v in b.items()})
            out.loss.backward()
            opt.step()
            opt.zero_grad()

        for b in batches[:3]:
            step(b)
        t = time.perf_counter()
        for b in batches[3:]:
            step(b)
        t = time.perf_counter() - t
        tokens = sum(int(b["attention_mask"].sum()) for b in batches[3:])
        rows.append({"what": f"{name} (2x128, b{batch})", "n": steps, "seconds": t, "per_s": tokens / t, "unit": "tokens/s"})
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", help="also write the rows to this JSON file")
    args = p.parse_args()
    rows = bench(args.quick, args.threads, args.device)
    for r in rows:
        print(f"{r['what']:<50} {r['n']:>6}  {r['seconds']:8.3f} s  {r['per_s']:12.0f} {r['unit']}")
    if args.json:
        Path(args.json).write_text(json.dumps({"threads": args.threads, "device": args.device, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
