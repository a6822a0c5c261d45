"""Deletion curves: how fast the prediction falls when the bases an evidence ranks first are deleted.

For each sequence (length L) and each ranking of its bases (an evidence track
of :mod:`dnabert.analysis.evidence`, highest first, ties by position; or ``random``, a
seeded permutation), the top ``round(f * L)`` bases are deleted for every
fraction f of ``fractions`` and the class probability of the result is
predicted. Deleting a base means (``fill``, :data:`dnabert.options.DELETION_FILLS`):

* ``N``: replacing it by N (a letter the model knows only as unknown);
* ``shuffle``: permuting the deleted bases among themselves (seeded), so the
  composition of the sequence is kept.

The bases deleted at a fraction include those deleted at every smaller one.
A ranking the model really uses makes the probability fall faster than the
random ranking. Per ranking the report gives the area under its mean curve
(trapezoids over the fractions; units: probability x fraction of bases) and
the area between the random curve and it, ``area_vs_random = AUC(random) -
AUC(ranking)``: positive when deleting the ranked bases lowers the prediction
more than deleting random ones. Its 95% interval is a percentile bootstrap over
sequences (:data:`BOOTSTRAP` resamples, seeded).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dnabert.loading.checkpoint import LoadedModel
from dnabert.errors import InputError
from dnabert.analysis.evidence import evidence
from dnabert.analysis.inference import predict
from dnabert.options import ATTENTION_MODES, DELETION_FILLS, DELETION_FRACTIONS, EVIDENCE_KINDS

RANDOM = "random"
BOOTSTRAP = 1000
CURVE_COLUMNS = ["id", "ranking", "fraction", "n_deleted", "p"]
AREA_COLUMNS = ["ranking", "auc", "area_vs_random", "ci_low", "ci_high", "n_sequences"]


def deletion_order(track: np.ndarray) -> np.ndarray:
    """Positions of a track from the highest value to the lowest (ties: lower position first), shape (L,), int64."""
    return np.lexsort((np.arange(len(track)), -np.asarray(track, dtype=np.float64)))


def delete_bases(seq: str, positions: np.ndarray, fill: str, rng: np.random.Generator) -> str:
    """``seq`` with the bases at ``positions`` (0-based) deleted as ``fill`` says (module docstring)."""
    chars = np.array(list(seq))
    positions = np.asarray(positions, dtype=np.int64)
    if fill == "N":
        chars[positions] = "N"
    elif fill == "shuffle":
        chars[positions] = chars[rng.permutation(positions)]
    else:
        raise InputError(f"fill must be one of {', '.join(DELETION_FILLS)}, got {fill!r}")
    return "".join(chars)


@dataclass
class DeletionCurves:
    """Deletion curves of n sequences under R rankings.

    Attributes
    ----------
    ids : list of str
    fractions : np.ndarray, shape (F,)
    p : dict of str to np.ndarray
        Ranking name -> class probability, shape (n, F); column 0 is the
        sequence as given when fractions[0] is 0.
    label : str
        The class followed.
    fill : str
    """

    ids: list[str]
    fractions: np.ndarray
    p: dict[str, np.ndarray]
    label: str
    fill: str

    def table(self, lengths: list[int]) -> pd.DataFrame:
        """One row per sequence, ranking and fraction (:data:`CURVE_COLUMNS`); ``lengths``: L of each sequence."""
        rows = [
            (sid, name, f, round(f * length), float(p[i, j]))
            for name, p in self.p.items()
            for i, (sid, length) in enumerate(zip(self.ids, lengths))
            for j, f in enumerate(self.fractions)
        ]
        return pd.DataFrame(rows, columns=CURVE_COLUMNS)

    def mean_curves(self) -> pd.DataFrame:
        """Mean probability over sequences: columns ranking, fraction, p."""
        rows = [(name, f, float(m)) for name, p in self.p.items() for f, m in zip(self.fractions, p.mean(axis=0))]
        return pd.DataFrame(rows, columns=["ranking", "fraction", "p"])

    def areas(self, seed: int = 0) -> pd.DataFrame:
        """Per ranking: AUC of the mean curve and the area between the random curve and it, with a 95%
        percentile-bootstrap interval over sequences (:data:`AREA_COLUMNS`)."""
        auc = {name: np.trapezoid(p, self.fractions, axis=1) for name, p in self.p.items()}  # (n,) per ranking
        rng = np.random.default_rng(seed)
        n = len(self.ids)
        resamples = rng.integers(0, n, size=(BOOTSTRAP, n))
        rows = []
        for name, a in auc.items():
            gap = auc[RANDOM] - a
            boot = gap[resamples].mean(axis=1)
            low, high = (np.nan, np.nan) if name == RANDOM else np.percentile(boot, [2.5, 97.5])
            rows.append((name, float(a.mean()), float(gap.mean()), float(low), float(high), n))
        return pd.DataFrame(rows, columns=AREA_COLUMNS)


def deletion_curves(
    lm: LoadedModel,
    seqs: list[str],
    rankings: dict[str, list[np.ndarray]],
    ids: list[str] | None = None,
    fractions: tuple[float, ...] = DELETION_FRACTIONS,
    fill: str = DELETION_FILLS[0],
    class_index: int = -1,
    seed: int = 0,
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> DeletionCurves:
    """Predict the class probability of every sequence with its top-ranked bases deleted, per ranking and fraction.

    Parameters
    ----------
    lm : LoadedModel
    seqs : list of str
        n validated sequences.
    rankings : dict of str to list of np.ndarray
        Name -> n evidence tracks (L_i,) (higher = deleted first); ``random``
        (a seeded permutation per sequence) is added.
    ids : list of str, optional
    fractions : tuple of float
        Shares of each sequence's bases to delete, in [0, 1], increasing.
    fill : {"N", "shuffle"}
    class_index : int
        Class whose probability is followed (negative counts from the end).
    seed : int
        Seeds the random ranking and the shuffles.
    batch_size : int
    progress : callable, optional
        ``progress(done, total)`` over the predicted sequences.

    Returns
    -------
    DeletionCurves
    """
    f = np.asarray(fractions, dtype=np.float64)
    if len(f) < 2 or (f < 0).any() or (f > 1).any() or (np.diff(f) <= 0).any():
        raise InputError(f"fractions must be at least two increasing shares in [0, 1], got {list(fractions)}")
    if fill not in DELETION_FILLS:
        raise InputError(f"fill must be one of {', '.join(DELETION_FILLS)}, got {fill!r}")
    if RANDOM in rankings:
        raise InputError(f"'{RANDOM}' is the random ranking's name; name the others otherwise")
    for name, tracks in rankings.items():
        bad = next((i for i, (t, s) in enumerate(zip(tracks, seqs)) if len(t) != len(s)), None)
        if len(tracks) != len(seqs) or bad is not None:
            raise InputError(f"ranking {name!r}: need one track of the sequence's length per sequence (sequence {bad})")
    rng = np.random.default_rng(seed)
    orders = {name: [deletion_order(t) for t in tracks] for name, tracks in rankings.items()}
    orders[RANDOM] = [rng.permutation(len(s)) for s in seqs]
    variants = {}  # the text of every sequence to predict -> its row
    cells = {}  # (ranking, i, j) -> row
    for name, per_seq in orders.items():
        for i, (seq, order) in enumerate(zip(seqs, per_seq)):
            for j, frac in enumerate(f):
                text = delete_bases(seq, order[: round(frac * len(seq))], fill, rng)
                cells[name, i, j] = variants.setdefault(text, len(variants))
    texts = list(variants)
    probs = np.zeros(len(texts))
    target = class_index % lm.model.config.num_labels
    step = 1024
    for lo in range(0, len(texts), step):
        probs[lo : lo + step] = predict(lm, texts[lo : lo + step], batch_size, attention=None).probs[:, target]
        if progress is not None:
            progress(min(lo + step, len(texts)), len(texts))
    p = {name: np.zeros((len(seqs), len(f))) for name in orders}
    for (name, i, j), row in cells.items():
        p[name][i, j] = probs[row]
    return DeletionCurves(ids or [f"seq{i + 1}" for i in range(len(seqs))], f, p, lm.labels[target], fill)


def evidence_deletion_curves(
    lm: LoadedModel,
    ids: list[str],
    seqs: list[str],
    attention: str = ATTENTION_MODES[0],
    class_index: int = -1,
    fill: str = DELETION_FILLS[0],
    seed: int = 0,
    batch_size: int = 32,
    progress: Callable[[str, int, int], None] | None = None,
) -> DeletionCurves:
    """Every kind of evidence of ``seqs`` (:func:`dnabert.analysis.evidence.evidence`), then their deletion curves and random's.

    ``attention`` is the attention aggregation; ``progress(stage, done, total)`` is
    called as each stage advances (the kinds of :data:`dnabert.options.EVIDENCE_KINDS`, then ``deletion``).
    """

    def stage(name: str):
        return None if progress is None else (lambda done, total: progress(name, done, total))

    rankings = {kind: evidence(lm, seqs, kind, attention, class_index, batch_size, stage(kind)) for kind in EVIDENCE_KINDS}
    return deletion_curves(lm, seqs, rankings, ids, DELETION_FRACTIONS, fill, class_index, seed, batch_size, stage("deletion"))
