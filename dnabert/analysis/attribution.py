"""Per-nucleotide attribution of a class score: gradient x input and integrated gradients.

Both methods attribute the logit of one class to the token embeddings
(the word embeddings, before the model adds position and token-type
embeddings; k-mers, BPE pieces or 6-mers, by family) of one sequence that
fits one model window:

* ``"gradient_x_input"``: token t gets ``sum_d e[t, d] * dlogit/de[t, d]``.
* ``"integrated_gradients"`` (Sundararajan et al. 2017): token t gets
  ``sum_d (e - b)[t, d] * mean_alpha dlogit/de[t, d] at b + alpha (e - b)``,
  a midpoint Riemann sum over ``steps`` values of alpha in (0, 1). The
  baseline b is the embedding of ``[CLS] [PAD] ... [PAD] [SEP]`` (every
  content token replaced by padding, as in Captum's BERT tutorial). Completeness: the
  token scores sum to ``logit(e) - logit(b)`` up to the reported ``delta``,
  which shrinks as ``steps`` grows.

Token scores become per-nucleotide scores as attention does: each base
gets the mean over the tokens covering it
(:func:`dnabert.analysis.token_tracks.tokens_to_nucleotide`). Scores are signed: positive
means evidence for the class. Hand-rolled in a few lines of torch rather than
adding Captum as a dependency.

:func:`attention_correlation` compares an attribution track with an attention
track: attention has no sign, so it is compared with the attribution's magnitude.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats

from dnabert.loading.checkpoint import LoadedModel
from dnabert.errors import InputError
from dnabert.families.loading import word_embeddings
from dnabert.analysis.token_tracks import tokens_to_nucleotide

METHODS = ("integrated_gradients", "gradient_x_input")


@dataclass
class Attribution:
    """Attribution of one class score of one sequence.

    Attributes
    ----------
    track : np.ndarray, shape (L,), float64
        Per-nucleotide attribution (signed).
    token_scores : np.ndarray, shape (n,), float64
        Attribution of each content token (n = L - k + 1 k-mers; BPE pieces,
        6-mers; special tokens excluded).
    target : int
        The class whose logit was attributed.
    logit : float
        That logit for the sequence.
    delta : float or None
        Integrated gradients only: sum of all token scores ([CLS], [SEP]
        included) minus (logit - baseline logit); 0 for an exact integral.
    """

    track: np.ndarray
    token_scores: np.ndarray
    target: int
    logit: float
    delta: float | None


def _logit(lm: LoadedModel, embeds: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor, target: int) -> torch.Tensor:
    """Class ``target`` logit with the word embeddings of ``ids`` (1, T) replaced by ``embeds`` (B, T, H) -> (B,)."""
    handle = word_embeddings(lm.model).register_forward_hook(lambda _module, _inputs, _output: embeds)
    try:
        return lm.model(input_ids=ids.expand(len(embeds), -1), attention_mask=mask.expand(len(embeds), -1)).logits[:, target]
    finally:
        handle.remove()


def attribution_track(
    lm: LoadedModel,
    seq: str,
    method: str = "integrated_gradients",
    target: int | None = None,
    steps: int = 32,
    batch_size: int = 16,
) -> Attribution:
    """Per-nucleotide attribution of one class logit for one sequence.

    Parameters
    ----------
    lm : LoadedModel
    seq : str
        A validated sequence of length L giving at most ``lm.window`` tokens
        (slice longer sequences).
    method : {"integrated_gradients", "gradient_x_input"}
    target : int, optional
        Class index; default: the predicted class.
    steps : int
        Integrated gradients: points of the path integral.
    batch_size : int
        Integrated gradients: path points per forward pass.

    Returns
    -------
    Attribution
    """
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if steps < 1 or batch_size < 1:
        raise InputError("steps and batch_size must be at least 1")
    tok = lm.tokenizer
    tok.check_length(seq, "the sequence")
    content, spans = tok.tokenize(seq)
    n = len(content)
    if n > lm.window:
        raise InputError(
            f"attribution works on one model window: at most {tok.window_text}; "
            f"this sequence has {len(seq)} bp ({n} tokens): pass a slice of it"
        )
    ids, mask = (torch.as_tensor(a, device=lm.device) for a in tok.batch([content]))
    p = len(tok.prefix)
    embedding = word_embeddings(lm.model)
    with torch.enable_grad():
        e = embedding(ids).detach()  # (1, T, H)
        if target is None:
            with torch.no_grad():
                target = int(_logit(lm, e, ids, mask, slice(None))[0].argmax())
        n_classes = lm.model.config.num_labels
        if not 0 <= target < n_classes:
            raise InputError(f"target class {target} does not exist; the model has classes 0..{n_classes - 1}")
        if method == "gradient_x_input":
            x = e.clone().requires_grad_(True)
            logit = _logit(lm, x, ids, mask, target)
            (grad,) = torch.autograd.grad(logit.sum(), x)
            scores, delta, logit = (grad * e).sum(-1)[0], None, float(logit.detach()[0])
        else:
            base_ids = ids.clone()
            base_ids[0, p : p + n] = tok.pad_id
            b = embedding(base_ids).detach()
            alphas = (torch.arange(steps, device=lm.device, dtype=e.dtype) + 0.5) / steps
            total = torch.zeros_like(e[0])
            for chunk in alphas.split(batch_size):
                x = (b + chunk[:, None, None] * (e - b)).requires_grad_(True)
                (grad,) = torch.autograd.grad(_logit(lm, x, ids, mask, target).sum(), x)
                total += grad.sum(0)
            scores = ((e - b)[0] * total / steps).sum(-1)
            with torch.no_grad():
                logit, base_logit = _logit(lm, torch.cat([e, b]), ids, mask, target).tolist()
            delta = float(scores.sum()) - (logit - base_logit)
    token_scores = scores[p : p + n].double().cpu().numpy()
    return Attribution(
        track=tokens_to_nucleotide(token_scores, spans, len(seq)),
        token_scores=token_scores,
        target=target,
        logit=logit,
        delta=delta,
    )


def attention_correlation(attention: np.ndarray, attribution: np.ndarray) -> dict[str, float]:
    """How well attention follows attribution along one sequence.

    Parameters
    ----------
    attention : np.ndarray, shape (L,)
    attribution : np.ndarray, shape (L,)
        Signed; its absolute value is compared (attention has no sign).

    Returns
    -------
    dict
        ``spearman``, ``pearson`` (NaN when either track is constant over
        the compared positions) and ``n``, the number of positions where
        both are finite.
    """
    a, b = np.asarray(attention, dtype=np.float64), np.abs(np.asarray(attribution, dtype=np.float64))
    if a.shape != b.shape or a.ndim != 1:
        raise InputError(f"attention and attribution must be tracks of the same length, got shapes {a.shape} and {b.shape}")
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return {"spearman": float("nan"), "pearson": float("nan"), "n": len(a)}
    return {
        "spearman": float(stats.spearmanr(a, b).statistic),
        "pearson": float(stats.pearsonr(a, b).statistic),
        "n": len(a),
    }
