"""Loading and saving checkpoint folders (DNABERT-1 here; other families via :mod:`dnabert.families`).

A model source is a folder, ``"demo"``, or a Hugging Face model id resolved
through the local cache (:mod:`dnabert.loading.hub`). :func:`load_model` detects the
family of the folder (:func:`dnabert.families.loading.detect_family`):
DNABERT-2 and Nucleotide Transformer folders are loaded by
:func:`dnabert.families.loading.load_family`; DNABERT-1 as below.

A DNABERT-1 checkpoint folder holds ``config.json``, ``vocab.txt`` and the weights, either
``model.safetensors`` (folders this project saves) or ``pytorch_model.bin``
(the original DNABERT-3/4/5/6 releases, saved by old transformers). ``.bin``
files are read with ``torch.load(weights_only=True)`` only: no arbitrary
unpickling. ``trust_remote_code`` is never used.

k is inferred from the vocabulary size (69, 261, 1029, 4101 -> k = 3..6) and
the vocabulary must be the DNABERT one line by line. A ``do_lower_case: true``
in an original ``tokenizer_config.json`` is ignored (lower-casing would turn
every k-mer into [UNK]).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import torch
from transformers import BertConfig, BertForMaskedLM, BertForSequenceClassification
from transformers.utils import logging as hf_logging

from dnabert.loading.checkpoint_checks import check_config, check_finite, check_loaded_weights
from dnabert.errors import InputError, one_line
from dnabert.families.dna_tokenizers import DnaTokenizer, kmer_tokenizer
from dnabert.families.loading import (
    DNABERT1,
    CheckpointError,
    choose_window,
    detect_family,
    folder_errors,
    load_family,
    read_raw_config,
)
from dnabert.loading.hub import resolve_source
from dnabert.families.kmer import read_vocab_k, save_tokenizer
from dnabert.outputs import atomic_path

# package data of ``dnabert``, in a checkout and in an installed wheel alike (wheels install unzipped, so it is a folder)
DEMO_MODEL_DIR = Path(str(resources.files("dnabert") / "demo_model"))
hf_logging.disable_progress_bar()
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


@dataclass
class LoadedModel:
    """A model of any family ready for inference.

    Attributes
    ----------
    model : torch.nn.Module
        In eval mode, eager attention (so attention weights can be read):
        BertForSequenceClassification / BertForMaskedLM for DNABERT-1, the
        modules of :mod:`dnabert.families` for the others.
    k : int or None
        k-mer size of a DNABERT-1 vocabulary; None for other families.
    labels : list[str]
        Class names, index = class id (``["0", "1"]`` when the config has none).
    path : Path
        The folder it was loaded from.
    pretrained_only : bool
        True when the folder holds a pre-trained (MLM) model and the
        classification head is freshly initialised: its predictions are meaningless.
    notes : list[str]
        Warnings for the user (fresh head, ignored tokenizer settings, ...).
    tokenizer : DnaTokenizer
        Token ids and the bases each token covers (default: DNABERT-1 k-mers).
    family : str
        "DNABERT-1", "DNABERT-2", "NT v1" or "NT v2".
    """

    model: torch.nn.Module
    k: int | None
    labels: list[str]
    path: Path
    pretrained_only: bool = False
    notes: list[str] = field(default_factory=list)
    tokenizer: DnaTokenizer | None = None
    family: str = DNABERT1

    def __post_init__(self):
        if self.tokenizer is None:
            self.tokenizer = kmer_tokenizer(self.k, self.model.config.max_position_embeddings)

    @property
    def window(self) -> int:
        """Most content tokens one forward pass takes (e.g. position embeddings minus [CLS], [SEP])."""
        return self.tokenizer.window

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device


def resolve_model_path(path: str | Path) -> Path:
    """``"demo"`` -> the embedded demo model folder; a hub id -> its cached snapshot; anything else -> that folder."""
    return DEMO_MODEL_DIR if str(path) == "demo" else resolve_source(path)


def read_config(path: str | Path, task: str = "classification") -> tuple[BertConfig, int]:
    """Validate a checkpoint folder and return its BERT config and k.

    Raises
    ------
    CheckpointError
        Missing folder, config, vocab or weights; an unreadable config; a
        vocabulary that is not DNABERT's; a config that fails
        :func:`dnabert.loading.checkpoint_checks.check_config`.
    """
    d = resolve_model_path(path)
    if d.is_file():
        raise CheckpointError(f"{d} is a file, not a model folder (a folder with config.json, vocab.txt and the weights)")
    if not d.is_dir():
        hint = " (the demo model has not been built: run `python -m dnabert demo-model`)" if str(path) == "demo" else ""
        raise CheckpointError(f"model folder {d} does not exist{hint}")
    cfg_path = d / "config.json"
    raw = read_raw_config(d)
    if raw.get("model_type", "bert") != "bert":
        raise CheckpointError(f"{cfg_path}: model_type is {raw['model_type']!r}; only BERT (DNABERT) checkpoints are supported")
    try:
        k = read_vocab_k(d)
    except ValueError as e:
        raise CheckpointError(str(e)) from None
    check_config(raw, cfg_path, 4**k + 5, task, CheckpointError, {"pad_token_id": (0, 4**k + 4)})
    config = BertConfig.from_dict(raw)
    if not any((d / f).is_file() for f in WEIGHT_FILES):
        raise CheckpointError(f"{d}: no weights; expected one of {', '.join(WEIGHT_FILES)}")
    return config, k


def load_model(
    path: str | Path = "demo", device: str | torch.device = "cpu", task: str = "classification", window: int | None = None
) -> LoadedModel:
    """Load a checkpoint of any family (original release or saved by this project).

    Parameters
    ----------
    path : str or Path
        A checkpoint folder, a Hugging Face model id (``owner/name``, through
        the cache), or ``"demo"`` for the embedded demo model.
    device : str or torch.device
    task : {"classification", "mlm"}
        Which head to load.
    window : int, optional
        Content tokens per forward pass; default the model's own (DNABERT-2:
        its training length; larger is allowed there thanks to ALiBi).

    Returns
    -------
    LoadedModel
        Eval mode, eager attention.
    """
    d = resolve_model_path(path)
    with folder_errors(d):
        family = detect_family(d) if (d / "config.json").is_file() else DNABERT1
        lm = _load_dnabert1(d, task, window) if family == DNABERT1 else _load_other_family(d, family, task, window)
    lm.model.to(device)
    return lm


def _load_dnabert1(d: Path, task: str, window: int | None) -> LoadedModel:
    """A DNABERT-1 folder -> LoadedModel on the CPU (checks in :func:`read_config` and :mod:`dnabert.loading.checkpoint_checks`)."""
    config, k = read_config(d, task)
    tokenizer = kmer_tokenizer(k, config.max_position_embeddings)
    tokenizer.window = choose_window(tokenizer.window, window, False, DNABERT1, d / "config.json")
    config._attn_implementation = "eager"
    notes: list[str] = []
    archs = config.architectures or []
    pretrained_only = task == "classification" and not any("SequenceClassification" in a for a in archs)
    if pretrained_only:
        notes.append(
            f"{d} holds a pre-trained model without a classification head: a fresh, untrained head was added, "
            "so its class probabilities are meaningless until it is fine-tuned (attention is still the model's)"
        )
    tok_cfg = d / "tokenizer_config.json"
    if tok_cfg.is_file() and '"do_lower_case": true' in tok_cfg.read_text().replace("True", "true"):
        notes.append("tokenizer_config.json says do_lower_case: true; ignored (k-mers are upper case)")
    cls = BertForSequenceClassification if task == "classification" else BertForMaskedLM
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model, info = cls.from_pretrained(
                d, config=config, local_files_only=True, attn_implementation="eager", output_loading_info=True
            )
    except Exception as e:  # any failure reading unknown weights is the file's fault: report it
        raise CheckpointError(
            f"{d}: the weights could not be loaded into a BERT with this config.json ({one_line(e)})"
        ) from None
    heads = ("SequenceClassification",) if task == "classification" else ("MaskedLM", "PreTraining")
    head_in_folder = any(h in a for h in heads for a in archs)
    check_loaded_weights(d, info["missing_keys"], info["unexpected_keys"], task, head_in_folder, CheckpointError)
    check_finite(model, d, CheckpointError)
    model.eval()
    return LoadedModel(
        model=model, k=k, labels=_labels(config), path=d, pretrained_only=pretrained_only, notes=notes, tokenizer=tokenizer
    )


def _labels(config) -> list[str]:
    """Class names from a config's id2label (``"0", "1", ...`` for the default LABEL_i names)."""
    n = config.num_labels
    id2label = config.id2label or {}
    labels = [str(id2label.get(i, id2label.get(str(i), i))) for i in range(n)]
    if all(lab.startswith("LABEL_") for lab in labels):
        labels = [str(i) for i in range(n)]
    return labels


def _load_other_family(d: Path, family: str, task: str, window: int | None) -> LoadedModel:
    """DNABERT-2 / Nucleotide Transformer folder -> LoadedModel on the CPU (see :mod:`dnabert.families.loading`)."""
    fm = load_family(d, family, task, window)
    check_finite(fm.model, d, CheckpointError)
    notes = []
    if fm.head_missing:
        head = "classification" if task == "classification" else "masked-language-model"
        notes.append(
            f"{d} holds a {family} model without a {head} head: a fresh, untrained head was added, "
            "so its outputs are meaningless until it is fine-tuned (attention is still the model's)"
        )
    if fm.ignored:
        notes.append(
            f"ignored {len(fm.ignored)} tensor(s) that {family}'s released code creates but never uses: {', '.join(fm.ignored)}"
        )
    return LoadedModel(
        model=fm.model,
        k=None,
        labels=_labels(fm.model.config),
        path=d,
        pretrained_only=fm.head_missing and task == "classification",
        notes=notes,
        tokenizer=fm.tokenizer,
        family=family,
    )


def save_model(
    model: torch.nn.Module, k: int, out_dir: str | Path, labels: list[str] | None = None, overwrite: bool = False
) -> Path:
    """Save a model as a self-contained DNABERT folder (safetensors + vocab.txt + configs).

    The folder is written under a temporary name and renamed when complete.

    Parameters
    ----------
    model : BertForSequenceClassification or BertForMaskedLM
    k : int
    out_dir : str or Path
    labels : list of str, optional
        Class names (index = class id), stored as ``id2label`` in config.json.
    overwrite : bool
        Replace an existing folder; otherwise an existing folder is an error.
    """
    out = Path(out_dir)
    if out.exists() and not overwrite:
        raise InputError(f"output folder {out} exists; choose another or pass --overwrite")
    if labels is not None:
        model.config.id2label = dict(enumerate(labels))
        model.config.label2id = {lab: i for i, lab in enumerate(labels)}
    with atomic_path(out) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        save_tokenizer(tmp, k, model.config.max_position_embeddings)
    return out
