"""Fine-tuning DNABERT (any family) for sequence classification.

Training (:func:`finetune`): ``BertForSequenceClassification`` from a
DNABERT-1 checkpoint folder (a pre-trained MLM folder gets a fresh head) or from a new
config (``model=None``); a DNABERT-2 or Nucleotide Transformer folder (or hub id) gets
its family's classifier (:mod:`dnabert.families.finetune`: loss, token rows, saved folder
in the release's layout); Hugging Face Trainer (the policy of
:func:`dnabert.training.policy.training_arguments`), dropout on the head, evaluation
on the dev set every epoch and the best epoch (by ``metric_for_best``) kept.
Trainer checkpoints go to a temporary folder; the final model is written with
:func:`dnabert.loading.checkpoint.save_model`, under a temporary name renamed when
complete, so an interrupted run never leaves a half-written model. Dev and
test metrics (:mod:`dnabert.training.metrics`) come from :func:`dnabert.analysis.inference.predict`.
Tables: :mod:`dnabert.training.tables`.

Beside the model, ``metrics.json`` holds the k-mer baseline
(:mod:`dnabert.training.baseline`) on the same split and whether the model beat it,
the dev-chosen decision threshold of a two-class model
(:mod:`dnabert.training.threshold`; threshold-dependent metrics use it, the argmax ones
are under ``at_0.5``), and the split checks (:mod:`dnabert.training.datachecks`);
``curves.tsv`` holds the training curves (:mod:`dnabert.training.curves`). Learning
rate, epochs and warm-up left as None follow the model size
(:mod:`dnabert.training.schedules`).
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

from dnabert.training.baseline import fit_baseline, lost_to_baseline_note
from dnabert.training.bootstrap import paired_bootstrap
from dnabert.loading.checkpoint import resolve_model_path
from dnabert.training.curves import training_curves
from dnabert.training.datachecks import check_split
from dnabert.errors import InputError
from dnabert.training.settings import FinetuneSettings
from dnabert.families.loading import DNABERT1
from dnabert.training.metrics import classification_metrics, json_ready, trainer_metrics
from dnabert.outputs import atomic_paths, check_output_folder
from dnabert.training.schedules import n_parameters, schedule_for
from dnabert.analysis.strands import predict_probs, rc_augment
from dnabert.training.provenance import trained_on, write_training_hashes
from dnabert.training.tables import LabeledData, check_lengths, class_names, hold_out, label_ids, renamed
from dnabert.training.threshold import CONFIG_KEY as THRESHOLD_KEY
from dnabert.training.threshold import decision_threshold, predicted_classes
from dnabert.training.policy import ModelShape, TokenDataset, pad_collate, training_arguments, world_size


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

    from dnabert.loading.checkpoint import read_config

    if model is None:
        if k is None:
            raise InputError("give k (--k) when training a new model without --model")
        cfg = shape.config(k, num_labels=len(labels))
        cfg.classifier_dropout = head_dropout
        return BertForSequenceClassification(cfg), k
    config, k_folder = read_config(model)
    if k is not None and k != k_folder:
        raise InputError(f"--k {k} disagrees with the model folder {model} (k={k_folder})")
    from dnabert.loading.checkpoint import resolve_model_path

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
    from dnabert.loading.checkpoint import resolve_model_path
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
    baseline : dnabert.training.baseline.Baseline, optional
        Already fitted on this train / dev split (the auto recipe fits it once);
        None: fitted here.

    Returns
    -------
    FinetuneResult
    """
    import time

    from transformers import EarlyStoppingCallback, Trainer, set_seed

    from dnabert.loading.checkpoint import LoadedModel, save_model
    from dnabert.families.dna_tokenizers import kmer_tokenizer
    from dnabert.families.finetune import check_token_lengths, classification_loss, load_classifier, save_family_model, token_rows

    settings = settings or FinetuneSettings()
    shape = shape or ModelShape()
    out = Path(out)
    check_output_folder(out, overwrite)
    settings.check()
    classes = class_names(train.labels)
    if len(classes) < 2:
        raise InputError(f"{train.name}: every row has the label {classes[0]!r}; a classifier needs at least two classes")
    notes: list[str] = []
    names = inherited_class_names(model, classes)
    if names:
        train, dev, test = (renamed(d, names) for d in (train, dev, test))
        notes.append(f"table labels {', '.join(names)} read as the start model's classes {', '.join(names.values())}")
        classes = [names[c] for c in classes]
    test_given = test is not None
    train, dev, test, split_notes = hold_out(train, classes, dev, test, settings.dev_fraction, settings.test_fraction, settings.seed)
    notes += split_notes
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
    notes += check_split(train, dev, test)
    start = start_model_scores(model, classes, {"dev": (dev, y_dev), "test": (test, y_test)}, settings.eval_batch_size)
    train_seqs = list(train.seqs)
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
    steps_per_epoch = math.ceil(len(ds_train) / (settings.batch_size * world_size()))  # one step: a batch per process
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
        trainer.accelerator.wait_for_everyone()  # under torchrun: rank 0's checkpoints stay until all ranks read them
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
        threshold, threshold_note = None, None
        if len(classes) == 2 and dev is not None:
            threshold, threshold_note = decision_threshold(y_dev, probs["dev"][:, 1])
            threshold = None if threshold_note else threshold
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
        if main_process:
            write_training_hashes(out, train_seqs, resolve_model_path(model) if model is not None else None)
    base_probs = {n: baseline.predict_proba(d.seqs) for n, d in (("dev", dev), ("test", test)) if d is not None}
    base_threshold = decision_threshold(y_dev, base_probs["dev"][:, 1])[0] if threshold is not None else None
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
        "test_split": "given" if test_given else ("held out" if test is not None else None),
        "start_model": start,
        "trained_on": training_sentence(len(train_seqs), train.name, model),
    }
    if threshold_note:
        notes.append(threshold_note)
    if threshold is not None and test is not None:
        at_t, at_argmax = predicted_classes(probs["test"], threshold), probs["test"].argmax(axis=1)
        record["threshold_effect"] = {
            "test_rows_changed": int(np.sum(at_t != at_argmax)),
            "test_mcc": test_metrics["mcc"],
            "test_mcc_at_0.5": at_half["test"]["mcc"],
        }
    if test is not None and len(classes) == 2:
        record["comparison"] = {"split": "test", **paired_bootstrap(
            y_test, probs["test"][:, 1], base_probs["test"][:, 1], predicted_classes(probs["test"], threshold),
            predicted_classes(base_probs["test"], base_threshold), seed=settings.seed,
        )}  # fmt: skip
    elif test is None:
        notes.append("no test split: the model is not compared with the k-mer baseline (no verdict)")
    record["verdict"] = record.get("comparison", {}).get("auroc", {}).get("verdict")
    record["beats_baseline"] = None if record["verdict"] is None else record["verdict"] == "better"
    verdict = lost_to_baseline_note(record)
    if verdict:
        notes.append(verdict)
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
    """``settings`` with learning rate, epochs and warm-up left as None taken from :func:`dnabert.training.schedules.schedule_for`."""
    sched = schedule_for(n_params)
    return replace(
        settings,
        learning_rate=sched.learning_rate if settings.learning_rate is None else settings.learning_rate,
        epochs=sched.epochs if settings.epochs is None else settings.epochs,
        warmup=sched.warmup if settings.warmup is None else settings.warmup,
    )


def inherited_class_names(model: str | Path | None, classes: list[str]) -> dict[str, str] | None:
    """Table label -> the start model's class name, when the table's labels are the indices ``0 .. C-1`` and the
    start model has C named classes (e.g. ``0, 1`` -> ``negative, positive``); None otherwise."""
    if model is None or classes != [str(i) for i in range(len(classes))]:
        return None
    config = resolve_model_path(model) / "config.json"
    try:
        id2label = json.loads(config.read_text()).get("id2label") or {}
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    names = [str(id2label.get(str(i), id2label.get(i, ""))) for i in range(len(id2label))]
    if len(names) != len(classes) or len(set(names)) != len(names) or all(n.startswith("LABEL_") or n.isdigit() for n in names):
        return None
    return dict(zip(classes, names))


def start_model_scores(model: str | Path | None, classes: list[str], splits: dict, batch_size: int) -> dict:
    """The start model's metrics before fine-tuning, on each split (``{name: (LabeledData or None, y)}``), by its own
    class rule (:func:`dnabert.training.threshold.predicted_classes` with its stored threshold); a note when it has no
    trained head for these classes (a new model, another class list, a pre-trained-only folder)."""
    if model is None:
        return {"note": "a new model: nothing to compare before fine-tuning"}
    from dnabert.loading.checkpoint import load_model
    from dnabert.training.threshold import model_threshold

    lm = load_model(model)
    if lm.pretrained_only or list(lm.labels) != list(classes):
        return {"note": f"{model} has no trained head for the classes {', '.join(classes)}: no scores before fine-tuning"}
    threshold = model_threshold(lm.model.config)
    return {
        name: classification_metrics(y, predict_probs(lm, data.seqs, batch_size), threshold)
        for name, (data, y) in splits.items()
        if data is not None
    }


def training_sentence(n_rows: int, table: str, model: str | Path | None) -> str:
    """``metrics.json``'s ``trained_on``: the table, and the start model with what it was trained on."""
    text = f"{n_rows} rows of {table}"
    if model is None:
        return text
    start = trained_on(resolve_model_path(model))
    return f"{text}; started from {model}" + (f", itself trained on {start}" if start else "")
