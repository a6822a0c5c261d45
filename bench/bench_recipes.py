"""Fine-tuning recipes against the k-mer baseline on planted data (issue 14).

Usage::

    python bench/bench_recipes.py                         # 3000 sequences per task, auto budget 4 min, 2 threads
    python bench/bench_recipes.py --n 600 --budget 0.5    # a quick look

Two tasks of 100-bp sequences (:func:`dnabert_demo.synthetic.make_planted_dataset`,
CTCF and YY1 sites, split 0.8 / 0.1 / 0.1):

- ``composition``: negatives are human-like background, so k-mer counts alone
  separate the classes well;
- ``site``: negatives are dinucleotide-shuffled positives, so only the planted
  site (its order of bases) does.

Per task, in one process: the k-mer baseline, the old default (a new tiny
k = 6 model at lr 5e-5 for 3 epochs, the BERT-base setting), the default by
model size (lr 1e-3, 10 epochs, early stopping after 3 dev evaluations
without a better AUROC) and ``--recipe auto`` within the budget. Prints test
AUROC / MCC (MCC at the dev-chosen threshold), seconds, and seconds relative
to the baseline. The models are teaching-sized; the numbers say which recipe
wins on these tasks, not what DNABERT reaches on real data.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3000, help="sequences per task (half positives)")
    ap.add_argument("--budget", type=float, default=4.0, help="auto recipe budget in minutes")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    import torch

    from dnabert_demo.synthetic import make_planted_dataset, split_indices
    from dnabert.training.baseline import fit_baseline
    from dnabert.training.finetune import FinetuneSettings, finetune
    from dnabert.training.metrics import classification_metrics
    from dnabert.training.recipes import auto_finetune
    from dnabert.training.tables import LabeledData
    from dnabert.training.threshold import best_threshold
    from dnabert.training.policy import MODEL_PRESETS

    torch.set_num_threads(args.threads)
    common = {"threads": args.threads, "device": "cpu", "patience": 3, "log_every": 10**9}
    print(f"{'task':<12} {'run':<22} {'test AUROC':>10} {'test MCC':>9} {'dev AUROC':>9} {'seconds':>8} {'x baseline':>10}")
    for task, shuffled in (("composition", 0.0), ("site", 1.0)):
        data = make_planted_dataset(args.n // 2, args.n - args.n // 2, length=100, shuffled_fraction=shuffled, seed=11)
        parts = {}
        for name, idx in zip(("train", "dev", "test"), split_indices(len(data), (0.8, 0.1, 0.1), seed=11)):
            sub = data.subset(idx)
            parts[name] = LabeledData(sub.seqs, [str(y) for y in sub.labels], sub.ids, name)
        y = {
            n: data.subset(idx).labels
            for n, idx in zip(("train", "dev", "test"), split_indices(len(data), (0.8, 0.1, 0.1), seed=11))
        }

        t = time.perf_counter()
        base = fit_baseline(parts["train"].seqs, y["train"], parts["dev"].seqs, y["dev"])
        thr = best_threshold(y["dev"], base.predict_proba(parts["dev"].seqs)[:, 1])
        dev_m = classification_metrics(y["dev"], base.predict_proba(parts["dev"].seqs), thr)
        test_m = classification_metrics(y["test"], base.predict_proba(parts["test"].seqs), thr)
        t_base = time.perf_counter() - t
        rows = [(f"baseline (k={base.k})", test_m, dev_m, t_base)]
        with tempfile.TemporaryDirectory() as work:
            for name, settings in (
                ("old default (5e-5, 3ep)", FinetuneSettings(learning_rate=5e-5, epochs=3, **common)),
                ("default by size", FinetuneSettings(**common)),
            ):
                t = time.perf_counter()
                res = finetune(parts["train"], Path(work) / name.split()[0], dev=parts["dev"], test=parts["test"], k=6,
                               shape=MODEL_PRESETS["tiny"], settings=settings, baseline=base)  # fmt: skip
                rows.append((name, res.test_metrics, res.dev_metrics, time.perf_counter() - t))
            t = time.perf_counter()
            res, sweep = auto_finetune(parts["train"], Path(work) / "auto", dev=parts["dev"], test=parts["test"],
                                       settings=FinetuneSettings(**common), budget_minutes=args.budget, log=lambda _: None)  # fmt: skip
            rows.append((f"auto ({res.record['recipe']['chosen']})", res.test_metrics, res.dev_metrics, time.perf_counter() - t))
        for name, test_m, dev_m, sec in rows:
            print(
                f"{task:<12} {name:<22} {test_m['auroc']:>10.4f} {test_m['mcc']:>9.4f} {dev_m['auroc']:>9.4f} {sec:>8.1f} {sec / t_base:>10.1f}"
            )
        print(sweep.drop(columns=["init"]).to_string(index=False), flush=True)


if __name__ == "__main__":
    main()
