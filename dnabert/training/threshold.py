"""The decision threshold of a two-class model, chosen on dev by MCC, and the one predicted-class rule.

A model trained with class imbalance, few epochs or early stopping can rank
well (high AUROC) while its probabilities sit far from 0.5, so argmax
mislabels many sequences. For two classes :func:`decision_threshold` picks
the cut on P(class 1) that maximises the Matthews correlation on the dev set,
when dev holds at least :data:`MIN_DEV_PER_CLASS` rows of each class (else
0.5, with a note saying why); it moves away from 0.5 only when that raises dev
MCC, and lies halfway between two dev scores, never on one. ``finetune``
stores it in ``config.json`` as ``decision_threshold``.

The predicted class of a sequence, on every page, in every command and in
the demo build, is :func:`predicted_labels`: P(class 1) >= the model's stored
threshold for a two-class model that has one, else argmax
(:func:`class_rule` names the rule).
"""

from __future__ import annotations

import numpy as np

CONFIG_KEY = "decision_threshold"
MIN_DEV_PER_CLASS = 20  # fewer dev rows of a class: the threshold stays 0.5 (a cut chosen on a handful of scores is noise)


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

    0.5 when it is among the best (MCC at 0.5 equals the best), when no cut
    has a positive MCC, or when ``y_true`` has one class. Otherwise the best
    cut's interval of thresholds (from the next lower distinct score,
    exclusive, to the cut's score) is split in the middle, so the threshold
    lies halfway between a score of the called and one of the uncalled rows,
    never on a score or at the end of the score range. Several best cuts: the
    one whose middle is nearest 0.5.
    """
    y = np.asarray(y_true)
    p = np.asarray(p_pos, dtype=np.float64)
    if len(np.unique(y)) < 2:
        return 0.5
    cuts, mcc = mcc_at_cuts(y, p)
    best = mcc.max()
    at_half = mcc_at_threshold(y, p, 0.5)
    if best <= 0 or at_half >= best - 1e-12:
        return 0.5
    below = np.r_[cuts[1:], 0.0]  # the next lower distinct score (0 below the lowest)
    middles = (cuts + below) / 2
    candidates = np.flatnonzero(mcc >= best - 1e-12)
    i = candidates[np.argmin(np.abs(middles[candidates] - 0.5))]
    return float(middles[i])


def mcc_at_threshold(y_true: np.ndarray, p_pos: np.ndarray, threshold: float) -> float:
    """MCC of "class 1 when p >= ``threshold``" (0 where undefined), by the confusion-matrix formula."""
    y = np.asarray(y_true).astype(bool)
    called = np.asarray(p_pos) >= threshold
    tp, fp = float(np.sum(called & y)), float(np.sum(called & ~y))
    fn, tn = float(np.sum(~called & y)), float(np.sum(~called & ~y))
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return float((tp * tn - fp * fn) / den) if den > 0 else 0.0


def decision_threshold(y_dev: np.ndarray, p_dev: np.ndarray, min_per_class: int = MIN_DEV_PER_CLASS) -> tuple[float, str | None]:
    """The decision threshold of a two-class model from its dev scores, and a note when it stays 0.5 for want of data.

    Parameters
    ----------
    y_dev : np.ndarray, shape (n,)
        0 / 1 dev labels.
    p_dev : np.ndarray, shape (n,)
        P(class 1) on dev.
    min_per_class : int
        Fewest dev rows of each class to choose a threshold on.

    Returns
    -------
    (float, str or None)
        :func:`best_threshold` when dev has enough of each class, else 0.5 and why.
    """
    counts = np.bincount(np.asarray(y_dev, dtype=np.int64), minlength=2)
    if counts.min() < min_per_class:
        return 0.5, (
            f"decision threshold 0.5: the dev set has {counts[0]} and {counts[1]} rows of the two classes, fewer than "
            f"{min_per_class} of one, too few to choose a threshold on"
        )
    return best_threshold(y_dev, p_dev), None


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


def predicted_labels(lm, probs: np.ndarray) -> list[str]:
    """The predicted class name of each row of ``probs`` (n, C) for the loaded model ``lm``: THE class rule.

    P(class 1) >= the model's stored decision threshold for a two-class model
    that has one (:func:`model_threshold`), else the most probable class.
    """
    return [lm.labels[i] for i in predicted_classes(probs, model_threshold(lm.model.config))]


def class_rule(lm) -> str:
    """The rule :func:`predicted_labels` applies for ``lm``, in words (e.g. ``P(positive) >= 0.300 (stored threshold)``)."""
    t = model_threshold(lm.model.config)
    if t is None:
        return "most probable class"
    return f"P({lm.labels[1]}) >= {t:.3f} (the model's decision threshold)"
