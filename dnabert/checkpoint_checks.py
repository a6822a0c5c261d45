"""Checks that keep a checkpoint folder from loading as a silently wrong model.

* :func:`check_config`: config.json is a JSON object with integer sizes in sane
  ranges, at least two unique class names, and the vocabulary size of vocab.txt,
  before any model is built (a huge layer count would run for minutes; two
  position embeddings leave no room for a k-mer).
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
# weights a folder may lack (and hold extra) when it is loaded for another task than it was saved for
OTHER_HEADS = {"classification": ("classifier.", "bert.pooler."), "mlm": ("cls.",)}
ALWAYS_IGNORED = ("position_ids",)  # a buffer older transformers saved; rebuilt on load


def check_config(raw: object, cfg_path: Path, vocab_size: int, task: str, error=InputError) -> None:
    """Raise ``error`` (one line naming ``cfg_path`` and the key) for a config that would build a wrong model.

    Parameters
    ----------
    raw : object
        The parsed config.json.
    vocab_size : int
        Lines of the folder's vocab.txt.
    task : {"classification", "mlm"}
    """
    if not isinstance(raw, dict):
        raise error(f"{cfg_path}: expected a JSON object with the model settings, got a JSON {type(raw).__name__}")
    for key, (lo, hi) in SIZE_RANGES.items():
        if key not in raw:
            continue
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise error(f"{cfg_path}: {key} is {value!r}; expected an integer from {lo} to {hi}")
    hidden, heads = raw.get("hidden_size", 768), raw.get("num_attention_heads", 12)
    if hidden % heads:
        raise error(f"{cfg_path}: hidden_size {hidden} is not a multiple of num_attention_heads {heads}")
    if raw.get("vocab_size", vocab_size) != vocab_size:
        raise error(
            f"{cfg_path}: vocab_size is {raw['vocab_size']} but vocab.txt has {vocab_size} tokens; "
            "the config and the vocabulary belong to different models"
        )
    id2label = raw.get("id2label")
    if id2label is not None:
        if not isinstance(id2label, dict) or not id2label:
            raise error(f"{cfg_path}: id2label must be a non-empty object of class id -> name")
        names = [str(v) for v in id2label.values()]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup is not None:
            raise error(f"{cfg_path}: id2label names class {dup!r} more than once; class names must be unique")
    n_labels = raw.get("num_labels", len(id2label) if id2label else 2)
    if isinstance(n_labels, bool) or not isinstance(n_labels, int):
        raise error(f"{cfg_path}: num_labels is {n_labels!r}; expected an integer")
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
