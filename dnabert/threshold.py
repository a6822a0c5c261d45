"""The decision threshold of a two-class model, chosen on dev by MCC.

A model trained with class imbalance, few epochs or early stopping can rank
well (high AUROC) while its probabilities sit far from 0.5, so argmax
mislabels many sequences. For two classes :func:`best_threshold` picks the
cut on P(class 1) that maximises the Matthews correlation on the dev set;
``finetune`` stores it in ``config.json`` as ``decision_threshold`` and
``predict`` / the app label a sequence class 1 when P(class 1) >= it.
Multi-class models keep argmax.
"""

from __future__ import annotations

import numpy as np

CONFIG_KEY = "decision_threshold"


def mcc_at_cuts(y_true: np.ndarray, p_pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """MCC of "class 1 when p >= t" for every distinct score t.

    Parameters
    ----------
    y_true : np.ndarray, shape (n,)
        0 / 1.
    p_pos : np.ndarray, shape (n,)
        Scores of class 1.

    Returns
    -------
    cuts : np.ndarray, shape (m,)
        The distinct scores, descending.
    mcc : np.ndarray, shape (m,)
        MCC at each cut (0 where it is undefined).
    """
    y = np.asarray(y_true).astype(bool)
    p = np.asarray(p_pos, dtype=np.float64)
    order = np.argsort(-p, kind="stable")
    p, y = p[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(p) != 0), len(p) - 1]  # last row of each run of equal scores
    tp = np.cumsum(y)[last].astype(np.float64)
    fp = (last + 1) - tp
    fn, tn = y.sum() - tp, (~y).sum() - fp
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    mcc = np.divide(tp * tn - fp * fn, den, out=np.zeros_like(den), where=den > 0)
    return p[last], mcc


def best_threshold(y_true: np.ndarray, p_pos: np.ndarray) -> float:
    """The threshold on P(class 1) with the highest MCC on (``y_true``, ``p_pos``).

    The midpoint between the best cut's score and the next lower distinct
    score (so unseen scores between them fall on the positive side only when
    they are above the middle); the best cut itself when it is the lowest
    score. Ties: the highest cut. 0.5 when ``y_true`` has one class only.
    """
    y = np.asarray(y_true)
    if len(np.unique(y)) < 2:
        return 0.5
    cuts, mcc = mcc_at_cuts(y, p_pos)
    i = int(np.argmax(mcc))
    return float(cuts[i] if i == len(cuts) - 1 else (cuts[i] + cuts[i + 1]) / 2)


def predicted_classes(probs: np.ndarray, threshold: float | None = None) -> np.ndarray:
    """Class index per row of ``probs`` (n, C): P(class 1) >= ``threshold`` for C = 2 with a threshold, else argmax."""
    probs = np.asarray(probs)
    if threshold is None or probs.shape[1] != 2:
        return probs.argmax(axis=1)
    return (probs[:, 1] >= threshold).astype(np.int64)


def model_threshold(config) -> float | None:
    """The stored decision threshold of a two-class model's config (None: argmax)."""
    t = getattr(config, CONFIG_KEY, None)
    return float(t) if t is not None and getattr(config, "num_labels", 2) == 2 else None
