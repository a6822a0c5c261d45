"""Checks that keep a checkpoint folder from loading as a silently wrong model.

* :func:`check_config`: config.json is a JSON object with integer sizes in sane
  ranges (those of every family, :data:`SIZE_RANGES`, and the family's own),
  hidden_size a multiple of num_attention_heads, rates and epsilons that are
  numbers in range, at least two unique class names, the vocabulary size of
  vocab.txt, and a model estimated (:func:`model_bytes`) under
  ``DNABERT_MAX_MODEL_GB`` (:mod:`dnabert.limits`), before any model is built (a
  huge layer count would run for minutes; a huge hidden size would ask for
  hundreds of GB; two position embeddings leave no room for a k-mer).
* :func:`check_loaded_weights`: every weight the model needs was in the file and
  the file held no weights the model does not use, except the head that a
  pre-trained (MLM) folder cannot have when loaded for classification, and the
  reverse.
* :func:`check_finite`: no NaN or infinite weight.

Each raises the :class:`dnabert.errors.InputError` subclass the caller gives
(``error``) with one line naming the file and the key or the tensors.
"""

from __future__ import annotations

from pathlib import Path

import torch

from dnabert import limits
from dnabert.errors import InputError

# key -> (lowest, highest) accepted integer value; absent keys take BERT's defaults
SIZE_RANGES = {
    "num_hidden_layers": (1, 48),
    "hidden_size": (1, 8192),
    "num_attention_heads": (1, 256),
    "intermediate_size": (1, 65536),
    "max_position_embeddings": (3, 65536),  # [CLS], [SEP] and at least one k-mer
    "type_vocab_size": (1, 16),
    "vocab_size": (1, 4**8 + 5),
}
# key -> (lowest, highest) accepted number (rates, epsilons)
RATE_RANGES = {
    "hidden_dropout_prob": (0.0, 1.0),
    "attention_probs_dropout_prob": (0.0, 1.0),
    "classifier_dropout": (0.0, 1.0),
    "layer_norm_eps": (1e-30, 1.0),
    "initializer_range": (0.0, 10.0),
}
NULLABLE = ("classifier_dropout", "pad_token_id")  # keys that may be null (transformers then uses none)
MAX_LABELS = 10000  # classes of a classifier head
# BERT's and ESM's defaults for absent keys (both: 768 hidden, 12 heads, 12 layers, 3072 feed-forward, 512 positions)
DEFAULTS = {"hidden_size": 768, "num_attention_heads": 12, "num_hidden_layers": 12, "intermediate_size": 3072,
            "max_position_embeddings": 512, "type_vocab_size": 2, "vocab_size": 30522}  # fmt: skip
# weights a folder may lack (and hold extra) when it is loaded for another task than it was saved for
OTHER_HEADS = {"classification": ("classifier.", "bert.pooler."), "mlm": ("cls.",)}
ALWAYS_IGNORED = ("position_ids",)  # a buffer older transformers saved; rebuilt on load


def model_bytes(raw: dict) -> int:
    """An upper estimate of the float32 memory of the model a config describes, in bytes.

    Parameters of any family: embeddings (vocab_size + max_position_embeddings +
    type_vocab_size) x D, per layer 4 D^2 (query, key, value, output) + 3 D I
    (a gated feed-forward block; a plain one has 2 D I) + 6 D (biases and norms),
    and the heads D^2 + vocab_size x D; D = hidden_size, I = intermediate_size.
    Absent keys take :data:`DEFAULTS`; the sizes must already be checked integers.
    """
    v = {key: raw.get(key, default) for key, default in DEFAULTS.items()}
    d, i = v["hidden_size"], v["intermediate_size"]
    embeddings = (v["vocab_size"] + v["max_position_embeddings"] + v["type_vocab_size"]) * d
    layer = 4 * d * d + 3 * d * i + 6 * d
    return 4 * (embeddings + v["num_hidden_layers"] * layer + d * d + v["vocab_size"] * d)


def check_config(
    raw: object, cfg_path: Path, vocab_size: int | None, task: str, error=InputError, ranges: dict | None = None
) -> None:
    """Raise ``error`` (one line naming ``cfg_path`` and the key) for a config that would build a wrong or huge model.

    Parameters
    ----------
    raw : object
        The parsed config.json.
    vocab_size : int or None
        Lines of the folder's vocab.txt (DNABERT-1); None: checked by the family's loader.
    task : {"classification", "mlm"}
    ranges : dict, optional
        The family's own integer keys -> (lowest, highest), checked like :data:`SIZE_RANGES`.
    """
    if not isinstance(raw, dict):
        raise error(f"{cfg_path}: expected a JSON object with the model settings, got a JSON {type(raw).__name__}")
    for key, (lo, hi) in (SIZE_RANGES | (ranges or {})).items():
        if key not in raw:
            continue
        value = raw[key]
        if value is None and key in NULLABLE:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise error(f"{cfg_path}: {key} is {value!r}; expected an integer from {lo} to {hi}")
    for key, (lo, hi) in RATE_RANGES.items():
        value = raw.get(key)
        if value is None and (key not in raw or key in NULLABLE):
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
            raise error(f"{cfg_path}: {key} is {value!r}; expected a number from {lo:g} to {hi:g}")
    hidden = raw.get("hidden_size", DEFAULTS["hidden_size"])
    heads = raw.get("num_attention_heads", DEFAULTS["num_attention_heads"])
    if hidden % heads:
        raise error(f"{cfg_path}: hidden_size {hidden} is not a multiple of num_attention_heads {heads}")
    if vocab_size is not None and raw.get("vocab_size", vocab_size) != vocab_size:
        raise error(
            f"{cfg_path}: vocab_size is {raw['vocab_size']} but vocab.txt has {vocab_size} tokens; "
            "the config and the vocabulary belong to different models"
        )
    size = model_bytes(raw)
    if size > limits.MAX_MODEL_GB * 2**30:
        raise error(
            f"{cfg_path}: describes a model of about {size / 2**30:.1f} GB (float32), over the limit of "
            f"{limits.MAX_MODEL_GB:g} GB; check its sizes, or raise DNABERT_MAX_MODEL_GB to load it"
        )
    id2label = raw.get("id2label")
    if id2label is not None:
        if not isinstance(id2label, dict) or not id2label:
            raise error(f"{cfg_path}: id2label must be a non-empty object of class id -> name")
        if len(id2label) > MAX_LABELS:
            raise error(f"{cfg_path}: id2label names {len(id2label)} classes; at most {MAX_LABELS} are supported")
        if not all(isinstance(i, (int, str)) and str(i).strip().isdigit() for i in id2label):
            raise error(f"{cfg_path}: id2label keys must be class numbers 0, 1, ...; got {list(id2label)[:5]}")
        seen: set[str] = set()
        for name in map(str, id2label.values()):
            if name in seen:
                raise error(f"{cfg_path}: id2label names class {name!r} more than once; class names must be unique")
            seen.add(name)
    n_labels = raw.get("num_labels", len(id2label) if id2label else 2)
    if isinstance(n_labels, bool) or not isinstance(n_labels, int) or not 1 <= n_labels <= MAX_LABELS:
        raise error(f"{cfg_path}: num_labels is {n_labels!r}; expected an integer from 1 to {MAX_LABELS}")
    if task == "classification" and n_labels < 2:
        raise error(f"{cfg_path}: num_labels is {n_labels}; a classifier needs at least 2 classes")
    if id2label is not None and len(id2label) != n_labels and "num_labels" in raw:
        raise error(f"{cfg_path}: num_labels is {n_labels} but id2label names {len(id2label)} classes")


def check_loaded_weights(
    folder: Path, missing: list[str], unexpected: list[str], task: str, head_in_folder: bool, error=InputError
) -> None:
    """Raise ``error`` naming the tensors a checkpoint lacks or holds in excess.

    Parameters
    ----------
    missing, unexpected : list of str
        Parameter names from ``from_pretrained(..., output_loading_info=True)``.
    task : {"classification", "mlm"}
        The head that was built.
    head_in_folder : bool
        Whether the folder was saved with that head (config ``architectures``);
        without it, the fresh head's weights may be missing and the other
        task's head may be unused.
    """
    other = {"classification": "mlm", "mlm": "classification"}[task]
    may_miss = () if head_in_folder else OTHER_HEADS[task]
    missing = [m for m in missing if not m.startswith(may_miss) and not m.endswith(ALWAYS_IGNORED)]
    unexpected = [u for u in unexpected if not u.startswith(OTHER_HEADS[other]) and not u.endswith(ALWAYS_IGNORED)]
    for what, names in (("lacks", missing), ("holds unused", unexpected)):
        if names:
            shown = ", ".join(sorted(names)[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            raise error(
                f"{folder}: the weights file {what} weight(s) of the model config.json describes: {shown}; "
                "the checkpoint is incomplete or belongs to another config"
            )


def check_finite(model: torch.nn.Module, folder: Path, error=InputError) -> None:
    """Raise ``error`` naming the first weight with a NaN or infinite value."""
    for name, tensor in model.state_dict().items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise error(f"{folder}: weight {name} holds NaN or infinite values; the checkpoint is damaged")
