"""Fine-tuning recipes: ``default`` (one run, settings by model size) and ``auto`` (a small sweep on dev).

``auto`` tries a few candidates within a time budget, in order (cheapest and
most likely first), each on the same train / dev split and the same k-mer
baseline, and keeps the one with the best dev AUROC (ties: the earlier):

- with a start model: that model at its size's learning rate
  (:mod:`dnabert.training.schedules`) and at three times it; then new models from
  scratch (tiny, 2 x 128) at the start model's k and at k = 4;
- without one: new tiny models at k = 4 and 6 (or the given k), the first
  tiny one at a third of its learning rate, and a small one (4 x 256) at the
  first k (the slowest, last).

Candidates run one after another, each until early stopping (or its epochs)
ends it or the budget is spent: a candidate stopped by the budget keeps its
best dev evaluation so far, and the ones after it are listed as skipped.
(Equal shares of the budget were tried: every candidate was cut short and the
sweep lost to a single run with the size defaults; ``bench/bench_recipes.py``.) The table of candidates is written
as ``sweep.tsv`` beside the chosen model and under ``recipe`` in its
``metrics.json``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
from transformers import TrainerCallback

from dnabert.training.baseline import fit_baseline
from dnabert.errors import InputError
from dnabert.training.finetune import FinetuneResult, FinetuneSettings, finetune
from dnabert.training.schedules import n_parameters, schedule_for
from dnabert.training.tables import LabeledData, class_names, hold_out, label_ids
from dnabert.training.policy import MODEL_PRESETS, ModelShape

RECIPES = ("default", "auto")  # default (the command line's and the Models page's): one run
AUTO_KS = (4, 6)  # k of new models the auto recipe tries when none is given


@dataclass
class Candidate:
    """One configuration of the auto sweep: a start folder (or None: a new model of ``shape`` and ``k``) and a learning rate."""

    name: str
    model: str | Path | None
    k: int | None
    shape: ModelShape | None
    learning_rate: float


def _size_lr(model: str | Path | None, k: int | None, shape: ModelShape | None, n_labels: int) -> float:
    from transformers import BertForSequenceClassification

    if model is not None:
        from dnabert.loading.checkpoint import read_config

        config, _ = read_config(model)
        config.num_labels = n_labels
    else:
        config = shape.config(k, num_labels=n_labels)
    return schedule_for(n_parameters(BertForSequenceClassification(config))).learning_rate


def auto_candidates(model: str | Path | None, k: int | None, n_labels: int) -> list[Candidate]:
    """The candidates of the auto recipe, in the order they are tried (module docstring)."""
    tiny, small = MODEL_PRESETS["tiny"], MODEL_PRESETS["small"]
    cands = []
    if model is not None:
        from dnabert.loading.checkpoint import read_config

        k_model = read_config(model)[1]
        lr = _size_lr(model, None, None, n_labels)
        cands += [
            Candidate(f"start model, lr {lr:g}", model, None, None, lr),
            Candidate(f"start model, lr {3 * lr:g}", model, None, None, 3 * lr),
        ]
        for kk in dict.fromkeys((k_model, 4)):
            cands.append(Candidate(f"new tiny k={kk}", None, kk, tiny, _size_lr(None, kk, tiny, n_labels)))
        return cands
    ks = (k,) if k else AUTO_KS
    for kk in ks:
        cands.append(Candidate(f"new tiny k={kk}", None, kk, tiny, _size_lr(None, kk, tiny, n_labels)))
    lr = cands[0].learning_rate / 3
    cands.append(Candidate(f"new tiny k={ks[0]}, lr {lr:g}", None, ks[0], tiny, lr))
    cands.append(Candidate(f"new small k={ks[0]}", None, ks[0], small, _size_lr(None, ks[0], small, n_labels)))
    return cands


class StopAt(TrainerCallback):
    """Stop training at the first step after the wall-clock time ``deadline`` (``time.time()`` seconds)."""

    def __init__(self, deadline: float):
        self.deadline = deadline

    def on_step_end(self, args, state, control, **kwargs):
        if time.time() > self.deadline:
            control.should_training_stop = True


def auto_finetune(
    train: LabeledData,
    out: str | Path,
    dev: LabeledData | None = None,
    test: LabeledData | None = None,
    model: str | Path | None = None,
    k: int | None = None,
    settings: FinetuneSettings | None = None,
    budget_minutes: float = 10.0,
    overwrite: bool = False,
    callbacks: list | None = None,
    log=print,
    candidates: list[Candidate] | None = None,
) -> tuple[FinetuneResult, pd.DataFrame]:
    """Run the auto sweep and save the best candidate (by dev AUROC) to ``out``.

    Parameters
    ----------
    train, dev, test, model, k, settings, overwrite, callbacks
        As for :func:`dnabert.training.finetune.finetune`; ``settings.learning_rate``
        is set per candidate, other settings apply to all. Without ``dev`` a
        stratified ``settings.dev_fraction`` of ``train`` is held out once.
    budget_minutes : float
        Wall-clock budget for all candidates together.
    log : callable
        Called with one line per candidate.
    candidates : list of Candidate, optional
        Default: :func:`auto_candidates`.

    Returns
    -------
    (FinetuneResult, pandas.DataFrame)
        The chosen model's result (its path is ``out``) and the sweep table.
    """
    settings = settings or FinetuneSettings()
    out = Path(out)
    if out.exists() and not overwrite:
        raise InputError(f"output folder {out} exists; choose another or pass --overwrite")
    if model is not None:
        from dnabert.loading.checkpoint import read_config

        read_config(model)  # a bad folder is reported before any data work
    if budget_minutes <= 0:
        raise InputError(f"--budget-minutes must be positive, got {budget_minutes:g}")
    classes = class_names(train.labels)
    if len(classes) < 2:
        raise InputError(f"{train.name}: every row has the label {classes[0]!r}; a classifier needs at least two classes")
    test_given = test is not None
    train, dev, test, notes = hold_out(
        train, classes, dev, test, max(settings.dev_fraction, 0.1), settings.test_fraction, settings.seed
    )
    if dev is None:
        raise InputError(f"{train.name}: too small to hold out a dev set, which the auto recipe needs; use --recipe default")
    y_train, y_dev = label_ids(train, classes), label_ids(dev, classes)
    baseline = fit_baseline(train.seqs, y_train, dev.seqs, y_dev, seed=settings.seed)
    candidates = candidates or auto_candidates(model, k, len(classes))
    metric = settings.metric_for_best
    rows, results = [], {}
    t_start = time.time()
    with tempfile.TemporaryDirectory(prefix="dnabert-auto-") as work:
        for i, cand in enumerate(candidates):
            left = budget_minutes * 60 - (time.time() - t_start)
            row = {"candidate": cand.name, "init": str(cand.model) if cand.model is not None else "random", "k": cand.k,
                   "layers": cand.shape.layers if cand.shape else None, "hidden": cand.shape.hidden if cand.shape else None,
                   "learning_rate": cand.learning_rate}  # fmt: skip
            if left <= 0:
                rows.append({**row, "status": "skipped (budget spent)"})
                continue
            deadline = time.time() + left
            res = finetune(
                train, Path(work) / f"c{i}", dev=dev, test=test, model=cand.model, k=cand.k, shape=cand.shape,
                settings=replace(settings, learning_rate=cand.learning_rate), callbacks=[*(callbacks or []), StopAt(deadline)],
                baseline=baseline,
            )  # fmt: skip
            results[i] = res
            rows.append({**row, "k": res.record["k"], "status": "ran", "steps": res.record["steps"],
                         "seconds": res.record["train_seconds"], f"dev_{metric}": res.dev_metrics.get(metric),
                         "dev_mcc": res.dev_metrics.get("mcc")})  # fmt: skip
            log(
                f"auto: {cand.name}: dev {metric} {res.dev_metrics.get(metric, float('nan')):.4f} ({res.record['train_seconds']:.0f} s)"
            )
        sweep = pd.DataFrame(rows)
        best = max(results, key=lambda i: (results[i].dev_metrics.get(metric, float("-inf")), -i))
        sweep["chosen"] = sweep.index == best  # one row per candidate, in order
        chosen = results[best]
        record = dict(chosen.record)
        record["recipe"] = {"name": "auto", "budget_minutes": budget_minutes, "seconds": round(time.time() - t_start, 1),
                            "chosen": candidates[best].name, "sweep": json.loads(sweep.to_json(orient="records"))}  # fmt: skip
        record["notes"] = notes + record["notes"]
        record["test_split"] = "given" if test_given else ("held out" if test is not None else None)
        folder = chosen.path
        (folder / "metrics.json").write_text(json.dumps(record, indent=2) + "\n")
        sweep.to_csv(folder / "sweep.tsv", sep="\t", index=False, float_format="%.6g")
        from dnabert.outputs import atomic_path

        with atomic_path(out) as tmp:
            shutil.move(str(folder), tmp)
    return replace(chosen, path=out, record=record), sweep
