"""The [CLS] row of each layer's attention, without the full attention matrices.

The per-nucleotide ``last`` and ``mean`` tracks (:mod:`dnabert.analysis.inference`) use
only the attention that [CLS] pays to the tokens, row 0 of each layer's
(B, H, T, T) attention. Eager attention materialises all of it (at 500 bp it is
most of a forward pass on a CPU); here the model runs with the fused
scaled-dot-product kernel and row 0 is recomputed from the layer's own query
and key projections, read by forward hooks:

    a[b, h, :] = softmax(q[b, h, 0] . K[b, h]^T / sqrt(d), masked at padding)   (B, H, T)

which is the eager formula restricted to one query. Only self-attention modules
whose scores are exactly ``q . k^T / sqrt(d)`` plus the padding mask qualify
(transformers' BERT, i.e. DNABERT-1); rotary (NT) or ALiBi (DNABERT-2)
attention, and rollout (which needs every full matrix), keep the eager path.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import torch
from torch import nn
from transformers.models.bert.modeling_bert import BertSelfAttention


def supports_cls_rows(modules: list[nn.Module]) -> bool:
    """Whether every self-attention module computes plain scaled dot-product scores (BERT)."""
    return all(type(m) is BertSelfAttention for m in modules)


def cls_row(query: torch.Tensor, key: torch.Tensor, mask: torch.Tensor, heads: int, scaling: float) -> torch.Tensor:
    """Attention of token 0 to every token.

    Parameters
    ----------
    query : torch.Tensor, shape (B, H * d)
        Query projection of token 0.
    key : torch.Tensor, shape (B, T, H * d)
        Key projection of every token.
    mask : torch.Tensor, shape (B, T)
        1 for real tokens, 0 for padding (never attended to).
    heads : int
    scaling : float
        1 / sqrt(d).

    Returns
    -------
    torch.Tensor, shape (B, H, T)
        Each row sums to 1 over the real tokens.
    """
    b, t, _ = key.shape
    q = query.view(b, heads, 1, -1)  # (B, H, 1, d)
    k = key.view(b, t, heads, -1).transpose(1, 2)  # (B, H, T, d)
    scores = (q @ k.transpose(-1, -2)).squeeze(2) * scaling  # (B, H, T)
    return scores.masked_fill(~mask.bool()[:, None, :], float("-inf")).softmax(dim=-1)


def register_cls_row_hooks(
    module: BertSelfAttention, mask: torch.Tensor, sink: Callable[[torch.Tensor], None]
) -> list[torch.utils.hooks.RemovableHandle]:
    """Hooks on ``module``'s query and key projections that call ``sink`` with its [CLS] row (B, H, T).

    Only forward passes run by the calling thread are recorded (a model may be
    shared between app sessions). Remove the returned handles after the pass.
    """
    caller = threading.get_ident()
    query: list[torch.Tensor] = []

    def keep_query(_linear, _inputs, output):  # (B, T, H * d); runs before the key projection
        if threading.get_ident() == caller:
            query[:] = [output[:, 0]]

    def emit_row(_linear, _inputs, output):
        if threading.get_ident() == caller:
            sink(cls_row(query.pop(), output, mask, module.num_attention_heads, module.scaling))

    return [module.query.register_forward_hook(keep_query), module.key.register_forward_hook(emit_row)]
