"""Which family a checkpoint folder belongs to, and loading the non-DNABERT-1 families.

Detection (from ``config.json`` and the tokenizer files):

=====================  ==========================================================
family                 folder
=====================  ==========================================================
DNABERT-1              ``model_type: bert`` and a k-mer ``vocab.txt`` (k = 3..6)
DNABERT-2              ``model_type: bert`` with ``alibi_starting_size`` (or a
                       ``tokenizer.json`` and no ``vocab.txt``)
NT v1                  ``model_type: esm`` (or an ESM ``auto_map``), feed-forward
                       with biases
NT v2                  the same with ``add_bias_fnn: false``
=====================  ==========================================================

DNABERT-2 and NT weights are read with safetensors or
``torch.load(weights_only=True)`` into the modules of
:mod:`dnabert.families.dnabert2` / :mod:`dnabert.families.nucleotide_transformer`;
every parameter must be present with its released name and shape, except a
task head the checkpoint does not have (then a fresh head is added and said so).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn
from transformers import BertConfig, EsmConfig

from dnabert.errors import InputError
from dnabert.families import dnabert2, nucleotide_transformer
from dnabert.families.dna_tokenizers import DnaTokenizer, bpe_tokenizer, sixmer_tokenizer

DNABERT1, DNABERT2, NT1, NT2 = "DNABERT-1", "DNABERT-2", "NT v1", "NT v2"
FAMILIES = (DNABERT1, DNABERT2, NT1, NT2)
# non-parameter tensors some releases store; recomputed here
IGNORED_KEYS = ("position_ids", "token_type_ids", "rotary_embeddings.inv_freq")
UNUSED_MODULES = ("esm.contact_head.",)  # ESM's protein contact head: unused, absent from some releases
# task -> prefixes of its own head, and of the other task's head (ignored)
HEADS = {
    DNABERT2: {"classification": ("bert.pooler.", "classifier."), "mlm": ("cls.",)},
    NT1: {"classification": ("classifier.",), "mlm": ("lm_head.",)},
}
HEADS[NT2] = HEADS[NT1]


class CheckpointError(InputError):
    """A model folder that cannot be loaded: the message names the file and the problem."""


def read_raw_config(d: Path) -> dict:
    """``config.json`` of a folder as a dict (CheckpointError if missing or not JSON)."""
    path = d / "config.json"
    if not path.is_file():
        raise CheckpointError(f"{path}: missing; a model folder needs config.json")
    try:
        raw = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(raw, dict):
        raise CheckpointError(f"{path}: expected a JSON object with the model settings, got a JSON {type(raw).__name__}")
    return raw


def detect_family(d: Path) -> str:
    """The family of a checkpoint folder: a registered one (:mod:`dnabert.families.registry`), else one of :data:`FAMILIES`."""
    raw = read_raw_config(d)
    from dnabert.families.registry import registered_family  # families added from outside come first

    if (added := registered_family(raw, d)) is not None:
        return added
    model_type = raw.get("model_type")
    esm_auto = "esm" in json.dumps(raw.get("auto_map", {})).lower()
    if model_type == "esm" or (model_type is None and esm_auto):
        return NT2 if raw.get("add_bias_fnn", True) is False else NT1
    if model_type in (None, "bert"):
        if "alibi_starting_size" in raw or ((d / "tokenizer.json").is_file() and not (d / "vocab.txt").is_file()):
            return DNABERT2
        return DNABERT1
    raise CheckpointError(
        f"{d / 'config.json'}: model_type is {model_type!r}; only BERT (DNABERT) checkpoints are supported "
        "(DNABERT-1, DNABERT-2) and ESM ones (Nucleotide Transformer v1, v2)"
    )


def read_state_dict(d: Path) -> dict[str, torch.Tensor]:
    """Weights of a folder: ``model.safetensors`` (or its sharded index) or ``pytorch_model.bin`` (weights only)."""
    index = d / "model.safetensors.index.json"
    if (d / "model.safetensors").is_file():
        return load_file(d / "model.safetensors")
    if index.is_file():
        shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        return {k: v for s in shards for k, v in load_file(d / s).items()}
    if (d / "pytorch_model.bin").is_file():
        return torch.load(d / "pytorch_model.bin", map_location="cpu", weights_only=True)
    raise CheckpointError(f"{d}: no weights; expected model.safetensors or pytorch_model.bin")


def _modern_name(key: str) -> str:
    """LayerNorm ``gamma`` / ``beta`` (the names transformers 5 writes for ESM) -> ``weight`` / ``bias``."""
    for old, new in ((".gamma", ".weight"), (".beta", ".bias")):
        if key.endswith(old):
            return key[: -len(old)] + new
    return key


def load_weights(model: nn.Module, state: dict[str, torch.Tensor], family: str, task: str, d: Path) -> bool:
    """Copy released weights into ``model``; True when the task head was missing (fresh head).

    Raises
    ------
    CheckpointError
        A body parameter missing, an unknown parameter, or a shape mismatch.
    """
    own = HEADS[family][task]
    other = HEADS[family]["mlm" if task == "classification" else "classification"]
    state = {_modern_name(k): v for k, v in state.items() if not k.endswith(IGNORED_KEYS) and not k.startswith(other)}
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as e:
        raise CheckpointError(f"{d}: the weights do not fit a {family} model with this config.json ({str(e)[:300]})") from None
    tied = "cls.predictions.decoder.weight"  # DNABERT-2: the decoder shares the word embeddings
    missing = [k for k in missing if k != tied and not k.endswith(IGNORED_KEYS) and not k.startswith(UNUSED_MODULES)]
    body_missing = [k for k in missing if not k.startswith(own)]
    if body_missing or unexpected:
        raise CheckpointError(
            f"{d}: not a {family} checkpoint in the released layout; "
            f"missing {body_missing[:5]} ({len(body_missing)}), unexpected {unexpected[:5]} ({len(unexpected)})"
        )
    return bool(missing)


@dataclass
class FamilyModel:
    """A loaded encoder with its tokenizer."""

    model: nn.Module
    tokenizer: DnaTokenizer
    head_missing: bool


def choose_window(default: int, window: int | None, extendable: bool, family: str) -> int:
    """The model window in content tokens: ``default`` unless a valid ``window`` is asked for."""
    if window is None:
        return default
    if window < 1 or (window > default and not extendable):
        raise CheckpointError(f"window {window} is not possible for {family}: choose 1..{default} tokens")
    return window


def load_family(d: Path, family: str, task: str, window: int | None = None, labels: list[str] | None = None) -> FamilyModel:
    """Build and load a DNABERT-2 or Nucleotide Transformer folder (eval mode, CPU).

    Parameters
    ----------
    d : Path
        Checkpoint folder in the released layout.
    family : {"DNABERT-2", "NT v1", "NT v2"}
    task : {"classification", "mlm"}
    window : int, optional
        Content tokens per forward pass. Default: DNABERT-2's training length
        (``alibi_starting_size`` minus [CLS] and [SEP]; ALiBi allows more);
        for NT, the positions the model has minus [CLS].
    labels : list of str, optional
        Fine-tuning: a classification head for these classes (a head of
        another size in the folder is replaced by a fresh one).
    """
    from dnabert.families.registry import REGISTERED

    if family in REGISTERED:
        return REGISTERED[family].load(d, task, window, labels)
    raw = read_raw_config(d)
    if labels is not None:
        raw = {k: v for k, v in raw.items() if k != "num_labels"}
        raw |= {"id2label": dict(enumerate(labels)), "label2id": {lab: i for i, lab in enumerate(labels)}}
    if family == DNABERT2:
        config = BertConfig.from_dict(raw)
        train_len = int(raw.get("alibi_starting_size", config.max_position_embeddings))
        model = (dnabert2.Dnabert2ForSequenceClassification if task == "classification" else dnabert2.Dnabert2ForMaskedLM)(config)
        tok_path = d / "tokenizer.json"
        if not tok_path.is_file():
            raise CheckpointError(f"{tok_path}: missing; a DNABERT-2 folder needs its BPE tokenizer.json")
        tokenizer = bpe_tokenizer(tok_path, choose_window(train_len - 2, window, True, family))
    else:
        config = EsmConfig.from_dict(raw)
        model = nucleotide_transformer.build_esm(config, task)
        vocab = d / "vocab.txt"
        if not vocab.is_file():
            raise CheckpointError(f"{vocab}: missing; a Nucleotide Transformer folder needs its vocab.txt")
        # ESM positions start after the padding index; [CLS] takes one
        default = config.max_position_embeddings - config.pad_token_id - 2
        tokenizer = sixmer_tokenizer(vocab, choose_window(default, window, False, family))
    try:
        state = read_state_dict(d)
        if labels is not None:
            own = model.state_dict()
            head = HEADS[family][task]
            state = {k: v for k, v in state.items() if not (k.startswith(head) and k in own and own[k].shape != v.shape)}
        head_missing = load_weights(model, state, family, task, d)
    except (OSError, ValueError, RuntimeError) as e:
        if isinstance(e, CheckpointError):
            raise
        raise CheckpointError(f"{d}: the weights could not be read ({str(e)[:300]})") from None
    if tokenizer.vocab_size > config.vocab_size:
        raise CheckpointError(
            f"{d}: the tokenizer has {tokenizer.vocab_size} tokens but config.json says vocab_size {config.vocab_size}; "
            "the tokenizer and the weights belong to different models"
        )
    return FamilyModel(model=model.eval(), tokenizer=tokenizer, head_missing=head_missing)


def self_attention_modules(model: nn.Module) -> list[nn.Module]:
    """Each layer's self-attention module (forward output: ``(context, probabilities (B, H, T, T))``)."""
    body = model.bert if hasattr(model, "bert") else model.esm
    return [layer.attention.self for layer in body.encoder.layer]


def word_embeddings(model: nn.Module) -> nn.Embedding:
    """The token embedding table of a model of any family (``bert`` or ``esm`` body)."""
    body = model.bert if hasattr(model, "bert") else model.esm
    return body.embeddings.word_embeddings
