"""Sequence embeddings (the encoder's last hidden states) and their 2-D maps.

Pooling:

``"cls"``
    the last hidden state of [CLS] (what the classification head reads);
``"mean"``
    the mean of the last hidden states of the content tokens (k-mers, BPE
    pieces or 6-mers; [CLS], [SEP] and padding excluded).

Long sequences are split into the same windows as :func:`dnabert.inference.predict`
(:func:`dnabert.inference.window_starts`) and their window embeddings averaged.

Maps: PCA (scikit-learn) of the standardised embeddings, always available;
UMAP through ``umap-learn`` when it is installed (``pip install umap-learn``).
Both seeded.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import torch

from dnabert.checkpoint import LoadedModel
from dnabert.errors import InputError
from dnabert.inference import window_starts
from dnabert.options import POOLINGS, PROJECTIONS


@torch.inference_mode()
def _pooled(lm: LoadedModel, ids: np.ndarray, mask: np.ndarray, content: np.ndarray, pooling: str) -> np.ndarray:
    """One batch: (B, T) ids, attention mask and content-token mask -> (B, H) pooled last hidden states."""
    body = lm.model.bert if hasattr(lm.model, "bert") else lm.model.esm
    t_ids, t_mask = torch.as_tensor(ids, device=lm.device), torch.as_tensor(mask, device=lm.device)
    hidden = body(input_ids=t_ids, attention_mask=t_mask)  # (B, T, H)
    hidden = hidden if isinstance(hidden, torch.Tensor) else hidden.last_hidden_state
    if pooling == "cls":
        return hidden[:, 0].float().cpu().numpy()
    weights = torch.as_tensor(content, device=lm.device).unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    return ((hidden * weights).sum(dim=1) / weights.sum(dim=1)).float().cpu().numpy()


def embed(
    lm: LoadedModel,
    seqs: list[str],
    pooling: str = "cls",
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Embeddings of sequences of any length.

    Parameters
    ----------
    lm : LoadedModel
    seqs : list of str
        n validated sequences, each giving at least one token (k bases for k-mers).
    pooling : {"cls", "mean"}
    batch_size : int
        Windows per forward pass (sorted by length to limit padding).
    progress : callable, optional
        Called as ``progress(done_windows, total_windows)`` after each batch.

    Returns
    -------
    np.ndarray, shape (n, H), float32
        H = the model's hidden size; a long sequence gets the mean over its windows.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    tok, w = lm.tokenizer, lm.window
    for i, s in enumerate(seqs):
        tok.check_length(s, f"sequence {i + 1}")
    tokens = [tok.tokenize(s)[0] for s in seqs]
    segments = [(i, int(st), min(w, len(t))) for i, t in enumerate(tokens) for st in window_starts(len(t), w)]
    order = sorted(range(len(segments)), key=lambda j: segments[j][2])
    out = np.zeros((len(seqs), lm.model.config.hidden_size), dtype=np.float64)
    counts = np.zeros(len(seqs))
    p = len(tok.prefix)
    for b in range(0, len(order), batch_size):
        batch = order[b : b + batch_size]
        ids, mask = tok.batch([tokens[segments[j][0]][segments[j][1] : segments[j][1] + segments[j][2]] for j in batch])
        content = np.zeros_like(mask)
        for row, j in enumerate(batch):
            content[row, p : p + segments[j][2]] = 1
        pooled = _pooled(lm, ids, mask, content, pooling)
        for row, j in enumerate(batch):
            out[segments[j][0]] += pooled[row]
            counts[segments[j][0]] += 1
        if progress is not None:
            progress(min(b + batch_size, len(order)), len(order))
    return (out / np.maximum(counts, 1)[:, None]).astype(np.float32)


def project(embeddings: np.ndarray, method: str = "pca", seed: int = 0) -> tuple[np.ndarray, str]:
    """2-D map of embeddings (n, H) -> ((n, 2) float64, axis note).

    PCA: scikit-learn on standardised columns; the note gives the variance
    explained by each axis. UMAP: ``umap.UMAP(random_state=seed)`` on the
    same standardised columns.

    Raises
    ------
    InputError
        Fewer than 3 sequences, or UMAP requested but ``umap-learn`` is not installed.
    """
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    if method not in PROJECTIONS:
        raise ValueError(f"method must be one of {PROJECTIONS}, got {method!r}")
    if len(embeddings) < 3:
        raise InputError(f"a map needs at least 3 sequences, got {len(embeddings)}")
    x = StandardScaler().fit_transform(np.asarray(embeddings, dtype=np.float64))
    if method == "pca":
        pca = PCA(n_components=2, random_state=seed).fit(x)
        ratio = pca.explained_variance_ratio_
        return pca.transform(x), f"PC1 {100 * ratio[0]:.1f}% and PC2 {100 * ratio[1]:.1f}% of the variance"
    try:
        import umap
    except ImportError:
        raise InputError("UMAP needs the umap-learn package (pip install umap-learn); PCA works without it") from None
    reducer = umap.UMAP(n_components=2, random_state=seed, n_neighbors=min(15, len(x) - 1), n_jobs=1)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="n_jobs value")  # seeded UMAP runs on one thread, as asked
        xy = reducer.fit_transform(x)
    return xy.astype(np.float64), "UMAP (seeded; distances between clusters are not to scale)"
