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

Before anything is built, config.json passes
:func:`dnabert.loading.checkpoint_checks.check_config` with the family's own keys
(:func:`family_ranges`), the model window is at most ``DNABERT_MAX_WINDOW``
tokens, and the tokenizer file is read and checked against the embedding size.

DNABERT-2 and NT weights are read with safetensors (one file, or the shards an
index names, each inside the folder) or ``torch.load(weights_only=True)`` into
the modules of :mod:`dnabert.families.dnabert2` /
:mod:`dnabert.families.nucleotide_transformer`; every parameter must be present
with its released name and shape, except a task head the checkpoint does not
have (then a fresh head is added and said so). Tensors the family's released
code creates but never uses (:data:`RELEASED_UNUSED`) are ignored, and named in
a note; any other extra tensor is refused.

Any failure while reading a folder is a :class:`CheckpointError`, one line
naming the file (:func:`folder_errors`).
"""

from __future__ import annotations

import json
import pickle
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn
from transformers import BertConfig, EsmConfig

from dnabert import limits
from dnabert.loading.checkpoint_checks import DEFAULTS, check_config
from dnabert.errors import InputError, one_line
from dnabert.families import dnabert2, nucleotide_transformer
from dnabert.families.dna_tokenizers import DnaTokenizer, bpe_tokenizer, sixmer_tokenizer

DNABERT1, DNABERT2, NT1, NT2 = "DNABERT-1", "DNABERT-2", "NT v1", "NT v2"
FAMILIES = (DNABERT1, DNABERT2, NT1, NT2)
# non-parameter tensors some releases store; recomputed here
IGNORED_KEYS = ("position_ids", "token_type_ids", "rotary_embeddings.inv_freq")
UNUSED_MODULES = ("esm.contact_head.",)  # ESM's protein contact head: unused, absent from some releases
# tensors a family's released code creates but never uses: ignored when present (and said so)
RELEASED_UNUSED = {
    # NT v2 was saved by transformers 4.3x, whose EsmEmbeddings always creates absolute position
    # embeddings, even with rotary positions, where the forward pass does not read them
    NT2: ("esm.embeddings.position_embeddings.weight",),
}
SAFETENSORS_HEADER_MAX = 100_000_000  # bytes; the safetensors format's own limit
# task -> prefixes of its own head, and of the other task's head (ignored)
HEADS = {
    DNABERT2: {"classification": ("bert.pooler.", "classifier."), "mlm": ("cls.",)},
    NT1: {"classification": ("classifier.",), "mlm": ("lm_head.",)},
}
HEADS[NT2] = HEADS[NT1]


class CheckpointError(InputError):
    """A model folder that cannot be loaded: the message names the file and the problem."""


@contextmanager
def folder_errors(d: Path):
    """Turn any failure while reading the model folder ``d`` into a one-line :class:`CheckpointError` naming it.

    The specific checks name the file and the key; this catches what they do not
    foresee, so a broken folder never shows a traceback.
    """
    try:
        yield
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - whatever a broken folder makes a reader raise
        raise CheckpointError(f"{d}: cannot be read as a model folder ({type(e).__name__}: {one_line(e)})") from None


def read_raw_config(d: Path) -> dict:
    """``config.json`` of a folder as a dict (CheckpointError if missing or not JSON)."""
    path = d / "config.json"
    if not path.is_file():
        raise CheckpointError(f"{path}: missing; a model folder needs config.json")
    try:
        raw = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise CheckpointError(f"{path}: not valid JSON ({one_line(e)})") from None
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


def _safetensors(path: Path) -> dict[str, torch.Tensor]:
    """One safetensors file, its header checked against the file size first (a truncated file or an absurd length)."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(8)
    n = int.from_bytes(head, "little") if len(head) == 8 else -1
    if n < 2 or n > min(size - 8, SAFETENSORS_HEADER_MAX):
        raise CheckpointError(
            f"{path}: not a complete safetensors file (a {size}-byte file whose header says {n} bytes of metadata)"
        )
    try:
        return load_file(path)
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"{path}: not a readable safetensors file ({one_line(e)})") from None


def shard_paths(d: Path, index: Path) -> list[Path]:
    """The shard files ``model.safetensors.index.json`` names, each a file inside ``d`` (else CheckpointError)."""
    try:
        raw = json.loads(index.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise CheckpointError(f"{index}: not valid JSON ({one_line(e)})") from None
    weight_map = raw.get("weight_map") if isinstance(raw, dict) else None
    if not isinstance(weight_map, dict) or not weight_map or not all(isinstance(v, str) for v in weight_map.values()):
        raise CheckpointError(f"{index}: expected an object with a weight_map of tensor name -> shard file name")
    inside = d.resolve()
    paths = []
    for name in sorted(set(weight_map.values())):
        path = d / name
        if Path(name).is_absolute() or not path.resolve().is_relative_to(inside):
            raise CheckpointError(f"{index}: shard {name!r} is outside the model folder; shards must be files inside it")
        if not path.is_file():
            raise CheckpointError(f"{index}: shard {name!r} is not a file in {d}")
        paths.append(path)
    return paths


def read_state_dict(d: Path) -> dict[str, torch.Tensor]:
    """Weights of a folder: ``model.safetensors`` (or its sharded index) or ``pytorch_model.bin`` (weights only)."""
    index = d / "model.safetensors.index.json"
    if (d / "model.safetensors").is_file():
        return _safetensors(d / "model.safetensors")
    if index.is_file():
        return {k: v for s in shard_paths(d, index) for k, v in _safetensors(s).items()}
    if (d / "pytorch_model.bin").is_file():
        path = d / "pytorch_model.bin"
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except (pickle.UnpicklingError, OSError, ValueError, RuntimeError, EOFError) as e:
            raise CheckpointError(
                f"{path}: not a weights-only PyTorch file ({one_line(e, 200)}); only tensors are read, never code"
            ) from None
        if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
            raise CheckpointError(f"{path}: expected a dictionary of tensor name -> tensor")
        return state
    raise CheckpointError(f"{d}: no weights; expected model.safetensors or pytorch_model.bin")


def _modern_name(key: str) -> str:
    """LayerNorm ``gamma`` / ``beta`` (the names transformers 5 writes for ESM) -> ``weight`` / ``bias``."""
    for old, new in ((".gamma", ".weight"), (".beta", ".bias")):
        if key.endswith(old):
            return key[: -len(old)] + new
    return key


def load_weights(model: nn.Module, state: dict[str, torch.Tensor], family: str, task: str, d: Path) -> tuple[bool, list[str]]:
    """Copy released weights into ``model``.

    Returns
    -------
    head_missing : bool
        The task head was missing (a fresh head).
    ignored : list of str
        Tensors of :data:`RELEASED_UNUSED` the file holds, not loaded.

    Raises
    ------
    CheckpointError
        A body parameter missing, an unknown parameter, or a shape mismatch.
    """
    own = HEADS[family][task]
    other = HEADS[family]["mlm" if task == "classification" else "classification"]
    state = {_modern_name(k): v for k, v in state.items() if not k.endswith(IGNORED_KEYS) and not k.startswith(other)}
    own_names = model.state_dict().keys()
    ignored = sorted(k for k in state if k in RELEASED_UNUSED.get(family, ()) and k not in own_names)
    state = {k: v for k, v in state.items() if k not in ignored}
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as e:
        raise CheckpointError(f"{d}: the weights do not fit a {family} model with this config.json ({one_line(e)})") from None
    tied = "cls.predictions.decoder.weight"  # DNABERT-2: the decoder shares the word embeddings
    missing = [k for k in missing if k != tied and not k.endswith(IGNORED_KEYS) and not k.startswith(UNUSED_MODULES)]
    body_missing = [k for k in missing if not k.startswith(own)]
    if body_missing or unexpected:
        raise CheckpointError(
            f"{d}: not a {family} checkpoint in the released layout; "
            f"missing {body_missing[:5]} ({len(body_missing)}), unexpected {unexpected[:5]} ({len(unexpected)})"
        )
    return bool(missing), ignored


@dataclass
class FamilyModel:
    """A loaded encoder with its tokenizer; ``ignored``: released tensors its code never uses (not loaded)."""

    model: nn.Module
    tokenizer: DnaTokenizer
    head_missing: bool
    ignored: list[str] = field(default_factory=list)


def choose_window(default: int, window: int | None, extendable: bool, family: str, config: Path | None = None) -> int:
    """The model window in content tokens: ``default`` unless a valid ``window`` is asked for (at most ``DNABERT_MAX_WINDOW``).

    ``config``: the config.json that gives ``default``, named when it is over the limit.
    """
    cap = limits.MAX_WINDOW
    if default > cap:
        raise CheckpointError(
            f"{config or family}: gives a {family} window of {default} tokens, over the limit of {cap} tokens "
            "(DNABERT_MAX_WINDOW); raise the limit to load it"
        )
    if window is None:
        return default
    top = cap if extendable else default
    if window < 1 or window > top:
        raise CheckpointError(f"window {window} is not possible for {family}: choose 1..{top} tokens")
    return window


def family_ranges(family: str, raw: dict) -> dict[str, tuple[int, int]]:
    """The family's own integer config keys -> (lowest, highest), checked before the model is built.

    DNABERT-2: ``alibi_starting_size`` (its training length: a window of it minus
    [CLS], [SEP], at most ``DNABERT_MAX_WINDOW``). Both: the token ids inside the
    vocabulary. NT: positions for [CLS] and at least one token after the padding index.
    """
    vocab = raw.get("vocab_size")
    top = vocab - 1 if isinstance(vocab, int) and not isinstance(vocab, bool) and vocab > 0 else 0
    ranges = {"pad_token_id": (0, top)}
    if family == DNABERT2:
        return ranges | {"alibi_starting_size": (3, limits.MAX_WINDOW + 2)}
    pad = raw.get("pad_token_id")
    low = pad + 3 if isinstance(pad, int) and not isinstance(pad, bool) and 0 <= pad <= top else 3
    return ranges | {"mask_token_id": (0, top), "max_position_embeddings": (low, 65536)}


def check_family_config(raw: dict, cfg_path: Path, family: str, task: str) -> None:
    """Raise CheckpointError for a DNABERT-2 / NT config.json that would build a wrong or huge model (one line, naming the key)."""
    needed = [key for key in ("vocab_size", "pad_token_id") if raw.get(key) is None]
    if family != DNABERT2 and needed:
        raise CheckpointError(f"{cfg_path}: no {needed[0]}; a Nucleotide Transformer config names it")
    check_config(raw, cfg_path, None, task, CheckpointError, family_ranges(family, raw))
    if family != DNABERT2:
        for key in ("emb_layer_norm_before", "token_dropout", "add_bias_fnn"):
            if key in raw and raw[key] is not None and not isinstance(raw[key], bool):
                raise CheckpointError(f"{cfg_path}: {key} is {raw[key]!r}; expected true or false")
        kind = raw.get("position_embedding_type", "absolute")
        if kind not in ("absolute", "rotary"):
            raise CheckpointError(f"{cfg_path}: position_embedding_type is {kind!r}; expected 'absolute' or 'rotary'")


def _tokenizer(d: Path, family: str, raw: dict, window: int | None) -> DnaTokenizer:
    """The folder's tokenizer for a model window (DNABERT-2: tokenizer.json; NT: vocab.txt), checked against config.json."""
    if family == DNABERT2:
        path = d / "tokenizer.json"
        if not path.is_file():
            raise CheckpointError(f"{path}: missing; a DNABERT-2 folder needs its BPE tokenizer.json")
        train_len = raw.get("alibi_starting_size", raw.get("max_position_embeddings", 512))
        size = choose_window(train_len - 2, window, True, family, d / "config.json")
    else:
        path = d / "vocab.txt"
        if not path.is_file():
            raise CheckpointError(f"{path}: missing; a Nucleotide Transformer folder needs its vocab.txt")
        # ESM positions start after the padding index; [CLS] takes one
        default = raw.get("max_position_embeddings", 512) - raw["pad_token_id"] - 2
        size = choose_window(default, window, False, family, d / "config.json")
    try:
        tokenizer = bpe_tokenizer(path, size) if family == DNABERT2 else sixmer_tokenizer(path, size)
    except InputError as e:
        raise CheckpointError(str(e)) from None
    except Exception as e:  # noqa: BLE001 - tokenizers raises a bare Exception for a file it cannot parse
        raise CheckpointError(f"{path}: not a readable tokenizer file ({one_line(e)})") from None
    vocab_size = raw.get("vocab_size", DEFAULTS["vocab_size"])
    if tokenizer.vocab_size > vocab_size:
        raise CheckpointError(
            f"{path}: the tokenizer has {tokenizer.vocab_size} tokens but config.json says vocab_size {vocab_size}; "
            "the tokenizer and the weights belong to different models"
        )
    if family != DNABERT2 and tokenizer.vocab_size != vocab_size:
        raise CheckpointError(
            f"{path}: {tokenizer.vocab_size} tokens but config.json says vocab_size {vocab_size} (the embedding rows); "
            "a Nucleotide Transformer vocabulary has one line per embedding row"
        )
    return tokenizer


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
        (``alibi_starting_size`` minus [CLS] and [SEP]; ALiBi allows more, up to
        ``DNABERT_MAX_WINDOW``); for NT, the positions the model has minus [CLS].
    labels : list of str, optional
        Fine-tuning: a classification head for these classes (a head of
        another size in the folder is replaced by a fresh one).

    Raises
    ------
    CheckpointError
        One line naming the file and what is wrong, for any failure.
    """
    from dnabert.families.registry import REGISTERED

    if family in REGISTERED:
        return REGISTERED[family].load(d, task, window, labels)
    with folder_errors(d):
        raw = read_raw_config(d)
        check_family_config(raw, d / "config.json", family, task if labels is None else "mlm")
        if labels is not None:
            raw = {k: v for k, v in raw.items() if k != "num_labels"}
            raw |= {"id2label": dict(enumerate(labels)), "label2id": {lab: i for i, lab in enumerate(labels)}}
        tokenizer = _tokenizer(d, family, raw, window)
        if family == DNABERT2:
            cls = dnabert2.Dnabert2ForSequenceClassification if task == "classification" else dnabert2.Dnabert2ForMaskedLM
            model = cls(BertConfig.from_dict(raw))
        else:
            model = nucleotide_transformer.build_esm(EsmConfig.from_dict(raw), task)
        state = read_state_dict(d)
        if labels is not None:
            own = model.state_dict()
            head = HEADS[family][task]
            state = {k: v for k, v in state.items() if not (k.startswith(head) and k in own and own[k].shape != v.shape)}
        head_missing, ignored = load_weights(model, state, family, task, d)
    return FamilyModel(model=model.eval(), tokenizer=tokenizer, head_missing=head_missing, ignored=ignored)


def self_attention_modules(model: nn.Module) -> list[nn.Module]:
    """Each layer's self-attention module (forward output: ``(context, probabilities (B, H, T, T))``)."""
    body = model.bert if hasattr(model, "bert") else model.esm
    return [layer.attention.self for layer in body.encoder.layer]


def word_embeddings(model: nn.Module) -> nn.Embedding:
    """The token embedding table of a model of any family (``bert`` or ``esm`` body)."""
    body = model.bert if hasattr(model, "bert") else model.esm
    return body.embeddings.word_embeddings
