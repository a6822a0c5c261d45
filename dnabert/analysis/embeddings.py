"""Sequence embeddings (the encoder's last hidden states) and their 2-D maps.

Pooling:

``"cls"``
    the last hidden state of [CLS] (what the classification head reads);
``"mean"``
    the mean of the last hidden states of the content tokens (k-mers, BPE
    pieces or 6-mers; [CLS], [SEP] and padding excluded).

They are computed in the prediction pass (:func:`dnabert.analysis.inference.predict_modes`
with ``embeddings=True``, pooled by :func:`dnabert.analysis.inference.pool_hidden`), so an app
that has predicted a set already holds its embeddings. Long sequences are split into
the same windows as the predictions (:func:`dnabert.analysis.inference.window_starts`) and
their window embeddings averaged.

Maps: PCA (scikit-learn) of the standardised embeddings, always available;
UMAP through ``umap-learn`` when it is installed (``pip install umap-learn``).
Both seeded.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from dnabert.loading.checkpoint import LoadedModel
from dnabert.errors import InputError
from dnabert.analysis.inference import predict_modes
from dnabert.options import POOLINGS, PROJECTIONS, EmbeddingMap


def embed(
    lm: LoadedModel,
    seqs: list[str],
    pooling: str = EmbeddingMap.pooling,
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Embeddings of sequences of any length, from a prediction pass (:func:`dnabert.analysis.inference.predict_modes`).

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
    pred = predict_modes(lm, seqs, (), batch_size, progress or False, embeddings=True)[None]
    return pred.embeddings[pooling]


def project(embeddings: np.ndarray, method: str = EmbeddingMap.method, seed: int = 0) -> tuple[np.ndarray, str]:
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
