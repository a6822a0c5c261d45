"""Tiny random checkpoints of DNABERT-2 and the Nucleotide Transformer in their released on-disk layouts.

Each builder writes what the release has: ``config.json`` with the release's
keys, weights under the released parameter names (listed here from the
release's layout, not taken from our modules), and the tokenizer files
(DNABERT-2: ``tokenizer.json``; NT: ``vocab.txt``). The weights are returned
too, so tests can recompute the forward pass directly from them.
"""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import torch
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


def dnabert2_shapes(vocab: int, head: str) -> dict[str, tuple[int, ...]]:
    """Released DNABERT-2 parameter names and shapes (zhihan1996/DNABERT-2-117M, MosaicML BERT)."""
    s = {
        "bert.embeddings.word_embeddings.weight": (vocab, D),
        "bert.embeddings.token_type_embeddings.weight": (2, D),
        "bert.embeddings.LayerNorm.weight": (D,),
        "bert.embeddings.LayerNorm.bias": (D,),
    }
    for i in range(LAYERS):
        p = f"bert.encoder.layer.{i}."
        s |= {
            p + "attention.self.Wqkv.weight": (3 * D, D),
            p + "attention.self.Wqkv.bias": (3 * D,),
            p + "attention.output.dense.weight": (D, D),
            p + "attention.output.dense.bias": (D,),
            p + "attention.output.LayerNorm.weight": (D,),
            p + "attention.output.LayerNorm.bias": (D,),
            p + "mlp.gated_layers.weight": (2 * INTER, D),
            p + "mlp.wo.weight": (D, INTER),
            p + "mlp.wo.bias": (D,),
            p + "mlp.layernorm.weight": (D,),
            p + "mlp.layernorm.bias": (D,),
        }
    if head == "classification":
        s |= {
            "bert.pooler.dense.weight": (D, D),
            "bert.pooler.dense.bias": (D,),
            "classifier.weight": (len(LABELS), D),
            "classifier.bias": (len(LABELS),),
        }
    else:
        s |= {
            "cls.predictions.transform.dense.weight": (D, D),
            "cls.predictions.transform.dense.bias": (D,),
            "cls.predictions.transform.LayerNorm.weight": (D,),
            "cls.predictions.transform.LayerNorm.bias": (D,),
            "cls.predictions.decoder.bias": (vocab,),
        }
    return s


def make_dnabert2(
    path: Path, head: str = "classification", alibi_starting_size: int = 64, seed: int = 0, weights: str = "safetensors"
) -> tuple[Path, dict[str, torch.Tensor]]:
    """A tiny DNABERT-2 folder; returns (path, weights by released name)."""
    path.mkdir(parents=True, exist_ok=True)
    tok = dnabert2_tokenizer(path, seed=seed)
    vocab = tok.get_vocab_size()
    state = _random_state(dnabert2_shapes(vocab, head), seed)
    if head == "mlm":
        state["cls.predictions.decoder.weight"] = state["bert.embeddings.word_embeddings.weight"].clone()
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
    """A tiny NT v1 folder, saved by transformers' own ESM (which is the v1 layout)."""
    torch.manual_seed(seed)
    cfg = _nt_config(1)
    model = EsmForSequenceClassification(EsmConfig.from_dict(cfg))
    model.save_pretrained(path, safe_serialization=True)
    _write_nt_tokenizer(path)
    return path


def nt_v2_shapes() -> dict[str, tuple[int, ...]]:
    """Released NT v2 parameter names and shapes (InstaDeepAI/nucleotide-transformer-v2-50m-multi-species)."""
    s = {"esm.embeddings.word_embeddings.weight": (len(nt_vocab()), D)}
    for i in range(LAYERS):
        p = f"esm.encoder.layer.{i}."
        s |= {
            p + "attention.self.query.weight": (D, D),
            p + "attention.self.query.bias": (D,),
            p + "attention.self.key.weight": (D, D),
            p + "attention.self.key.bias": (D,),
            p + "attention.self.value.weight": (D, D),
            p + "attention.self.value.bias": (D,),
            p + "attention.output.dense.weight": (D, D),
            p + "attention.output.dense.bias": (D,),
            p + "attention.LayerNorm.weight": (D,),
            p + "attention.LayerNorm.bias": (D,),
            p + "intermediate.dense.weight": (2 * INTER, D),
            p + "output.dense.weight": (D, INTER),
            p + "LayerNorm.weight": (D,),
            p + "LayerNorm.bias": (D,),
        }
    s |= {
        "esm.encoder.emb_layer_norm_after.weight": (D,),
        "esm.encoder.emb_layer_norm_after.bias": (D,),
        "classifier.dense.weight": (D, D),
        "classifier.dense.bias": (D,),
        "classifier.out_proj.weight": (len(LABELS), D),
        "classifier.out_proj.bias": (len(LABELS),),
    }
    return s


def make_nt_v2(path: Path, seed: int = 0) -> tuple[Path, dict[str, torch.Tensor]]:
    """A tiny NT v2 folder (rotary, gated feed-forward without biases); returns (path, weights)."""
    state = _random_state(nt_v2_shapes(), seed)
    head_dim = D // HEADS
    inv_freq = 1.0 / (10000 ** (torch.arange(0, head_dim, 2).float() / head_dim))
    for i in range(LAYERS):  # the release stores each layer's rotary buffer
        state[f"esm.encoder.layer.{i}.attention.self.rotary_embeddings.inv_freq"] = inv_freq.clone()
    _save(path, _nt_config(2), state, "safetensors")
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
