"""DNABERT-2 encoder in eager PyTorch, loading the released parameter names.

DNABERT-2 (Zhou et al. 2023, ``zhihan1996/DNABERT-2-117M``) is a BERT variant
(MosaicML BERT) with

- no position embeddings: each head adds an ALiBi bias ``-m_h |i - j|`` to its
  attention scores (Press et al. 2022), with slopes m_h = 2^(-8 (h+1) / H) for a
  power-of-two number of heads H (otherwise the slopes of the nearest lower
  power of two, then every other slope of twice that power);
- one fused query/key/value projection per layer (``attention.self.Wqkv``,
  output rows ordered q, k, v, each heads x head_dim);
- a gated feed-forward block (GEGLU): ``gated_layers`` (no bias) projects to
  2 I, ``gelu(first half) * second half`` goes through ``wo``, then residual
  and post-LayerNorm (``mlp.layernorm``).

Layers are post-LN as in BERT. The released code runs a fused kernel that
never returns attention; here the scores are softmax(Q K^T / sqrt(d) + ALiBi
+ mask) written out, so the probabilities can be read (hook the
``attention.self`` modules: their output is ``(context, probabilities)``).

Parameter names (as released)::

    bert.embeddings.word_embeddings / token_type_embeddings / LayerNorm
    bert.encoder.layer.N.attention.self.Wqkv
    bert.encoder.layer.N.attention.output.dense / LayerNorm
    bert.encoder.layer.N.mlp.gated_layers / wo / layernorm
    bert.pooler.dense, classifier                   (sequence classification)
    cls.predictions.transform.dense / LayerNorm, cls.predictions.decoder  (MLM)
"""

from __future__ import annotations

import math

import torch
from torch import nn
from transformers import BertConfig
from transformers.modeling_outputs import MaskedLMOutput, SequenceClassifierOutput


def alibi_slopes(n_heads: int) -> torch.Tensor:
    """ALiBi slope of each head, shape (n_heads,)."""

    def power_of_two(n: int) -> list[float]:
        return [2.0 ** (-8.0 * (h + 1) / n) for h in range(n)]

    if math.log2(n_heads).is_integer():
        return torch.tensor(power_of_two(n_heads))
    closest = 2 ** math.floor(math.log2(n_heads))
    return torch.tensor(power_of_two(closest) + power_of_two(2 * closest)[0::2][: n_heads - closest])


def alibi_bias(n_heads: int, length: int) -> torch.Tensor:
    """ALiBi bias ``-m_h |i - j|``, shape (n_heads, length, length)."""
    pos = torch.arange(length)
    distance = (pos[None, :] - pos[:, None]).abs().float()  # (T, T)
    return -alibi_slopes(n_heads)[:, None, None] * distance


class AlibiSelfAttention(nn.Module):
    """Fused-QKV self-attention with ALiBi; returns (context, probabilities)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.n_heads = config.num_attention_heads
        self.head_dim = config.hidden_size // config.num_attention_heads
        self.Wqkv = nn.Linear(config.hidden_size, 3 * config.hidden_size)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, T, D); bias: (B, H, T, T) ALiBi + padding mask -> context (B, T, D), probs (B, H, T, T)."""
        B, T, D = x.shape
        qkv = self.Wqkv(x).view(B, T, 3, self.n_heads, self.head_dim)  # (B, T, 3, H, d)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (B, H, T, d)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + bias  # (B, H, T, T)
        probs = scores.softmax(dim=-1)
        context = self.dropout(probs) @ v  # (B, H, T, d)
        return context.transpose(1, 2).reshape(B, T, D), probs


class SelfOutput(nn.Module):
    """Projection, dropout, residual and LayerNorm after attention (post-LN)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, context: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(context)) + residual)


class Attention(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.self = AlibiSelfAttention(config)
        self.output = SelfOutput(config)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return self.output(self.self(x, bias)[0], x)


class GegluMlp(nn.Module):
    """Gated feed-forward: LayerNorm(x + wo(gelu(a) * b)), [a, b] = gated_layers(x)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.intermediate = config.intermediate_size
        self.gated_layers = nn.Linear(config.hidden_size, 2 * config.intermediate_size, bias=False)
        self.act = nn.GELU(approximate="none")
        self.wo = nn.Linear(config.intermediate_size, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.gated_layers(x)  # (B, T, 2 I)
        h = self.act(h[..., : self.intermediate]) * h[..., self.intermediate :]  # (B, T, I)
        return self.layernorm(self.wo(self.dropout(h)) + x)


class Layer(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.attention = Attention(config)
        self.mlp = GegluMlp(config)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.attention(x, bias))


class Encoder(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.layer = nn.ModuleList(Layer(config) for _ in range(config.num_hidden_layers))


class Embeddings(nn.Module):
    """Token + token-type embeddings, LayerNorm, dropout (no position embeddings)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(torch.zeros_like(input_ids))
        return self.dropout(self.LayerNorm(x))


class Pooler(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.dense(hidden[:, 0]))


class Dnabert2Model(nn.Module):
    """Embeddings and encoder layers; ``pooler`` only for sequence classification."""

    def __init__(self, config: BertConfig, pooler: bool = True):
        super().__init__()
        self.config = config
        self.embeddings = Embeddings(config)
        self.encoder = Encoder(config)
        self.pooler = Pooler(config) if pooler else None

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """input_ids, attention_mask: (B, T) -> hidden states (B, T, D)."""
        x = self.embeddings(input_ids)  # (B, T, D)
        bias = alibi_bias(self.config.num_attention_heads, input_ids.shape[1]).to(x)[None]  # (1, H, T, T)
        if attention_mask is not None:
            pad = (1.0 - attention_mask[:, None, None, :].to(x)) * torch.finfo(x.dtype).min  # (B, 1, 1, T)
            bias = bias + pad
        for layer in self.encoder.layer:
            x = layer(x, bias)
        return x


class Dnabert2ForSequenceClassification(nn.Module):
    """Released head: pooled [CLS] (dense + tanh), dropout, linear classifier."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        self.bert = Dnabert2Model(config, pooler=True)
        dropout = getattr(config, "classifier_dropout", None)
        self.dropout = nn.Dropout(config.hidden_dropout_prob if dropout is None else dropout)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> SequenceClassifierOutput:
        hidden = self.bert(input_ids, attention_mask)
        return SequenceClassifierOutput(logits=self.classifier(self.dropout(self.bert.pooler(hidden))))


class PredictionTransform(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(nn.functional.gelu(self.dense(x)))


class LmPredictions(nn.Module):
    def __init__(self, config: BertConfig, word_embeddings: nn.Embedding):
        super().__init__()
        self.transform = PredictionTransform(config)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.decoder.weight = word_embeddings.weight  # tied, as released

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.transform(x))


class LmHead(nn.Module):
    def __init__(self, config: BertConfig, word_embeddings: nn.Embedding):
        super().__init__()
        self.predictions = LmPredictions(config, word_embeddings)


class Dnabert2ForMaskedLM(nn.Module):
    """Released pre-training head: logits over the BPE vocabulary, shape (B, T, V)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        self.bert = Dnabert2Model(config, pooler=False)
        self.cls = LmHead(config, self.bert.embeddings.word_embeddings)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> MaskedLMOutput:
        return MaskedLMOutput(logits=self.cls.predictions(self.bert(input_ids, attention_mask)))
