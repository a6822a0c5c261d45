"""Fine-tuning DNABERT for sequence classification, and its metrics.

Input tables (:func:`read_labeled`): TSV or CSV with a ``sequence`` column and a
``label`` column (names case-insensitive; the original DNABERT ``train.tsv`` /
``dev.tsv`` files with space-separated k-mer sentences also load: a sentence
is turned back into its sequence). Labels are class names (strings); the
classes are those of the training set, sorted (numerically when all are
integers), so ``0, 1`` and ``negative, positive`` both work. Binary and
multi-class (e.g. 3-class splice sites).

Training (:func:`finetune`): ``BertForSequenceClassification`` from a
checkpoint folder (a pre-trained MLM folder gets a fresh head) or from a new
config (``model=None``), Hugging Face Trainer, AdamW with linear warm-up then
linear decay, dropout on the head, evaluation on the dev set every epoch and
the best epoch (by ``metric_for_best``) kept. Trainer checkpoints go to a
temporary folder; the final model is written with
:func:`dnabert.checkpoint.save_model`, under a temporary name renamed when
complete, so an interrupted run never leaves a half-written model.

Metrics (:func:`classification_metrics`): accuracy, F1, MCC, AUROC, AUPRC
(scikit-learn). Binary: F1 / AUPRC of the positive class (the last class).
Multi-class: macro F1, one-vs-rest macro AUROC and macro average precision.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    f1_score,
    matthews_corrcoef,
    roc_auc_score,
)

from dnabert.errors import InputError
from dnabert.kmer import PAD_ID, encode_batch, from_kmer_sentence, is_kmer_sentence
from dnabert.outputs import check_output_folder
from dnabert.sequences import SequenceError, normalize_sequence

# ----------------------------------------------------------------------------- data


@dataclass
class LabeledData:
    """Sequences with class names, as read from a table.

    Attributes
    ----------
    seqs : list of str
        Validated upper-case sequences.
    labels : list of str
        Class name per sequence.
    ids : list of str
        An ``id`` column when the table has one, else ``row<N>`` (1-based data row).
    name : str
        Source, for messages.
    """

    seqs: list[str]
    labels: list[str]
    ids: list[str]
    name: str = "data"

    def __len__(self) -> int:
        return len(self.seqs)


def read_labeled(path: str | Path | None = None, text: str | bytes | None = None, name: str | None = None) -> LabeledData:
    """Read a labelled table (TSV / CSV, optionally the original k-mer sentence format).

    Parameters
    ----------
    path : str or Path, optional
        The file; or give ``text`` (its contents) instead.
    name : str, optional
        Name used in messages (default: the path).

    Raises
    ------
    InputError
        Missing file, no ``sequence`` / ``label`` column, an empty sequence or
        label (names the 1-based data row), an invalid character, no rows.
    """
    if path is not None:
        p = Path(path)
        name = name or str(p)
        if not p.is_file():
            raise InputError(f"{p}: no such file")
        text = p.read_bytes()
    name = name or "data"
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"{name}: not UTF-8 text; expected a TSV/CSV table with 'sequence' and 'label' columns") from None
    if not text or not text.strip():
        raise InputError(f"{name}: empty file; expected a TSV/CSV table with 'sequence' and 'label' columns")
    first = text.lstrip().split("\n", 1)[0]
    sep = "\t" if "\t" in first else ","
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=True)
    except (pd.errors.ParserError, ValueError) as e:
        raise InputError(f"{name}: cannot be read as a table ({e})") from None
    if not isinstance(df.index, pd.RangeIndex):  # pandas made the extra leading fields an index
        raise InputError(f"{name}: data row 1 has more fields than the header line; check the separator and quoting")
    cols = {c.strip().lower(): c for c in df.columns}
    missing = [c for c in ("sequence", "label") if c not in cols]
    if missing:
        raise InputError(
            f"{name}: missing column(s) {', '.join(missing)}; the first line must be a header with 'sequence' and 'label' "
            f"(found: {', '.join(map(str, df.columns)) or 'none'})"
        )
    if len(df) == 0:
        raise InputError(f"{name}: the table has a header but no rows")
    seq_col, lab_col = df[cols["sequence"]], df[cols["label"]]
    id_col = df[cols["id"]] if "id" in cols else None
    seqs, labels, ids = [], [], []
    for r, (s, lab) in enumerate(zip(seq_col, lab_col), start=1):
        s, lab = str(s).strip(), str(lab).strip()
        where = f"{name}: data row {r}"
        if not s:
            raise InputError(f"{where} has an empty sequence; remove the row or fill it in")
        if not lab:
            raise InputError(f"{where} has an empty label; every row needs a class label")
        try:
            seq = from_kmer_sentence(s) if " " in s and is_kmer_sentence(s) else normalize_sequence(s, f"data row {r}")
        except SequenceError as e:
            raise InputError(f"{name}: {e}") from None
        seqs.append(seq)
        labels.append(lab)
        ids.append(str(id_col.iloc[r - 1]) if id_col is not None and str(id_col.iloc[r - 1]).strip() else f"row{r}")
    return LabeledData(seqs=seqs, labels=labels, ids=ids, name=name)


def class_names(labels: list[str]) -> list[str]:
    """Sorted distinct class names (numerically when all are integers)."""
    distinct = set(labels)
    try:
        return sorted(distinct, key=lambda x: int(x))
    except ValueError:
        return sorted(distinct)


def label_ids(data: LabeledData, classes: list[str]) -> np.ndarray:
    """Class index per row; a label not in ``classes`` is an error naming the row."""
    index = {c: i for i, c in enumerate(classes)}
    out = np.empty(len(data), dtype=np.int64)
    for r, lab in enumerate(data.labels):
        if lab not in index:
            raise InputError(
                f"{data.name}: data row {r + 1} has label {lab!r}, which is not a class of the training set "
                f"({', '.join(classes)})"
            )
        out[r] = index[lab]
    return out


def check_lengths(data: LabeledData, k: int, window: int) -> None:
    """Every sequence must have 1..``window`` k-mers (the model window); the error names the row."""
    for r, s in enumerate(data.seqs, start=1):
        n = len(s) - k + 1
        if n < 1:
            raise InputError(f"{data.name}: data row {r} ({data.ids[r - 1]}) has length {len(s)}, shorter than k={k}")
        if n > window:
            raise InputError(
                f"{data.name}: data row {r} ({data.ids[r - 1]}) has length {len(s)} bp = {n} {k}-mers, more than the "
                f"model window of {window} k-mers (at most {window + k - 1} bp); split long sequences into windows "
                "(e.g. with `dnabert scan` logic) before fine-tuning"
            )


class TokenDataset(torch.utils.data.Dataset):
    """k-mer token ids (+ optional labels) per sequence; batches padded by :func:`pad_collate`."""

    def __init__(self, seqs: list[str], k: int, labels: np.ndarray | None = None, max_tokens: int = 512):
        self.rows = _encode_rows(seqs, k, max_tokens)
        self.labels = labels

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        item = {"input_ids": self.rows[i]}
        if self.labels is not None:
            item["labels"] = int(self.labels[i])
        return item


def _encode_rows(seqs: list[str], k: int, max_tokens: int) -> list[np.ndarray]:
    rows = []
    for start in range(0, len(seqs), 4096):
        ids, mask = encode_batch(seqs[start : start + 4096], k, max_tokens)
        rows.extend(r[: m.sum()] for r, m in zip(ids, mask))
    return rows


def pad_collate(items: list[dict]) -> dict[str, torch.Tensor]:
    """Pad ``input_ids`` with [PAD] to the longest in the batch; add ``attention_mask``."""
    longest = max(len(it["input_ids"]) for it in items)
    ids = np.full((len(items), longest), PAD_ID, dtype=np.int64)
    for i, it in enumerate(items):
        ids[i, : len(it["input_ids"])] = it["input_ids"]
    batch = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy((ids != PAD_ID).astype(np.int64))}
    if "labels" in items[0]:
        batch["labels"] = torch.tensor([it["labels"] for it in items], dtype=torch.long)
    return batch


# ----------------------------------------------------------------------------- metrics


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def classification_metrics(y_true: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    """accuracy, f1, mcc, auroc, auprc for class indices ``y_true`` (n,) and probabilities ``probs`` (n, C).

    Binary (C = 2): F1 and AUPRC (average precision) of class 1, AUROC of its
    probability. Multi-class: macro F1, one-vs-rest macro AUROC and macro
    average precision. AUROC / AUPRC are NaN when ``y_true`` has one class only.
    """
    y_true = np.asarray(y_true)
    probs = np.asarray(probs, dtype=np.float64)
    n_classes = probs.shape[1]
    pred = probs.argmax(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one class only: sklearn warns; MCC is 0 then
        out = {
            "accuracy": float(accuracy_score(y_true, pred)),
            "f1": float(f1_score(y_true, pred, average="binary" if n_classes == 2 else "macro", zero_division=0)),
            "mcc": float(matthews_corrcoef(y_true, pred)),
        }
    present = np.unique(y_true)
    if len(present) < 2:
        out["auroc"] = out["auprc"] = float("nan")
    elif n_classes == 2:
        out["auroc"] = float(roc_auc_score(y_true, probs[:, 1]))
        out["auprc"] = float(average_precision_score(y_true, probs[:, 1]))
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cols = present if len(present) < n_classes else np.arange(n_classes)
            p = probs[:, cols] / probs[:, cols].sum(axis=1, keepdims=True)
            out["auroc"] = float(roc_auc_score(y_true, p, multi_class="ovr", average="macro", labels=cols))
            onehot = (y_true[:, None] == cols[None, :]).astype(int)
            out["auprc"] = float(average_precision_score(onehot, probs[:, cols], average="macro"))
    return out


def _trainer_metrics(eval_pred) -> dict[str, float]:
    logits, labels = eval_pred.predictions, eval_pred.label_ids
    if isinstance(logits, tuple):
        logits = logits[0]
    return classification_metrics(labels, softmax(logits))


# ----------------------------------------------------------------------------- training


@dataclass
class ModelShape:
    """Size of a new (randomly initialised) BERT, for training without a pre-trained folder."""

    layers: int = 2
    hidden: int = 128
    heads: int = 4
    intermediate: int = 512
    max_tokens: int = 512
    dropout: float = 0.1

    def config(self, k: int, num_labels: int | None = None, architecture: str = "BertForSequenceClassification"):
        from transformers import BertConfig

        kwargs = {} if num_labels is None else {"num_labels": num_labels}
        return BertConfig(
            vocab_size=4**k + 5,
            hidden_size=self.hidden,
            num_hidden_layers=self.layers,
            num_attention_heads=self.heads,
            intermediate_size=self.intermediate,
            max_position_embeddings=self.max_tokens,
            hidden_dropout_prob=self.dropout,
            attention_probs_dropout_prob=self.dropout,
            architectures=[architecture],
            **kwargs,
        )


# Model sizes. "base" is BERT-base (the original DNABERT); the others train on a CPU.
MODEL_PRESETS: dict[str, ModelShape] = {
    "base": ModelShape(layers=12, hidden=768, heads=12, intermediate=3072),
    "small": ModelShape(layers=4, hidden=256, heads=4, intermediate=1024),
    "tiny": ModelShape(layers=2, hidden=128, heads=4, intermediate=512),
}


def model_shape(
    preset: str = "base", layers: int | None = None, hidden: int | None = None, heads: int | None = None
) -> ModelShape:
    """A preset (:data:`MODEL_PRESETS`) with optional overrides; intermediate = 4 x hidden when hidden is given."""
    if preset not in MODEL_PRESETS:
        raise InputError(f"unknown model preset {preset!r}; choose one of {', '.join(MODEL_PRESETS)}")
    base = MODEL_PRESETS[preset]
    shape = ModelShape(
        layers=layers or base.layers,
        hidden=hidden or base.hidden,
        heads=heads or base.heads,
        intermediate=4 * hidden if hidden else base.intermediate,
        max_tokens=base.max_tokens,
        dropout=base.dropout,
    )
    if shape.hidden % shape.heads:
        raise InputError(f"hidden size {shape.hidden} is not a multiple of the number of heads {shape.heads}")
    return shape


def training_arguments(workdir: str, settings, total_steps: int, **extra):
    """The project's ``TrainingArguments``: AdamW with linear warm-up then linear decay, offline
    (``report_to="none"``), no pinned memory, mixed precision on a CUDA GPU (bf16 where supported,
    else fp16) and full precision on CPU.

    ``settings`` is a :class:`FinetuneSettings` or :class:`dnabert.pretrain.PretrainSettings`;
    ``total_steps`` sizes the warm-up; ``extra`` adds or overrides arguments (evaluation, saving...).
    """
    from transformers import TrainingArguments

    on_gpu = torch.cuda.is_available() and (settings.device is None or str(settings.device).startswith("cuda"))
    precision = {}
    if settings.mixed_precision and on_gpu:
        precision = {"bf16": True} if torch.cuda.is_bf16_supported() else {"fp16": True}
    return TrainingArguments(
        output_dir=workdir,
        num_train_epochs=settings.epochs,
        per_device_train_batch_size=settings.batch_size,
        learning_rate=settings.learning_rate,
        weight_decay=settings.weight_decay,
        warmup_steps=int(round(settings.warmup * total_steps)),
        lr_scheduler_type="linear",
        max_grad_norm=settings.max_grad_norm,
        logging_strategy="steps",
        logging_steps=settings.log_every,
        report_to="none",
        dataloader_pin_memory=False,
        disable_tqdm=True,
        seed=settings.seed,
        use_cpu=settings.device == "cpu",
        **precision,
        **extra,
    )


@dataclass
class FinetuneSettings:
    """Optimisation settings (AdamW, linear warm-up then linear decay)."""

    epochs: float = 3.0
    batch_size: int = 32
    learning_rate: float = 5e-5
    warmup: float = 0.1  # fraction of the steps
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


@dataclass
class FinetuneResult:
    """What :func:`finetune` returns: the saved folder, the class names and the metrics."""

    path: Path
    labels: list[str]
    dev_metrics: dict[str, float] = field(default_factory=dict)
    test_metrics: dict[str, float] = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)
    train_seconds: float = 0.0


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
        Checkpoint folder to start from (``"demo"`` allowed); None: a new
        model of ``shape`` and ``k``.

    Returns
    -------
    FinetuneResult
    """
    import time

    from transformers import EarlyStoppingCallback, Trainer, set_seed

    from dnabert.checkpoint import save_model

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
    clf, k = build_classifier(model, k, classes, shape, settings.head_dropout)
    window = clf.config.max_position_embeddings - 2
    for data in (train, dev, test):
        if data is not None:
            check_lengths(data, k, window)
    notes: list[str] = []
    if dev is None and settings.dev_fraction > 0:
        train, dev, y_train, y_dev, note = stratified_split(train, y_train, settings.dev_fraction, settings.seed)
        notes.append(note)
    max_tokens = window + 2
    ds_train = TokenDataset(train.seqs, k, y_train, max_tokens)
    ds_dev = TokenDataset(dev.seqs, k, y_dev, max_tokens) if dev is not None else None
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
            load_best_model_at_end=has_dev,
            metric_for_best_model=settings.metric_for_best if has_dev else None,
            greater_is_better=True,
        )
        cbs = list(callbacks or [])
        if has_dev and settings.patience:
            cbs.append(EarlyStoppingCallback(early_stopping_patience=settings.patience))
        trainer = Trainer(
            model=clf,
            args=args,
            train_dataset=ds_train,
            eval_dataset=ds_dev,
            data_collator=pad_collate,
            compute_metrics=_trainer_metrics,
            callbacks=cbs,
        )
        t0 = time.time()
        trainer.train()
        train_seconds = time.time() - t0
        history = [dict(h) for h in trainer.state.log_history]
        dev_metrics: dict[str, float] = {}
        test_metrics: dict[str, float] = {}
        trained = trainer.model
        trained.eval()
        if dev is not None:
            dev_metrics = evaluate(trained, dev.seqs, y_dev, k, settings.eval_batch_size)
        if test is not None:
            test_metrics = evaluate(trained, test.seqs, y_test, k, settings.eval_batch_size)
        trained.to("cpu")
        main_process = trainer.is_world_process_zero()  # under torchrun only rank 0 writes
        if main_process:
            save_model(trained, k, out, labels=classes, overwrite=overwrite)
    record = {
        "labels": classes,
        "k": k,
        "n_train": len(train),
        "n_dev": len(dev) if dev is not None else 0,
        "n_test": len(test) if test is not None else 0,
        "dev": dev_metrics,
        "test": test_metrics,
        "settings": asdict(settings),
        "shape": asdict(shape) if model is None else None,
        "init": str(model) if model is not None else "random",
        "train_seconds": round(train_seconds, 1),
        "steps": int(trainer.state.global_step),
        "best_checkpoint_metric": trainer.state.best_metric,
        "notes": notes,
    }
    if main_process:
        (out / "metrics.json").write_text(json.dumps(_clean(record), indent=2) + "\n")
    return FinetuneResult(
        path=out, labels=classes, dev_metrics=dev_metrics, test_metrics=test_metrics, history=history, train_seconds=train_seconds
    )


def stratified_split(train: LabeledData, y: np.ndarray, fraction: float, seed: int):
    """Hold out a stratified, seeded ``fraction`` of ``train`` as the dev set.

    Returns (train, dev, y_train, y_dev, note); dev is None (and the note says
    so) when some class has fewer than 2 rows or the dev share would hold
    fewer rows than there are classes.
    """
    from sklearn.model_selection import train_test_split

    counts = np.bincount(y)
    n_dev = int(round(fraction * len(y)))
    if counts[counts > 0].min() < 2 or n_dev < len(counts) or len(y) - n_dev < len(counts):
        return (
            train,
            None,
            y,
            None,
            (
                f"no dev set given and {train.name} is too small for a stratified {fraction:.0%} split: "
                "trained without a dev set (last step kept)"
            ),
        )
    idx_train, idx_dev = train_test_split(np.arange(len(y)), test_size=n_dev, stratify=y, random_state=seed)
    idx_train, idx_dev = np.sort(idx_train), np.sort(idx_dev)

    def take(idx, name):
        return LabeledData([train.seqs[i] for i in idx], [train.labels[i] for i in idx], [train.ids[i] for i in idx], name)

    note = f"no dev set given: held out a stratified {len(idx_dev)} of {len(y)} training rows (seed {seed}) as dev"
    return take(idx_train, train.name), take(idx_dev, f"{train.name} (dev split)"), y[idx_train], y[idx_dev], note


def _clean(obj):
    """JSON-safe copy: NaN -> None, numpy scalars -> Python."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return None if math.isnan(float(obj)) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


@torch.inference_mode()
def predict_probs(model: torch.nn.Module, seqs: list[str], k: int, batch_size: int = 128) -> np.ndarray:
    """Class probabilities (n, C) for sequences that fit the model window (no attention)."""
    model.eval()
    device = next(model.parameters()).device
    ds = TokenDataset(seqs, k, None, model.config.max_position_embeddings)
    out = []
    for start in range(0, len(ds), batch_size):
        batch = pad_collate([ds[i] for i in range(start, min(start + batch_size, len(ds)))])
        logits = model(input_ids=batch["input_ids"].to(device), attention_mask=batch["attention_mask"].to(device)).logits
        out.append(logits.float().cpu().numpy())
    return softmax(np.concatenate(out)) if out else np.zeros((0, model.config.num_labels))


def evaluate(model: torch.nn.Module, seqs: list[str], y: np.ndarray, k: int, batch_size: int = 128) -> dict[str, float]:
    """:func:`classification_metrics` of ``model`` on ``seqs`` with class indices ``y``."""
    return classification_metrics(y, predict_probs(model, seqs, k, batch_size))
