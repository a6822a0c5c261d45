"""Fine-tuning DNABERT-2 and Nucleotide Transformer checkpoints: their classifier, token rows, loss and saved folder.

:func:`dnabert.training.finetune.finetune` uses these for every family other than
DNABERT-1 (whose path is ``BertForSequenceClassification`` throughout):

- :func:`load_classifier`: the folder's encoder with a classification head
  for the given classes (a head of another size, or none, is replaced by a
  fresh one), dropout on the head;
- :func:`check_token_lengths`: every row must give 1..window tokens;
- :func:`token_rows`: ``prefix + tokens + suffix`` per sequence, as the
  model reads it (padding: :func:`dnabert.training.policy.pad_collate` with the
  tokenizer's pad id);
- :func:`classification_loss`: cross-entropy of the logits (the native
  DNABERT-2 module returns logits only), given to the Trainer;
- :func:`save_family_model`: the fine-tuned folder in the release's layout
  (``config.json`` with the class names, ``model.safetensors`` under the
  released parameter names, the tokenizer files copied from the source
  folder), so :func:`dnabert.loading.checkpoint.load_model` reads it back.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from dnabert.loading.checkpoint import LoadedModel, resolve_model_path
from dnabert.loading.checkpoint_checks import check_finite
from dnabert.errors import InputError
from dnabert.families.dna_tokenizers import DnaTokenizer
from dnabert.families.loading import DNABERT2, CheckpointError, load_family
from dnabert.outputs import atomic_path
from dnabert.training.tables import LabeledData

# tokenizer files a release carries next to its weights (whichever exist are copied)
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def load_classifier(model: str | Path, family: str, labels: list[str], head_dropout: float) -> LoadedModel:
    """A DNABERT-2 / NT folder (or hub id) with a classification head for ``labels``, ready to train.

    Parameters
    ----------
    model : str or Path
        Folder or hub id of that family.
    family : {"DNABERT-2", "NT v1", "NT v2"}
    labels : list of str
        Class names (index = class id).
    head_dropout : float
        Dropout before the classifier.
    """
    d = resolve_model_path(model)
    fm = load_family(d, family, "classification", labels=labels)
    check_finite(fm.model, d, CheckpointError)
    head = fm.model.dropout if family == DNABERT2 else fm.model.classifier.dropout
    head.p = head_dropout
    return LoadedModel(model=fm.model, k=None, labels=list(labels), path=d, tokenizer=fm.tokenizer, family=family)


def check_token_lengths(data: LabeledData, tokenizer: DnaTokenizer) -> None:
    """Every sequence must give 1..``tokenizer.window`` tokens (the model window); the error names the row."""
    for r, s in enumerate(data.seqs, start=1):
        n = len(tokenizer.tokenize(s)[0])
        if n < 1:
            raise InputError(f"{data.name}: data row {r} ({data.ids[r - 1]}) is empty: it has no token")
        if n > tokenizer.window:
            raise InputError(
                f"{data.name}: data row {r} ({data.ids[r - 1]}) has length {len(s)} bp = {n} {tokenizer.name} tokens, more "
                f"than the model window of {tokenizer.window} tokens; split long sequences into windows before fine-tuning"
            )


def token_rows(seqs: list[str], tokenizer: DnaTokenizer) -> list[np.ndarray]:
    """Model input ids of each sequence, special tokens included, unpadded: list of (T_i,) int64."""
    rows = []
    for s in seqs:
        ids, mask = tokenizer.batch([tokenizer.tokenize(s)[0]])
        rows.append(ids[0, : mask.sum()])
    return rows


def classification_loss(outputs, labels: torch.Tensor, num_items_in_batch: int | None = None) -> torch.Tensor:
    """Mean cross-entropy of ``outputs.logits`` (B, C) against class ids ``labels`` (B,) (the Trainer's ``compute_loss_func``)."""
    loss = torch.nn.functional.cross_entropy(outputs.logits.float(), labels, reduction="sum")
    return loss / (num_items_in_batch if num_items_in_batch else len(labels))


def save_family_model(model: torch.nn.Module, source: Path, out: str | Path, labels: list[str]) -> Path:
    """Write a fine-tuned DNABERT-2 / NT classifier as a folder in its release's layout (atomically).

    Parameters
    ----------
    model : torch.nn.Module
        From :func:`load_classifier`, trained.
    source : Path
        The folder it was loaded from (its tokenizer files are copied).
    out : str or Path
        New folder (the caller has checked it may be written).
    labels : list of str
        Class names, stored as ``id2label`` / ``label2id``.
    """
    out = Path(out)
    config = model.config.to_dict()
    config = {k: v for k, v in config.items() if not k.startswith("_")}
    config |= {
        "architectures": [type(model).__name__.replace("Dnabert2", "Bert")],
        "id2label": {str(i): lab for i, lab in enumerate(labels)},
        "label2id": {lab: i for i, lab in enumerate(labels)},
    }
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(out) as tmp:
        tmp.mkdir()
        (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n")
        save_file(state, tmp / "model.safetensors", metadata={"format": "pt"})
        for name in TOKENIZER_FILES:
            if (source / name).is_file():
                shutil.copyfile(source / name, tmp / name)
    return out
