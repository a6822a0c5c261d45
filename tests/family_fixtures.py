"""Tiny random checkpoints of DNABERT-2 and the Nucleotide Transformer in their released on-disk layouts.

Each builder writes what the release has: ``config.json`` with the release's
keys, weights under the released tensor names and shapes (every tensor of the
``state_dict()`` of a reference model rebuilt from the family's released
architecture, :mod:`family_references`, not taken from our modules), and the
tokenizer files (DNABERT-2: ``tokenizer.json``; NT: ``vocab.txt``). The weights
are returned too, so tests can recompute the forward pass directly from them.
"""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import torch
from family_references import dnabert2_reference, nt_reference, released_shapes
from safetensors.torch import save_file
from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
from transformers import EsmConfig, EsmForSequenceClassification

D, HEADS, LAYERS, INTER = 32, 4, 2, 40
LABELS = ["neg", "pos"]


def _random_state(shapes: dict[str, tuple[int, ...]], seed: int) -> dict[str, torch.Tensor]:
    """Random tensors, LayerNorm weights around 1 so every parameter matters."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, shape in shapes.items():
        t = torch.randn(shape, generator=g) * 0.3
        if "LayerNorm.weight" in name or "layernorm.weight" in name or "layer_norm" in name and name.endswith("weight"):
            t = 1.0 + 0.1 * t
        out[name] = t.contiguous()
    return out


def _save(path: Path, config: dict, state: dict[str, torch.Tensor], weights: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    if weights == "safetensors":
        save_file(state, path / "model.safetensors")
    else:
        torch.save(state, path / "pytorch_model.bin")


# ---------------------------------------------------------------- DNABERT-2


def dnabert2_tokenizer(path: Path, vocab_size: int = 40, seed: int = 0) -> Tokenizer:
    """A BPE tokenizer.json shaped like DNABERT-2's: 5 specials first, Whitespace pre-tokenizer, [CLS] $A [SEP]."""
    rng = np.random.default_rng(seed)
    corpus = ["".join(rng.choice(list("ACGT"), size=200)) for _ in range(50)] + ["ACGTN" * 20]
    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special, show_progress=False))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[(t, tok.token_to_id(t)) for t in ("[CLS]", "[SEP]")],
    )
    tok.save(str(path / "tokenizer.json"))
    (path / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 512})
    )
    return tok


def make_dnabert2(
    path: Path, head: str = "classification", alibi_starting_size: int = 64, seed: int = 0, weights: str = "safetensors"
) -> tuple[Path, dict[str, torch.Tensor]]:
    """A tiny DNABERT-2 folder; returns (path, weights by released name)."""
    path.mkdir(parents=True, exist_ok=True)
    tok = dnabert2_tokenizer(path, seed=seed)
    vocab = tok.get_vocab_size()
    config = {
        "_name_or_path": "zhihan1996/DNABERT-2-117M",
        "alibi_starting_size": alibi_starting_size,
        "architectures": ["BertForSequenceClassification" if head == "classification" else "BertForMaskedLM"],
        "attention_probs_dropout_prob": 0.0,
        "auto_map": {
            "AutoConfig": "configuration_bert.BertConfig",
            "AutoModel": "bert_layers.BertModel",
            "AutoModelForMaskedLM": "bert_layers.BertForMaskedLM",
            "AutoModelForSequenceClassification": "bert_layers.BertForSequenceClassification",
        },
        "classifier_dropout": None,
        "gradient_checkpointing": False,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": D,
        "initializer_range": 0.02,
        "intermediate_size": INTER,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512,
        "model_type": "bert",
        "num_attention_heads": HEADS,
        "num_hidden_layers": LAYERS,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        "transformers_version": "4.28.0",
        "type_vocab_size": 2,
        "use_cache": True,
        "vocab_size": vocab,
    }
    if head == "classification":
        config |= {"id2label": dict(enumerate(LABELS)), "label2id": {lab: i for i, lab in enumerate(LABELS)}}
    state = _random_state(released_shapes(dnabert2_reference(config, head)), seed)
    if head == "mlm":  # tied to the word embeddings, as released
        state["cls.predictions.decoder.weight"] = state["bert.embeddings.word_embeddings.weight"].clone()
    _save(path, config, state, weights)
    return path, state


# ------------------------------------------------------- Nucleotide Transformer


def nt_vocab() -> list[str]:
    """NT's vocab.txt order: 6 specials, the 4096 6-mers (A, T, C, G order), then single bases."""
    specials = ["<unk>", "<pad>", "<mask>", "<cls>", "<eos>", "<bos>"]
    return specials + ["".join(p) for p in itertools.product("ATCG", repeat=6)] + list("ATCGN")


def _nt_config(version: int) -> dict:
    cfg = {
        "architectures": ["EsmForSequenceClassification"],
        "attention_probs_dropout_prob": 0.0,
        "emb_layer_norm_before": False,
        "esmfold_config": None,
        "hidden_dropout_prob": 0.0,
        "hidden_size": D,
        "initializer_range": 0.02,
        "intermediate_size": INTER,
        "is_folding_model": False,
        "layer_norm_eps": 1e-12,
        "mask_token_id": 2,
        "model_type": "esm",
        "num_attention_heads": HEADS,
        "num_hidden_layers": LAYERS,
        "pad_token_id": 1,
        "token_dropout": False,
        "torch_dtype": "float32",
        "use_cache": False,
        "vocab_list": None,
        "vocab_size": len(nt_vocab()),
        "id2label": dict(enumerate(LABELS)),
        "label2id": {lab: i for i, lab in enumerate(LABELS)},
    }
    if version == 1:
        return cfg | {"max_position_embeddings": 50, "position_embedding_type": "absolute"}
    return cfg | {
        "add_bias_fnn": False,
        "auto_map": {
            "AutoConfig": "esm_config.EsmConfig",
            "AutoModelForMaskedLM": "modeling_esm.EsmForMaskedLM",
            "AutoModelForSequenceClassification": "modeling_esm.EsmForSequenceClassification",
        },
        "max_position_embeddings": 2050,
        "position_embedding_type": "rotary",
        "tie_word_embeddings": False,
    }


def _write_nt_tokenizer(path: Path) -> None:
    (path / "vocab.txt").write_text("\n".join(nt_vocab()) + "\n")
    (path / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 2048, "tokenizer_class": "EsmTokenizer"}))


def make_nt_v1(path: Path, seed: int = 0) -> Path:
    """A tiny NT v1 folder: transformers' own ESM (which is the v1 layout), its state_dict() as released.

    (transformers 5's ``save_pretrained`` would rename LayerNorm weights to gamma / beta; the release has weight / bias.)
    """
    torch.manual_seed(seed)
    cfg = _nt_config(1)
    model = EsmForSequenceClassification(EsmConfig.from_dict(cfg))
    _save(path, cfg, {k: v.contiguous() for k, v in model.state_dict().items()}, "safetensors")
    _write_nt_tokenizer(path)
    return path


def make_nt_v2(path: Path, seed: int = 0, head: str = "classification") -> tuple[Path, dict[str, torch.Tensor]]:
    """A tiny NT v2 folder (rotary, gated feed-forward without biases), a classifier or a masked LM; returns (path, weights)."""
    config = _nt_config(2)
    if head == "mlm":
        config = {k: v for k, v in config.items() if k not in ("id2label", "label2id")} | {"architectures": ["EsmForMaskedLM"]}
    reference = nt_reference(config, head)
    state = _random_state(released_shapes(reference), seed)
    for name, buffer in reference.named_buffers():  # each layer's rotary inv_freq: the release's values
        if name in state:
            state[name] = buffer.clone()
    _save(path, config, state, "safetensors")
    _write_nt_tokenizer(path)
    return path, state


# ----------------------------------------------------------------- hub cache


def put_in_hub_cache(cache: Path, repo_id: str, folder: Path, revision: str = "0123456789abcdef0123456789abcdef01234567") -> Path:
    """Copy ``folder`` into a Hugging Face hub cache as ``repo_id`` (models--org--name/snapshots/<rev>, refs/main)."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo / "snapshots" / revision
    shutil.copytree(folder, snapshot)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(revision)
    return snapshot
