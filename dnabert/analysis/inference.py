"""Batched prediction with per-nucleotide attention scores, for sequences of any length and any family.

Per-nucleotide attention (DNABERT-viz, generalised to any tokenizer)
--------------------------------------------------------------------
``"last"`` (default): in the last layer, the attention that [CLS] pays to each
content token, summed over heads -> one score per token. Each base gets the
mean over the tokens covering it (:mod:`dnabert.analysis.token_tracks`): for
overlapping k-mers the k-mers max(0, j-k+1) .. min(j, n-1); for BPE pieces and
non-overlapping 6-mers the one token whose span holds the base. The track is
L2-normalised per sequence. Special tokens ([CLS], [SEP], padding) never enter
a real position (the original DNABERT leaked them into the last k-1 bases of
padded sequences).

``"mean"``: the same [CLS] row summed over heads, averaged over all layers.
``"rollout"``: attention rollout (Abnar & Zuidema 2020): per layer the
head-averaged attention A is mixed with the identity, 0.5 A + 0.5 I, rows
renormalised, and the layers multiplied in order; the [CLS] row of the
product gives the token scores.

With k-mers, edge nucleotides are covered by fewer k-mers (the first and last
base by one only), so their scores are noisier.

Long sequences
--------------
The whole sequence is tokenised once. A sequence of n > W tokens (W = the
model window in tokens: 510 for DNABERT-1, the training length for DNABERT-2,
the positions minus [CLS] for NT) is split into m = ceil(n / W) windows of
exactly W tokens, spread evenly from the first to the last token (so
neighbouring windows overlap a little). Class probabilities are the softmax of
the mean of the window logits; the attention track of each window is made per
nucleotide (un-normalised), overlapping nucleotides are averaged, then the
whole track is L2-normalised. The windows are returned in nucleotide
coordinates (from the first base of their first token to the last base of
their last token) so plots can mark the seams.

Only the [CLS] rows (or, for rollout, one running T x T product per batch) are
kept: all layers x heads x T x T is never materialised for the input set.
"""

from __future__ import annotations

import copy
import itertools
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from dnabert.loading.checkpoint import LoadedModel
from dnabert.analysis.cls_attention import register_cls_row_hooks, supports_cls_rows
from dnabert.families.loading import self_attention_modules
from dnabert.options import ATTENTION_MODES, POOLINGS
from dnabert.analysis.token_tracks import kmer_spans, tokens_to_nucleotide


@dataclass
class Prediction:
    """Model outputs for n sequences.

    Attributes
    ----------
    logits : np.ndarray, shape (n, C), float32
    probs : np.ndarray, shape (n, C), float32
        Class probabilities (softmax of ``logits``).
    scores : list of np.ndarray or None
        Per-nucleotide attention, one float32 array of length L_i per
        sequence, L2-normalised; None when attention was not requested.
    windows : list of np.ndarray
        Per sequence, shape (m_i, 2) int64: the nucleotide intervals
        [start, end) of the model windows it was scored in (one row for a
        sequence that fits the model window).
    embeddings : dict or None
        Pooling (``"cls"``, ``"mean"``, see :mod:`dnabert.analysis.embeddings`) -> (n, H)
        float32 last hidden states, a long sequence's being the mean over its
        windows; None unless requested.
    """

    logits: np.ndarray
    probs: np.ndarray
    scores: list[np.ndarray] | None
    windows: list[np.ndarray]
    embeddings: dict[str, np.ndarray] | None = None


def window_starts(n_kmers: int, window: int) -> np.ndarray:
    """Start k-mer of each window for a sequence of ``n_kmers`` k-mers.

    Returns
    -------
    np.ndarray, shape (m,), int64
        m = ceil(n_kmers / window); windows have exactly ``window`` k-mers
        (or all k-mers when the sequence fits) and cover every k-mer.
    """
    if n_kmers <= window:
        return np.zeros(1, dtype=np.int64)
    m = -(-n_kmers // window)
    return np.round(np.linspace(0, n_kmers - window, m)).astype(np.int64)


def kmer_to_nucleotide(kmer_scores: np.ndarray, k: int) -> np.ndarray:
    """Per-nucleotide scores: each base gets the mean of the k-mer scores covering it.

    Parameters
    ----------
    kmer_scores : np.ndarray, shape (n,)
        Score of k-mer i, which covers nucleotides [i, i + k).
    k : int

    Returns
    -------
    np.ndarray, shape (n + k - 1,)
    """
    return tokens_to_nucleotide(kmer_scores, kmer_spans(len(kmer_scores), k), len(kmer_scores) + k - 1)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of logits (n, C) -> probabilities (n, C)."""
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def l2_normalize(track: np.ndarray) -> np.ndarray:
    """``track / ||track||_2`` (an all-zero track is returned unchanged)."""
    norm = np.linalg.norm(track)
    return track / norm if norm > 0 else track




_SDPA_TWINS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_SDPA_LOCK = threading.Lock()


def sdpa_twin(model: torch.nn.Module) -> torch.nn.Module:
    """The same model (shared weight tensors) with scaled-dot-product attention, for passes that need no weights.

    Eager attention materialises every (B, H, T, T) weight matrix so that hooks can
    read it; when no attention is requested this twin computes the same logits
    without them. Built once per model (a copy of the module tree, not of the weights).
    Models without a choice of attention kernel (our native families) are returned as they are.
    """
    if not hasattr(model, "set_attn_implementation"):
        return model
    with _SDPA_LOCK:
        twin = _SDPA_TWINS.get(model)
        if twin is None:
            shared = {id(t): t for t in itertools.chain(model.parameters(), model.buffers())}
            twin = copy.deepcopy(model, shared)
            twin.set_attn_implementation("sdpa")
            _SDPA_TWINS[model] = twin
        return twin


def token_batches(lengths: list[int], batch_size: int, max_tokens: int | None) -> list[list[int]]:
    """Cut items, sorted by length, into batches of at most ``batch_size`` items and ``max_tokens`` padded tokens.

    Parameters
    ----------
    lengths : list of int
        Tokens of each item (a batch pads every item to its longest one).
    batch_size : int
    max_tokens : int or None
        Budget of rows x longest length per batch (None: no budget); an item
        longer than the budget goes alone.

    Returns
    -------
    list of list of int
        Item indices, shortest first.
    """
    batches: list[list[int]] = []
    for j in sorted(range(len(lengths)), key=lengths.__getitem__):
        last = batches[-1] if batches else None
        fits = last is not None and len(last) < batch_size
        if fits and max_tokens is not None:
            fits = (len(last) + 1) * lengths[j] <= max_tokens
        if fits:
            last.append(j)
        else:
            batches.append([j])
    return batches


def pool_hidden(hidden: torch.Tensor, content: np.ndarray) -> dict[str, np.ndarray]:
    """Sequence embeddings of one batch: last hidden states (B, T, H) and content-token mask (B, T) -> pooling -> (B, H).

    ``"cls"``: the hidden state of the first token ([CLS]); ``"mean"``: the mean over the content tokens.
    """
    weights = torch.as_tensor(content, device=hidden.device).unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    mean = (hidden * weights).sum(dim=1) / weights.sum(dim=1)  # (B, H)
    return {"cls": hidden[:, 0].float().cpu().numpy(), "mean": mean.float().cpu().numpy()}


@torch.inference_mode()
def _forward(
    lm: LoadedModel, ids: np.ndarray, mask: np.ndarray, modes: tuple[str, ...], content: np.ndarray | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray] | None]:
    """One batch: logits (B, C); per mode in ``modes``, [CLS]->token scores (B, T) (no modes: no attention);
    given the content-token mask (B, T), the pooled last hidden states (:func:`pool_hidden`), else None.

    Without rollout, BERT models run fused (SDPA) and the [CLS] rows come from
    :mod:`dnabert.analysis.cls_attention`; otherwise eager attention and its matrices.
    """
    fused = "rollout" not in modes and supports_cls_rows(self_attention_modules(lm.model))
    model = sdpa_twin(lm.model) if fused or not modes else lm.model
    modules = self_attention_modules(model)
    captured: list[torch.Tensor] = []
    last_hidden: list[torch.Tensor] = []
    rollout: list[torch.Tensor] = []
    caller = threading.get_ident()  # the model may be shared (app sessions): record only this call's forward pass

    def keep_cls_row(_module, _inputs, output):
        if threading.get_ident() == caller:
            captured.append(output[1][:, :, 0, :].sum(dim=1))  # (B, H, T, T) -> (B, T)

    def accumulate_rollout(_module, _inputs, output):
        if threading.get_ident() != caller:
            return
        a = 0.5 * output[1].mean(dim=1) + 0.5 * torch.eye(output[1].shape[-1], device=output[1].device)  # (B, T, T)
        a = a / a.sum(dim=-1, keepdim=True)
        rollout[:] = [a if not rollout else a @ rollout[0]]

    def keep_fused_row(rows):  # (B, H, T) from dnabert.analysis.cls_attention, which records only this thread's pass
        captured.append(rows.sum(dim=1))  # (B, T)

    def keep_hidden(_module, _inputs, output):
        if threading.get_ident() == caller:
            last_hidden.append(output if isinstance(output, torch.Tensor) else output[0])  # (B, T, H)

    hooks = []
    if "mean" in modes:
        hooks += [(m, keep_cls_row) for m in modules]
    elif "last" in modes:
        hooks += [(modules[-1], keep_cls_row)]
    if "rollout" in modes:
        hooks += [(m, accumulate_rollout) for m in modules]
    t_ids = torch.as_tensor(ids, device=lm.device)
    t_mask = torch.as_tensor(mask, device=lm.device)
    if fused:
        handles = [h for m, _ in hooks for h in register_cls_row_hooks(m, t_mask, keep_fused_row)]
    else:
        handles = [m.register_forward_hook(hook) for m, hook in hooks]
    if content is not None:  # the encoder body's output
        handles.append((model.bert if hasattr(model, "bert") else model.esm).register_forward_hook(keep_hidden))
    try:
        logits = model(input_ids=t_ids, attention_mask=t_mask).logits
    finally:
        for h in handles:
            h.remove()
    cls = {
        "last": lambda: captured[-1],  # hooks run in layer order
        "mean": lambda: torch.stack(captured).mean(dim=0),
        "rollout": lambda: rollout[0][:, 0, :],
    }
    pooled = None if content is None else pool_hidden(last_hidden[-1], content)
    return logits.float().cpu().numpy(), {mode: cls[mode]().float().cpu().numpy() for mode in modes}, pooled


def predict(
    lm: LoadedModel,
    seqs: list[str],
    batch_size: int = 32,
    attention: str | None = "last",
    progress: bool | Callable[[int, int], None] = False,
    max_tokens: int | None = None,
    normalize: bool = True,
) -> Prediction:
    """Class probabilities and per-nucleotide attention for sequences of any length.

    Parameters
    ----------
    lm : LoadedModel
        Any family (its tokenizer gives token ids and the bases each token covers).
    seqs : list of str
        n sequences (validated upper-case IUPAC, see :mod:`dnabert.sequences`),
        each giving at least one token (k bases for k-mers); longer than the
        model window is fine.
    batch_size : int
        Windows per forward pass (windows are sorted by length to limit padding).
    attention : {"last", "mean", "rollout"} or None
        How to aggregate attention into scores (module docstring); None skips it.
    progress : bool or callable
        True shows a tqdm bar on stderr; a callable is called as
        ``progress(done_windows, total_windows)`` after each batch.
    max_tokens : int or None
        Also cap each batch at this many padded tokens (see :func:`token_batches`).
    normalize : bool
        L2-normalise each track (False: the mean over windows of the raw
        per-window tracks, for callers that combine windows themselves).

    Returns
    -------
    Prediction
    """
    if attention not in (None, *ATTENTION_MODES):
        raise ValueError(f"attention must be one of {ATTENTION_MODES} or None, got {attention!r}")
    modes = () if attention is None else (attention,)
    return predict_modes(lm, seqs, modes, batch_size, progress, max_tokens, normalize=normalize)[attention]


def predict_modes(
    lm: LoadedModel,
    seqs: list[str],
    modes: tuple[str, ...] = ATTENTION_MODES,
    batch_size: int = 32,
    progress: bool | Callable[[int, int], None] = False,
    max_tokens: int | None = None,
    embeddings: bool = False,
    normalize: bool = True,
) -> dict[str | None, Prediction]:
    """:func:`predict` for several attention modes from one forward pass per batch.

    Parameters are those of :func:`predict`, with ``modes`` a tuple of
    attention modes (empty: no attention); ``embeddings`` also returns the
    sequence embeddings of that same pass (:attr:`Prediction.embeddings`).

    Returns
    -------
    dict
        Mode -> Prediction (same logits, that mode's scores); the key is None
        when ``modes`` is empty.
    """
    if not set(modes) <= set(ATTENTION_MODES):
        raise ValueError(f"attention modes must be among {ATTENTION_MODES}, got {modes!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    tok, w = lm.tokenizer, lm.window
    for i, s in enumerate(seqs):
        tok.check_length(s, f"sequence {i + 1}")
    tokenized = [tok.tokenize(s) for s in seqs]  # (ids (n_i,), spans (n_i, 2)) per sequence
    # one segment per model window: (sequence index, first token, number of tokens)
    segments = [(i, int(st), min(w, len(ids))) for i, (ids, _) in enumerate(tokenized) for st in window_starts(len(ids), w)]
    # bases [start, end) each window covers
    bounds = [(int(tokenized[i][1][st, 0]), int(tokenized[i][1][st : st + n, 1].max())) for i, st, n in segments]
    extra = len(tok.prefix) + len(tok.suffix)  # special tokens around a window's content
    batches = token_batches([n + extra for _, _, n in segments], batch_size, max_tokens)
    n_classes = lm.model.config.num_labels
    seg_logits = np.zeros((len(segments), n_classes), dtype=np.float32)
    seg_scores: dict[str, list[np.ndarray | None]] = {mode: [None] * len(segments) for mode in modes}
    hidden_size = lm.model.config.hidden_size
    seg_pooled = {p: np.zeros((len(segments), hidden_size), dtype=np.float32) for p in POOLINGS if embeddings}  # (S, H)
    bar = tqdm(total=len(segments), desc="windows", unit="win", disable=progress is not True)
    done = 0
    p = len(tok.prefix)
    for batch in batches:
        ids, mask = tok.batch([tokenized[segments[j][0]][0][segments[j][1] : segments[j][1] + segments[j][2]] for j in batch])
        content = None
        if embeddings:
            content = np.zeros_like(mask)
            for row, j in enumerate(batch):
                content[row, p : p + segments[j][2]] = 1
        logits, cls, pooled = _forward(lm, ids, mask, tuple(modes), content)
        seg_logits[batch] = logits
        for pooling, rows in (pooled or {}).items():
            seg_pooled[pooling][batch] = rows
        for mode, rows in cls.items():
            for row, j in enumerate(batch):
                i, st, n = segments[j]
                spans = tokenized[i][1][st : st + n] - bounds[j][0]
                seg_scores[mode][j] = tokens_to_nucleotide(
                    rows[row, p : p + n].astype(np.float64), spans, bounds[j][1] - bounds[j][0]
                )
        bar.update(len(batch))
        done += len(batch)
        if callable(progress):
            progress(done, len(segments))
    bar.close()
    pooled = None
    if embeddings:  # per sequence: the mean of its windows' embeddings
        owner = np.array([i for i, _, _ in segments], dtype=np.int64)
        counts = np.bincount(owner, minlength=len(seqs))[:, None]
        pooled = {}
        for pooling, rows in seg_pooled.items():
            sums = np.zeros((len(seqs), hidden_size))  # (n, H)
            np.add.at(sums, owner, rows.astype(np.float64))
            pooled[pooling] = (sums / np.maximum(counts, 1)).astype(np.float32)
    if not modes:
        return {None: combine_windows(seqs, segments, bounds, seg_logits, None, pooled)}
    return {mode: combine_windows(seqs, segments, bounds, seg_logits, seg_scores[mode], pooled, normalize) for mode in modes}


def combine_windows(seqs, segments, bounds, seg_logits, seg_scores, embeddings=None, normalize: bool = True) -> Prediction:
    """Merge per-window outputs into per-sequence outputs.

    Parameters
    ----------
    seqs : list of str
        The n sequences.
    segments : list of (int, int, int)
        Per window j: (sequence index, start, length); only the sequence index is read here.
    bounds : list of (int, int)
        Per window j: the bases [start, end) it covers (0-based, half-open).
    seg_logits : np.ndarray, shape (J, C)
        Logits per window.
    seg_scores : list of np.ndarray or None
        Raw per-nucleotide track per window (length end - start); None: no attention.
    embeddings : dict of str to np.ndarray, optional
        Already merged per sequence; stored as given.
    normalize : bool
        L2-normalise the merged tracks (False: the raw window averages).

    Returns
    -------
    Prediction
        Mean window logits and their softmax (n, C); tracks averaged where windows overlap (length L each).
    """
    n = len(seqs)
    logits = np.zeros((n, seg_logits.shape[1]), dtype=np.float64)
    counts = np.zeros(n)
    sums = [np.zeros(len(s)) for s in seqs]
    cover = [np.zeros(len(s)) for s in seqs]
    windows: list[list[tuple[int, int]]] = [[] for _ in seqs]
    for j, ((i, _, _), (start, end)) in enumerate(zip(segments, bounds)):
        logits[i] += seg_logits[j]
        counts[i] += 1
        windows[i].append((start, end))
        if seg_scores is not None:
            sums[i][start:end] += seg_scores[j]
            cover[i][start:end] += 1
    logits /= np.maximum(counts, 1)[:, None]
    probs = softmax(logits)
    scores = None
    if seg_scores is not None:
        scores = [(l2_normalize(s / c) if normalize else s / c).astype(np.float32) for s, c in zip(sums, cover)]
    return Prediction(
        logits=logits.astype(np.float32),
        probs=probs.astype(np.float32),
        scores=scores,
        windows=[np.array(wi, dtype=np.int64).reshape(-1, 2) for wi in windows],
        embeddings=embeddings,
    )


@torch.inference_mode()
def attention_matrices(lm: LoadedModel, seq: str) -> tuple[list[str], np.ndarray]:
    """Every layer's and head's attention for one sequence (for head and context views).

    Parameters
    ----------
    lm : LoadedModel
    seq : str
        At most ``lm.window`` tokens (use a slice of a longer sequence).

    Returns
    -------
    tokens : list of str
        The T tokens as the model sees them, specials included, e.g.
        ``["[CLS]", kmer_0, ..., kmer_{n-1}, "[SEP]"]`` (BPE pieces, 6-mers
        for the other families).
    attn : np.ndarray, shape (layers, heads, T, T), float32
        attn[l, h, i, j]: attention of token i to token j.
    """
    tok = lm.tokenizer
    tok.check_length(seq, "the sequence")
    content, _ = tok.tokenize(seq)
    ids, mask = tok.batch([content])
    captured: list[torch.Tensor] = []
    caller = threading.get_ident()

    def keep(_module, _inputs, output):
        if threading.get_ident() == caller:
            captured.append(output[1][0])  # (H, T, T)

    handles = [m.register_forward_hook(keep) for m in self_attention_modules(lm.model)]
    try:
        lm.model(input_ids=torch.as_tensor(ids, device=lm.device), attention_mask=torch.as_tensor(mask, device=lm.device))
    finally:
        for h in handles:
            h.remove()
    return tok.token_strings(ids[0]), torch.stack(captured).float().cpu().numpy()
