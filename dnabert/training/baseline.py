"""The k-mer baseline: logistic regression on k-mer frequencies of both strands.

Every fine-tuned model is reported next to this baseline (issue 14): a model
that does not beat k-mer counts has learned nothing a motif or attention map
should be read from.

Features (:func:`kmer_frequencies`): for each sequence, the counts of every
k-mer on the + strand plus those on the - strand, folded onto canonical
k-mers (a k-mer and its reverse complement share one column), divided by the
total, so a row sums to 1 (k-mers with a letter other than A, C, G, T are not
counted). Model: ``StandardScaler`` then ``LogisticRegression`` (scikit-learn,
L2, C = 1). k is chosen among :data:`BASELINE_KS` by dev AUROC, or by 3-fold
cross-validated AUROC on the training set when there is no dev set (k = 4
when a class has fewer than 3 rows).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from dnabert.training.metrics import classification_metrics

BASELINE_KS = (3, 4, 5, 6)
FALLBACK_K = 4  # without a dev set and too few training rows to choose k on
_BASE = np.full(256, 4, dtype=np.int64)
for _i, _b in enumerate("ACGT"):
    _BASE[ord(_b)] = _i


def canonical_kmers(k: int) -> np.ndarray:
    """Column of each k-mer index (A=0 C=1 G=2 T=3, first base most significant) in the folded table.

    Returns
    -------
    np.ndarray, shape (4**k,), int64
        ``col[c] == col[rc(c)]``; columns are numbered 0..n_canonical-1 in
        order of the smaller of the two indices.
    """
    codes = np.arange(4**k)
    digits = (codes[:, None] // 4 ** np.arange(k - 1, -1, -1)) % 4  # (4**k, k), first base first
    rc = ((3 - digits[:, ::-1]) * 4 ** np.arange(k - 1, -1, -1)).sum(axis=1)
    canon = np.minimum(codes, rc)
    _, col = np.unique(canon, return_inverse=True)
    return col


def kmer_frequencies(seqs: list[str], k: int) -> np.ndarray:
    """Canonical k-mer frequencies of both strands.

    Parameters
    ----------
    seqs : list of str
        n upper-case sequences (letters other than A, C, G, T break k-mers).
    k : int

    Returns
    -------
    np.ndarray, shape (n, n_canonical), float64
        Rows sum to 1 (0 for a sequence without a valid k-mer).
    """
    col = canonical_kmers(k)
    n_cols = int(col.max()) + 1
    out = np.zeros((len(seqs), n_cols))
    weights = 4 ** np.arange(k - 1, -1, -1)
    for i, s in enumerate(seqs):
        b = _BASE[np.frombuffer(s.encode("ascii"), dtype=np.uint8)]
        if len(b) < k:
            continue
        win = np.lib.stride_tricks.sliding_window_view(b, k)  # (L-k+1, k)
        ok = (win < 4).all(axis=1)
        codes = win[ok] @ weights
        # + strand and - strand k-mers land in the same canonical column: count each twice
        out[i] = 2 * np.bincount(col[codes], minlength=n_cols)
    total = out.sum(axis=1, keepdims=True)
    return out / np.maximum(total, 1)


def baseline_pipeline(seed: int = 0) -> Pipeline:
    """The classifier on the features: standardise, then L2 logistic regression."""
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000, random_state=seed))


@dataclass
class Baseline:
    """A fitted k-mer baseline.

    Attributes
    ----------
    k : int
        Chosen k.
    pipeline : sklearn Pipeline
        Fitted on the training set at that k.
    selection : dict
        k -> the AUROC it was chosen by (dev, or cross-validated on train).
    selected_on : str
        ``"dev"`` or ``"train (3-fold CV)"``.
    """

    k: int
    pipeline: Pipeline
    selection: dict[int, float]
    selected_on: str

    def predict_proba(self, seqs: list[str]) -> np.ndarray:
        """Class probabilities, shape (n, C)."""
        return self.pipeline.predict_proba(kmer_frequencies(seqs, self.k))


def fit_baseline(
    train_seqs: list[str],
    y_train: np.ndarray,
    dev_seqs: list[str] | None = None,
    y_dev: np.ndarray | None = None,
    ks: tuple[int, ...] = BASELINE_KS,
    seed: int = 0,
) -> Baseline:
    """Fit the baseline for each k in ``ks`` and keep the k with the best dev AUROC.

    ``y_train`` / ``y_dev`` are class indices (n,). Without a dev set, k is
    chosen by 3-fold cross-validated AUROC on the training set; with fewer
    than 3 rows in some class there is nothing to choose on and k is
    :data:`FALLBACK_K`.
    """
    from sklearn.model_selection import cross_val_score

    scoring = "roc_auc" if len(np.unique(y_train)) == 2 else "roc_auc_ovr"
    selection: dict[int, float] = {}
    fitted: dict[int, Pipeline] = {}
    counts = np.bincount(y_train)
    if dev_seqs is None and counts[counts > 0].min() < 3:
        x = kmer_frequencies(train_seqs, FALLBACK_K)
        return Baseline(FALLBACK_K, baseline_pipeline(seed).fit(x, y_train), {}, "none (too few rows)")
    for k in ks:
        x = kmer_frequencies(train_seqs, k)
        pipe = baseline_pipeline(seed).fit(x, y_train)
        fitted[k] = pipe
        if dev_seqs is not None:
            score = classification_metrics(y_dev, pipe.predict_proba(kmer_frequencies(dev_seqs, k)))["auroc"]
        else:
            score = float(np.mean(cross_val_score(baseline_pipeline(seed), x, y_train, cv=3, scoring=scoring)))
        selection[k] = float(np.nan_to_num(score, nan=-1.0))
    best = max(ks, key=lambda k: selection[k])
    return Baseline(best, fitted[best], selection, "dev" if dev_seqs is not None else "train (3-fold CV)")


def lost_to_baseline_note(record: dict) -> str | None:
    """The plain-language warning for a metrics record (``metrics.json``) whose model is not better than its baseline.

    The verdict is the paired bootstrap on the test split (``comparison``,
    :mod:`dnabert.training.bootstrap`): a model is better only when the 95% interval
    of its AUROC minus the baseline's lies above 0. Records from before the
    bootstrap (no ``comparison``) compare the single AUROC values, test when
    both have one, else dev; a tie counts as not beating it. None when the
    model is better or the record has no baseline.
    """
    from dnabert.training.bootstrap import verdict_sentence

    base = record.get("baseline") or {}
    advice = (
        "Its predictions, attention maps and motifs are no better than k-mer composition; treat them with caution "
        "(try more epochs, another learning rate, more training rows, or `--recipe auto` with a larger `--budget-minutes`)."
    )
    comparison = record.get("comparison")
    if comparison:
        if comparison["auroc"]["verdict"] == "better":
            return None
        return f"This model is {verdict_sentence(comparison, comparison.get('split', 'test'))}. {advice}"
    for split in ("test", "dev"):
        m, b = (record.get(split) or {}).get("auroc"), (base.get(split) or {}).get("auroc")
        if m is not None and b is not None:
            if m > b:
                return None
            return (
                f"This model did not beat a k-mer baseline: {split} AUROC {m:.3f} vs {b:.3f} for logistic regression on "
                f"{base.get('k')}-mer counts (no interval recorded). {advice}"
            )
    return None


def folder_record(path: str | Path) -> dict | None:
    """A model folder's ``metrics.json`` record (None when there is none or it is unreadable)."""
    f = Path(path) / "metrics.json"
    if not f.is_file():
        return None
    try:
        record = json.loads(f.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return record if isinstance(record, dict) else None


def folder_notes(path: str | Path) -> list[str]:
    """Notes for a model folder from its ``metrics.json`` (empty when there is none or the model is better)."""
    record = folder_record(path)
    note = lost_to_baseline_note(record) if record else None
    return [note] if note else []


COMPARED = ("auroc", "auprc", "mcc", "f1", "accuracy")


def comparison_table(record: dict) -> pd.DataFrame:
    """Model vs baseline per split from a ``metrics.json`` record.

    Returns
    -------
    pandas.DataFrame
        Index (split, "model" / "k-mer baseline (k=K)"), columns :data:`COMPARED`.
    """
    base = record.get("baseline") or {}
    rows, index = [], []
    for split in ("dev", "test"):
        for who, m in (("model", record.get(split)), (f"k-mer baseline (k={base.get('k')})", base.get(split))):
            if m:
                rows.append({c: m.get(c) for c in COMPARED})
                index.append((split, who))
    return pd.DataFrame(
        rows, index=pd.MultiIndex.from_tuples(index, names=["split", ""]) if index else None, columns=list(COMPARED), dtype=float
    )
