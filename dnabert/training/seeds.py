"""Several fine-tuning runs that differ only in their seed (``--seeds N``): metrics as mean +- sd, the best dev run kept.

Fine-tuning a DNA language model on a small table varies from seed to seed
as much as between methods; one run says little. :func:`finetune_seeds`
holds out the dev and test splits once (:func:`dnabert.training.tables.hold_out`,
seeded by ``settings.seed``), trains with seeds ``seed .. seed + N - 1`` on
them, keeps the run with the best dev ``metric_for_best`` (never chosen on
test) and records every run and the mean and sample standard deviation of
each metric under ``seeds`` in its ``metrics.json``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from dnabert.training.finetune import FinetuneResult, FinetuneSettings, finetune
from dnabert.outputs import atomic_path, check_output_folder
from dnabert.training.tables import LabeledData, class_names, hold_out


def mean_sd(values: list[float]) -> dict[str, float]:
    """Mean and sample standard deviation (ddof 1; 0 for one value) of ``values``, NaN ones left out."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=np.float64)
    if not len(v):
        return {"mean": None, "sd": None, "n": 0}
    return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else 0.0, "n": int(len(v))}


def finetune_seeds(
    train: LabeledData,
    out: str | Path,
    dev: LabeledData | None = None,
    test: LabeledData | None = None,
    settings: FinetuneSettings | None = None,
    overwrite: bool = False,
    log=print,
    **kwargs,
) -> FinetuneResult:
    """``settings.seeds`` runs of :func:`dnabert.training.finetune.finetune` on one split; the best dev run saved to ``out``.

    ``kwargs`` (model, k, shape, callbacks) go to every run. One seed is one
    plain :func:`~dnabert.training.finetune.finetune` call.
    """
    settings = settings or FinetuneSettings()
    settings.check()
    if settings.seeds == 1:
        return finetune(train, out, dev=dev, test=test, settings=settings, overwrite=overwrite, **kwargs)
    out = Path(out)
    check_output_folder(out, overwrite)
    test_given = test is not None
    train, dev, test, notes = hold_out(
        train, class_names(train.labels), dev, test, settings.dev_fraction, settings.test_fraction, settings.seed
    )
    metric = settings.metric_for_best
    runs: list[FinetuneResult] = []
    with tempfile.TemporaryDirectory(prefix="dnabert-seeds-") as work:
        for i in range(settings.seeds):
            seed = settings.seed + i
            res = finetune(train, Path(work) / f"seed{seed}", dev=dev, test=test,
                           settings=replace(settings, seed=seed), **kwargs)  # fmt: skip
            runs.append(res)
            log(f"seed {seed}: dev {metric} {res.dev_metrics.get(metric, float('nan')):.4f}, test {metric} "
                f"{res.test_metrics.get(metric, float('nan')):.4f} ({res.train_seconds:.0f} s)")  # fmt: skip
        best = max(range(len(runs)), key=lambda i: (runs[i].dev_metrics.get(metric, float("-inf")), -i))
        chosen = runs[best]
        summary = {
            "seeds": [settings.seed + i for i in range(len(runs))],
            "kept": settings.seed + best,
            "kept_by": f"dev {metric}",
            **{split: {m: mean_sd([getattr(r, f"{split}_metrics").get(m) for r in runs]) for m in chosen.dev_metrics}
               for split in ("dev", "test")},
            "runs": [{"seed": settings.seed + i, "dev": r.dev_metrics, "test": r.test_metrics, "verdict": r.record.get("verdict")}
                     for i, r in enumerate(runs)],
        }  # fmt: skip
        from dnabert.training.metrics import json_ready

        record = json_ready({**chosen.record, "seeds": summary, "notes": notes + chosen.record["notes"],
                             "test_split": "given" if test_given else ("held out" if test is not None else None)})  # fmt: skip
        (chosen.path / "metrics.json").write_text(json.dumps(record, indent=2) + "\n")
        with atomic_path(out) as tmp:
            shutil.move(str(chosen.path), tmp)
    return replace(chosen, path=out, record=record)

