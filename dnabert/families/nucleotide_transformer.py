"""Nucleotide Transformer (InstaDeep) encoders on top of transformers' ESM.

- v1 (``InstaDeepAI/nucleotide-transformer-500m-human-ref`` ...): exactly
  transformers' ESM (learned positions, GELU feed-forward with biases), loaded
  with ``EsmForMaskedLM`` / ``EsmForSequenceClassification``.
- v2 (``InstaDeepAI/nucleotide-transformer-v2-50m-multi-species`` ...): rotary
  positions (which transformers' ESM implements) and a gated feed-forward
  block without biases (``add_bias_fnn: false``), which it does not. Here each
  layer's ``intermediate`` / ``output`` is replaced by :class:`SwiGluIntermediate`
  / :class:`FeedForwardOutput`, with the released parameter names
  ``esm.encoder.layer.N.intermediate.dense`` (shape (2 I, D)) and
  ``esm.encoder.layer.N.output.dense`` (shape (D, I)):
  ``out = x + W_out (silu(a) * b)``, ``[a, b] = W_in LayerNorm(x)``.

Attention is transformers' eager ESM attention: ``attention.self`` returns
``(context, probabilities)``.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import EsmConfig, EsmForMaskedLM, EsmForSequenceClassification


def is_v2(config: EsmConfig) -> bool:
    """NT v2 layout: the gated feed-forward block without biases."""
    return getattr(config, "add_bias_fnn", True) is False


class SwiGluIntermediate(nn.Module):
    """``silu(a) * b`` with ``[a, b] = dense(x)`` split in halves: (B, T, D) -> (B, T, I)."""

    def __init__(self, config: EsmConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, 2 * config.intermediate_size, bias=config.add_bias_fnn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.dense(x).chunk(2, dim=-1)  # (B, T, I) each
        return nn.functional.silu(a) * b


class FeedForwardOutput(nn.Module):
    """``residual + dense(h)``: (B, T, I) -> (B, T, D)."""

    def __init__(self, config: EsmConfig):
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size, bias=config.add_bias_fnn)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, h: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.dense(h)) + residual


def build_esm(config: EsmConfig, task: str) -> nn.Module:
    """An untrained ESM for ``task`` ("classification" or "mlm"), with v2 feed-forward blocks if the config says so."""
    config._attn_implementation = "eager"
    model = (EsmForSequenceClassification if task == "classification" else EsmForMaskedLM)(config)
    if is_v2(config):
        for layer in model.esm.encoder.layer:
            layer.intermediate = SwiGluIntermediate(config)
            layer.output = FeedForwardOutput(config)
    return model
