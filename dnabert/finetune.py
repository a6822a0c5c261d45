"""Fine-tuning DNABERT (any family) for sequence classification.

Training (:func:`finetune`): ``BertForSequenceClassification`` from a
DNABERT-1 checkpoint folder (a pre-trained MLM folder gets a fresh head) or from a new
config (``model=None``); a DNABERT-2 or Nucleotide Transformer folder (or hub id) gets
its family's classifier (:mod:`dnabert.family_finetune`: loss, token rows, saved folder
in the release's layout); Hugging Face Trainer (the policy of
:func:`dnabert.training.training_arguments`), dropout on the head, evaluation
on the dev set every epoch and the best epoch (by ``metric_for_best``) kept.
Trainer checkpoints go to a temporary folder; the final model is written with
:func:`dnabert.checkpoint.save_model`, under a temporary name renamed when
complete, so an interrupted run never leaves a half-written model. Dev and
test metrics (:mod:`dnabert.metrics`) come from :func:`dnabert.inference.predict`.
Tables: :mod:`dnabert.tables`.

Beside the model, ``metrics.json`` holds the k-mer baseline
(:mod:`dnabert.baseline`) on the same split and whether the model beat it,
the dev-chosen decision threshold of a two-class model
(:mod:`dnabert.threshold`; threshold-dependent metrics use it, the argmax ones
are under ``at_0.5``), and the split checks (:mod:`dnabert.datachecks`);
``curves.tsv`` holds the training curves (:mod:`dnabert.curves`). Learning
rate, epochs and warm-up left as None follow the model size
(:mod:`dnabert.schedules`).
"""

from __future__ import annotations

import json
import math
import tempfile
import warnings
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np
import torch

from dnabert.baseline import fit_baseline, lost_to_baseline_note
from dnabert.curves import training_curves
from dnabert.datachecks import check_split
from dnabert.errors import InputError
from dnabert.families.loading import DNABERT1
from dnabert.metrics import classification_metrics, json_ready, trainer_metrics
from dnabert.outputs import atomic_paths, check_output_folder
from dnabert.schedules import n_parameters, schedule_for
from dnabert.strands import predict_probs, rc_augment
from dnabert.tables import LabeledData, check_lengths, class_names, label_ids, stratified_split
from dnabert.threshold import CONFIG_KEY as THRESHOLD_KEY
from dnabert.threshold import best_threshold
from dnabert.training import ModelShape, TokenDataset, pad_collate, training_arguments


@dataclass
class FinetuneSettings:
    """Optimisation settings (AdamW, linear warm-up then linear decay)."""

    epochs: float | None = None  # None: by model size (dnabert.schedules)
    batch_size: int = 32
    learning_rate: float | None = None  # None: by model size
    warmup: float | None = None  # fraction of the steps; None: by model size
    weight_decay: float = 0.01
    head_dropout: float = 0.1
    max_grad_norm: float = 1.0
    eval_batch_size: int = 128
    metric_for_best: str = "auroc"
    seed: int = 42
    threads: int | None = None
    device: str | None = None  # None: Trainer's choice (GPU when present)
    log_every: int = 50
    eval_every: int | None = None  # evaluate / keep checkpoints every this many steps (None: every epoch)
    patience: int | None = None  # early stopping: evaluations without improvement of metric_for_best (None: off; CLI default 3)
    dev_fraction: float = 0.1  # without a dev set: stratified share of the training set held out as dev (0: none)
    mixed_precision: bool = True  # bf16 / fp16 on a CUDA GPU; ignored on CPU
    rc_augment: bool = False  # add the reverse complement of every training sequence (dnabert.strands)


@dataclass
class FinetuneResult:
    """What :func:`finetune` returns: the saved folder, the class names and the metrics."""

    path: Path
    labels: list[str]
    dev_metrics: dict[str, float] = field(default_factory=dict)
    test_metrics: dict[str, float] = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)
    train_seconds: float = 0.0
    record: dict = field(default_factory=dict)  # what metrics.json holds


def build_classifier(model: str | Path | None, k: int | None, labels: list[str], shape: ModelShape, head_dropout: float):
    """A BertForSequenceClassification from a folder (pre-trained or fine-tuned) or a new config.

    Returns (model, k). A folder's head is replaced when its class count differs.
    """
    from transformers import BertForSequenceClassification

    from dnabert.checkpoint import read_config

    if model is None:
        if k is None:
            raise InputError("give k (--k) when training a new model without --model")
        cfg = shape.config(k, num_labels=len(labels))
        cfg.classifier_dropout = head_dropout
        return BertForSequenceClassification(cfg), k
    config, k_folder = read_config(model)
    if k is not None and k != k_folder:
        raise InputError(f"--k {k} disagrees with the model folder {model} (k={k_folder})")
    from dnabert.checkpoint import resolve_model_path

    config.num_labels = len(labels)
    config.id2label = dict(enumerate(labels))
    config.label2id = {lab: i for i, lab in enumerate(labels)}
    config.classifier_dropout = head_dropout
    config.architectures = ["BertForSequenceClassification"]
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the "classifier newly initialised" load report is expected here
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf, info = BertForSequenceClassification.from_pretrained(
                resolve_model_path(model),
                config=config,
                local_files_only=True,
                ignore_mismatched_sizes=True,
                output_loading_info=True,
            )
    except Exception as e:  # any failure reading unknown weights (truncated, pickled code) is the file's fault
        raise InputError(f"{model}: the weights could not be loaded ({str(e)[:300]})") from None
    finally:
        hf_logging.set_verbosity(verbosity)
    body = [key for key, *_ in info["mismatched_keys"] if not key.startswith("classifier.")]  # only the head may be new
    if body:
        raise InputError(f"{model}: the weights could not be loaded: {body[0]} does not have the shape config.json gives")
    return clf, k_folder


def model_family(model: str | Path | None) -> str:
    """Family of a model source (:data:`dnabert.families.loading.FAMILIES`); a new model (None) is DNABERT-1."""
    from dnabert.checkpoint import resolve_model_path
    from dnabert.families.loading import detect_family

    if model is None:
        return DNABERT1
    d = resolve_model_path(model)
    return detect_family(d) if (d / "config.json").is_file() else DNABERT1


def finetune(
    train: LabeledData,
    out: str | Path,
    dev: LabeledData | None = None,
    test: LabeledData | None = None,
    model: str | Path | None = None,
    k: int | None = None,
    shape: ModelShape | None = None,
    settings: FinetuneSettings | None = None,
    overwrite: bool = False,
    callbacks: list | None = None,
    baseline=None,
) -> FinetuneResult:
    """Fine-tune a classifier and save it (with ``metrics.json``) to ``out``.

    Parameters
    ----------
    train, dev, test : LabeledData
        ``dev`` picks the best epoch (default: the last epoch when absent);
        ``test`` is scored once with the final model.
    out : str or Path
        Output folder; an existing one is an error unless ``overwrite``
        (checked before training starts).
    model : str or Path, optional
        Checkpoint folder or hub id to start from, of any family (``"demo"``
        allowed); None: a new DNABERT-1 model of ``shape`` and ``k``.
    baseline : dnabert.baseline.Baseline, optional
        Already fitted on this train / dev split (the auto recipe fits it once);
        None: fitted here.

    Returns
    -------
    FinetuneResult
    """
    import time

    from transformers import EarlyStoppingCallback, Trainer, set_seed

    from dnabert.checkpoint import LoadedModel, save_model
    from dnabert.families.dna_tokenizers import kmer_tokenizer
    from dnabert.family_finetune import check_token_lengths, classification_loss, load_classifier, save_family_model, token_rows

    settings = settings or FinetuneSettings()
    shape = shape or ModelShape()
    out = Path(out)
    check_output_folder(out, overwrite)
    classes = class_names(train.labels)
    if len(classes) < 2:
        raise InputError(f"{train.name}: every row has the label {classes[0]!r}; a classifier needs at least two classes")
    y_train = label_ids(train, classes)
    y_dev = label_ids(dev, classes) if dev is not None else None
    y_test = label_ids(test, classes) if test is not None else None
    if settings.threads:
        torch.set_num_threads(settings.threads)
    set_seed(settings.seed)  # the new model or head is initialised from the seed too, not only the training order
    family = model_family(model)
    if family == DNABERT1:
        clf, k = build_classifier(model, k, classes, shape, settings.head_dropout)
        tokenizer = kmer_tokenizer(k, clf.config.max_position_embeddings)
        for data in (train, dev, test):
            if data is not None:
                check_lengths(data, k, tokenizer.window)
    else:
        if k is not None:
            raise InputError(f"--k is for new DNABERT-1 k-mer models; {model} is a {family} model with its own tokenizer")
        source = load_classifier(model, family, classes, settings.head_dropout)
        clf, tokenizer = source.model, source.tokenizer
        for data in (train, dev, test):
            if data is not None:
                check_token_lengths(data, tokenizer)
    settings = with_size_defaults(settings, n_parameters(clf))
    notes: list[str] = []
    if dev is None and settings.dev_fraction > 0:
        train, dev, y_train, y_dev, note = stratified_split(train, y_train, settings.dev_fraction, settings.seed)
        notes.append(note)
    notes += check_split(train, dev, test)
    if baseline is None:
        baseline = fit_baseline(train.seqs, y_train, dev.seqs if dev is not None else None, y_dev, seed=settings.seed)
    if settings.rc_augment:
        train = rc_augment(train)
        y_train = np.concatenate([y_train, y_train])

    def dataset(seqs, y):
        if family == DNABERT1:
            return TokenDataset(seqs, k, y, tokenizer.window + 2)
        return TokenDataset.from_rows(token_rows(seqs, tokenizer), y)

    ds_train = dataset(train.seqs, y_train)
    ds_dev = dataset(dev.seqs, y_dev) if dev is not None else None
    steps_per_epoch = math.ceil(len(ds_train) / settings.batch_size)
    total_steps = max(1, math.ceil(steps_per_epoch * settings.epochs))
    with tempfile.TemporaryDirectory(prefix="dnabert-finetune-") as workdir:
        has_dev = ds_dev is not None
        strategy = ("steps" if settings.eval_every else "epoch") if has_dev else "no"
        args = training_arguments(
            workdir,
            settings,
            total_steps,
            per_device_eval_batch_size=settings.eval_batch_size,
            eval_strategy=strategy,
            save_strategy=strategy,
            eval_steps=settings.eval_every,
            save_steps=settings.eval_every,
            save_total_limit=2,
            save_only_model=True,
            # the classifier's loss is already a mean: under torchrun the Trainer would otherwise scale it by the process count
            average_tokens_across_devices=False,
            load_best_model_at_end=has_dev,
            metric_for_best_model=settings.metric_for_best if has_dev else None,
            greater_is_better=True,
            label_names=["labels"],
        )
        cbs = list(callbacks or [])
        if has_dev and settings.patience:
            cbs.append(EarlyStoppingCallback(early_stopping_patience=settings.patience))
        trainer = Trainer(
            model=clf,
            args=args,
            train_dataset=ds_train,
            eval_dataset=ds_dev,
            data_collator=partial(pad_collate, pad_id=tokenizer.pad_id),
            compute_metrics=trainer_metrics,
            callbacks=cbs,
            compute_loss_func=None if family == DNABERT1 else classification_loss,
        )
        t0 = time.time()
        trainer.train()
        train_seconds = time.time() - t0
        history = [dict(h) for h in trainer.state.log_history]
        trained = trainer.model
        trained.eval()
        lm = LoadedModel(model=trained, k=k, labels=classes, path=out, tokenizer=tokenizer, family=family)
        probs = {
            name: predict_probs(lm, d.seqs, settings.eval_batch_size)
            for name, d in (("dev", dev), ("test", test))
            if d is not None
        }
        truth = {"dev": y_dev, "test": y_test}
        threshold = best_threshold(y_dev, probs["dev"][:, 1]) if len(classes) == 2 and dev is not None else None
        dev_metrics = classification_metrics(y_dev, probs["dev"], threshold) if dev is not None else {}
        test_metrics = classification_metrics(y_test, probs["test"], threshold) if test is not None else {}
        at_half = {n: classification_metrics(truth[n], p) for n, p in probs.items()}
        if threshold is not None:
            setattr(trained.config, THRESHOLD_KEY, threshold)
        trained.to("cpu")
        main_process = trainer.is_world_process_zero()  # under torchrun only rank 0 writes
        if main_process and family == DNABERT1:
            save_model(trained, k, out, labels=classes, overwrite=overwrite)
        elif main_process:
            save_family_model(trained, source.path, out, classes)
    base_probs = {n: baseline.predict_proba(d.seqs) for n, d in (("dev", dev), ("test", test)) if d is not None}
    base_threshold = best_threshold(y_dev, base_probs["dev"][:, 1]) if threshold is not None else None
    base_record = {
        "k": baseline.k,
        "selected_on": baseline.selected_on,
        "auroc_by_k": baseline.selection,
        "decision_threshold": base_threshold,  # chosen on dev like the model's
        **{n: classification_metrics(truth[n], p, base_threshold) for n, p in base_probs.items()},
    }
    record = {
        "labels": classes,
        "family": family,
        "k": k,
        "n_train": len(train),
        "n_dev": len(dev) if dev is not None else 0,
        "n_test": len(test) if test is not None else 0,
        "dev": dev_metrics,
        "test": test_metrics,
        "decision_threshold": threshold,
        "at_0.5": at_half,
        "baseline": base_record,
        "settings": asdict(settings),
        "shape": asdict(shape) if model is None else None,
        "init": str(model) if model is not None else "random",
        "train_seconds": round(train_seconds, 1),
        "steps": int(trainer.state.global_step),
        "best_checkpoint_metric": trainer.state.best_metric,
        "notes": notes,
    }
    verdict = lost_to_baseline_note(record)
    record["beats_baseline"] = (verdict is None) if (dev_metrics or test_metrics) else None
    if verdict:
        record["notes"].append(verdict)
    record = json_ready(record)
    if main_process:
        with atomic_paths(out / "metrics.json", out / "curves.tsv") as (tmp_metrics, tmp_curves):
            tmp_metrics.write_text(json.dumps(record, indent=2) + "\n")
            training_curves(history).to_csv(tmp_curves, sep="\t", index=False, float_format="%.6g")
    return FinetuneResult(
        path=out,
        labels=classes,
        dev_metrics=dev_metrics,
        test_metrics=test_metrics,
        history=history,
        train_seconds=train_seconds,
        record=record,
    )


def with_size_defaults(settings: FinetuneSettings, n_params: int) -> FinetuneSettings:
    """``settings`` with learning rate, epochs and warm-up left as None taken from :func:`dnabert.schedules.schedule_for`."""
    sched = schedule_for(n_params)
    return replace(
        settings,
        learning_rate=sched.learning_rate if settings.learning_rate is None else settings.learning_rate,
        epochs=sched.epochs if settings.epochs is None else settings.epochs,
        warmup=sched.warmup if settings.warmup is None else settings.warmup,
    )
