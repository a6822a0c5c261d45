"""Paired bootstrap of a model against its baseline on the same test rows: the difference, its 95% interval, a verdict.

A model "beats" the k-mer baseline only when the interval of the difference
(model minus baseline) lies above 0 (:func:`verdict`): ``better``; an
interval containing 0 is ``no better``; one below 0 is ``worse``. Both
predictors are scored on the same resampled rows (paired), so the interval
is that of the difference, not of two separate scores. Resamples are drawn
with ``numpy.random.default_rng(seed).integers(0, n, (n_boot, n))``; a
resample with one class only has no AUROC or MCC and is left out. The
interval is the percentile interval of the remaining differences.

AUROC is the Mann-Whitney statistic (average ranks for ties), MCC the
confusion-matrix formula (0 where undefined, as scikit-learn), both computed
for all resamples at once.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

N_BOOT = 2000  # resamples
LEVEL = 0.95  # interval coverage
VERDICTS = ("better", "no better", "worse")


def resample_indices(n: int, n_boot: int = N_BOOT, seed: int = 0) -> np.ndarray:
    """Row indices of ``n_boot`` resamples of ``n`` rows with replacement: shape (n_boot, n), int64."""
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def auroc_rows(y: np.ndarray, score: np.ndarray) -> np.ndarray:
    """AUROC of every row: ``y`` (B, n) 0/1 and ``score`` (B, n) -> (B,), NaN for a row with one class."""
    y = y.astype(bool)
    ranks = rankdata(score, axis=1)  # average ranks for ties
    n_pos = y.sum(axis=1).astype(np.float64)
    n_neg = y.shape[1] - n_pos
    u = (ranks * y).sum(axis=1) - n_pos * (n_pos + 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((n_pos > 0) & (n_neg > 0), u / (n_pos * n_neg), np.nan)


def mcc_rows(y: np.ndarray, called: np.ndarray) -> np.ndarray:
    """MCC of every row: ``y`` and ``called`` (B, n) 0/1 -> (B,); 0 where undefined, NaN for a row with one class."""
    y, called = y.astype(bool), called.astype(bool)
    tp = (y & called).sum(axis=1).astype(np.float64)
    fp = (~y & called).sum(axis=1).astype(np.float64)
    fn = (y & ~called).sum(axis=1).astype(np.float64)
    tn = (~y & ~called).sum(axis=1).astype(np.float64)
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    mcc = np.divide(tp * tn - fp * fn, den, out=np.zeros_like(den), where=den > 0)
    one_class = (tp + fn == 0) | (tn + fp == 0)
    return np.where(one_class, np.nan, mcc)


def verdict(low: float, high: float) -> str:
    """``better`` when the interval of model minus baseline is above 0, ``worse`` when below, else ``no better``."""
    if low > 0:
        return "better"
    if high < 0:
        return "worse"
    return "no better"


def paired_bootstrap(
    y: np.ndarray,
    p_model: np.ndarray,
    p_base: np.ndarray,
    called_model: np.ndarray,
    called_base: np.ndarray,
    n_boot: int = N_BOOT,
    seed: int = 0,
    level: float = LEVEL,
) -> dict[str, dict]:
    """Model minus baseline in AUROC and MCC on the same rows, with a paired bootstrap interval.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        0 / 1 labels.
    p_model, p_base : np.ndarray, shape (n,)
        P(class 1) of the model and of the baseline (AUROC).
    called_model, called_base : np.ndarray, shape (n,)
        0 / 1 predicted class of each, by its own decision rule (MCC).
    n_boot, seed, level
        Resamples, seed of :func:`resample_indices`, interval coverage.

    Returns
    -------
    dict
        ``{"auroc": {...}, "mcc": {...}}``, each with ``model``, ``baseline``,
        ``difference`` (on all rows), ``low`` / ``high`` (the interval),
        ``verdict`` (:func:`verdict`), ``n_boot`` (resamples used) and
        ``level``, ``seed``.
    """
    y = np.asarray(y).astype(np.int64)
    idx = resample_indices(len(y), n_boot, seed)
    yb = y[idx]
    out = {}
    for name, fn, a, b in (
        ("auroc", auroc_rows, np.asarray(p_model, float), np.asarray(p_base, float)),
        ("mcc", mcc_rows, np.asarray(called_model), np.asarray(called_base)),
    ):
        full_a, full_b = float(fn(y[None], a[None])[0]), float(fn(y[None], b[None])[0])
        diff = fn(yb, a[idx]) - fn(yb, b[idx])
        diff = diff[np.isfinite(diff)]
        low, high = np.quantile(diff, [(1 - level) / 2, (1 + level) / 2])
        out[name] = {
            "model": full_a,
            "baseline": full_b,
            "difference": full_a - full_b,
            "low": float(low),
            "high": float(high),
            "verdict": verdict(float(low), float(high)),
            "n_boot": int(len(diff)),
            "level": level,
            "seed": seed,
        }
    return out


def verdict_sentence(comparison: dict, split: str = "test") -> str:
    """One line for console, report and pages: ``better than the k-mer baseline: test AUROC +0.052 (95% CI ...)``."""
    a, m = comparison["auroc"], comparison["mcc"]
    words = {"better": "better than", "no better": "no better than", "worse": "worse than"}[a["verdict"]]
    return (
        f"{words} the k-mer baseline on the {split} split: AUROC {a['model']:.3f} vs {a['baseline']:.3f}, difference "
        f"{a['difference']:+.3f} ({a['level']:.0%} CI {a['low']:+.3f} to {a['high']:+.3f}); MCC {m['model']:.3f} vs "
        f"{m['baseline']:.3f}, difference {m['difference']:+.3f} (CI {m['low']:+.3f} to {m['high']:+.3f}, "
        f"{m['verdict']}); paired bootstrap, {a['n_boot']} resamples, seed {a['seed']}"
    )
