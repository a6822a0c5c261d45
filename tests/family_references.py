"""Reference models rebuilt from each family's released architecture, for the tensors a release holds.

A release holds the ``state_dict()`` of the code that saved it. These references
are that code's module trees, built from transformers' BERT and ESM with the
changes each release made (independent of :mod:`dnabert.families`, whose
modules are what is tested):

- DNABERT-2 (``zhihan1996/DNABERT-2-117M``, MosaicML BERT): transformers' BERT
  without position embeddings (ALiBi), one fused ``Wqkv`` per attention, a gated
  feed-forward ``mlp`` (``gated_layers`` without bias, ``wo``, ``layernorm``) in
  place of ``intermediate`` / ``output``; the masked-LM decoder tied to the word
  embeddings, with its own bias and no separate ``predictions.bias``.
- NT v1: transformers' ESM as is (absolute positions).
- NT v2: transformers' ESM as transformers 4.3x built it, which InstaDeep's code
  extends: position embeddings created even with rotary positions (unused in
  the forward pass), a rotary buffer in each layer's attention; with the NT v2
  feed-forward: ``intermediate.dense`` of width 2 x intermediate and
  ``output.dense``, both without bias (``add_bias_fnn: false``).

Only the keys and shapes are used (:func:`released_shapes`); these modules are never run.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import (
    BertConfig,
    BertForMaskedLM,
    BertForSequenceClassification,
    EsmConfig,
    EsmForMaskedLM,
    EsmForSequenceClassification,
)


class _Module(nn.Module):
    """A named container: the released module tree needs only names and shapes."""


def _linear(d_in: int, d_out: int, bias: bool = True) -> nn.Linear:
    return nn.Linear(d_in, d_out, bias=bias)


def dnabert2_reference(config: dict, head: str) -> nn.Module:
    """The module tree of DNABERT-2's released code for ``config`` (its config.json), with a ``head`` ("classification" / "mlm")."""
    cfg = BertConfig.from_dict(config)
    model = (BertForSequenceClassification if head == "classification" else BertForMaskedLM)(cfg)
    d, inter = cfg.hidden_size, cfg.intermediate_size
    del model.bert.embeddings.position_embeddings
    for layer in model.bert.encoder.layer:
        attention = _Module()
        attention.Wqkv = _linear(d, 3 * d)
        layer.attention.self = attention
        del layer.intermediate, layer.output
        mlp = _Module()
        mlp.gated_layers = _linear(d, 2 * inter, bias=False)
        mlp.wo = _linear(inter, d)
        mlp.layernorm = nn.LayerNorm(d)
        layer.mlp = mlp
    if head == "mlm":
        predictions = model.cls.predictions
        del predictions.bias
        predictions.decoder = _linear(d, cfg.vocab_size)
        predictions.decoder.weight = model.bert.embeddings.word_embeddings.weight
    return model


def nt_reference(config: dict, head: str = "classification") -> nn.Module:
    """The module tree of the Nucleotide Transformer's released code for ``config`` (v1 or v2 by ``add_bias_fnn``)."""
    cfg = EsmConfig.from_dict(config)
    model = (EsmForSequenceClassification if head == "classification" else EsmForMaskedLM)(cfg)
    if config.get("add_bias_fnn", True) is not False:
        return model  # v1: transformers' ESM
    d, inter, heads = cfg.hidden_size, cfg.intermediate_size, cfg.num_attention_heads
    embeddings = model.esm.embeddings
    if not hasattr(embeddings, "position_embeddings"):  # transformers 4.3x always created them
        embeddings.position_embeddings = nn.Embedding(cfg.max_position_embeddings, d, padding_idx=cfg.pad_token_id)
    if hasattr(model.esm, "rotary_embeddings"):  # transformers 5 keeps one rotary buffer per model; 4.3x one per layer
        del model.esm.rotary_embeddings
    head_dim = d // heads
    for layer in model.esm.encoder.layer:
        rotary = _Module()
        rotary.register_buffer("inv_freq", 1.0 / (10000 ** (torch.arange(0, head_dim, 2).float() / head_dim)))
        layer.attention.self.rotary_embeddings = rotary
        layer.intermediate.dense = _linear(d, 2 * inter, bias=False)
        layer.output.dense = _linear(inter, d, bias=False)
    return model


def released_shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    """Tensor name -> shape of what ``model.save_pretrained`` / ``torch.save(model.state_dict())`` writes."""
    return {name: tuple(t.shape) for name, t in model.state_dict().items()}
