"""Does the model use a motif? Insertion and ablation, each against a matched control.

Attention on a motif is not evidence that the model's prediction depends on it.
For each motif (a (4, W) probability matrix, rows ACGT) and a function giving
the model's probability of the class of interest:

* **Insertion.** n background sequences (the negatives, or
  dinucleotide-shuffled positives) get a site sampled from the motif's matrix
  (each column independently; forward or reverse strand with equal chance)
  written over their middle W bases, ``[(L - W) // 2, (L - W) // 2 + W)``;
  the same backgrounds get, at the same place and on the same strand, a site
  sampled from the column-shuffled matrix (the same columns in a random
  order: the same base composition and information, not the motif). Paired
  difference per background: ``p(motif) - p(shuffled motif)``.
* **Ablation.** In every positive with a FIMO site of the motif (memelite,
  both strands, site p < ``site_pvalue``), the bases of each site are
  shuffled (a random permutation within the site); the control shuffles as
  many windows of the same width at random places that overlap no site of the
  motif. Paired difference per positive: ``p(sites shuffled) - p(random
  windows shuffled)`` (negative when the model needs the sites).

Per test: the mean paired difference (the effect, in probability units) with
its 95% t-interval, and the Wilcoxon signed-rank p-value (``scipy.stats.wilcoxon``;
NaN with fewer than :data:`MIN_PAIRS` pairs): two-sided for the insertion (a
motif may raise or lower the probability), one-sided (sites shuffled < random
windows shuffled) for the ablation, because its control can itself hit what the
model needs (another motif's site), so a motif the model ignores tends to a
positive ablation effect; a repressor (p up when its sites go) shows as a
negative insertion effect instead.
q-values: Benjamini-Hochberg over every test of every checked motif (both
kinds together). Verdict: "the model uses it" when a test has q <
``cause_q`` and an effect of at least ``cause_min_effect`` in absolute value;
otherwise "no effect found" (or "not testable" when neither test had pairs).
At most ``cause_sequences`` backgrounds and positives (a seeded random subset)
are used per motif. Motifs are checked in the given order while the time
budget lasts; the next motif starts only if the mean time per motif so far
still fits, and the others are reported "not checked (time budget)".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control, wilcoxon
from scipy.stats import t as student_t

from motif.encoding import encode
from motif.jaspar import MotifDatabase
from motif.params import MotifParams

USES = "the model uses it"
NO_EFFECT = "no effect found"
NOT_TESTABLE = "not testable"
NOT_CHECKED = "not checked (time budget)"
MIN_PAIRS = 5  # fewest pairs for a test
TESTS = ("insertion", "ablation")
ALTERNATIVES = {"insertion": "two-sided", "ablation": "less"}  # see the module docstring
CAUSE_COLUMNS = [
    "motif_id",
    "name",
    *(f"{t}_{c}" for t in TESTS for c in ("n", "effect", "low", "high", "p", "q")),
    "verdict",
]
_BASES = np.array(list("ACGT"))

PredictFn = Callable[[list[str]], np.ndarray]
"""Sequences (n) -> the model's probability of the class of interest, shape (n,)."""


@dataclass
class CauseResult:
    """Output of :func:`cause_check`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per motif, in the given order, :data:`CAUSE_COLUMNS`.
    differences : dict of (str, str) to np.ndarray
        (motif id, test) -> the paired differences, shape (n,), that the row's
        effect and p-value come from (absent for a motif not checked).
    notes : list of str
    seconds : float
        Time spent.
    """

    table: pd.DataFrame
    differences: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def sample_sites(ppm: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n sites drawn from ``ppm`` (4, W), each column independently -> (n, W) codes 0..3 (ACGT)."""
    cum = np.cumsum(ppm / ppm.sum(axis=0, keepdims=True), axis=0)  # (4, W)
    u = rng.random((n, ppm.shape[1]))
    return np.minimum((u[:, :, None] > cum.T[None, :, :]).sum(axis=2), 3)


def column_shuffled(ppm: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``ppm`` (4, W) with its columns in a random order other than the original (when W > 1 allows one)."""
    w = ppm.shape[1]
    order = rng.permutation(w)
    while w > 1 and np.array_equal(order, np.arange(w)):
        order = rng.permutation(w)
    return ppm[:, order]


def _write(seq: str, start: int, codes: np.ndarray) -> str:
    return seq[:start] + "".join(_BASES[codes]) + seq[start + len(codes) :]


def insertion_pairs(
    backgrounds: list[str], ppm: np.ndarray, rng: np.random.Generator
) -> tuple[list[str], list[str], np.ndarray]:
    """The insertion test's sequences (module docstring).

    Parameters
    ----------
    backgrounds : list of str
        Sequences at least W long (shorter ones must be left out by the caller).
    ppm : np.ndarray, shape (4, W)

    Returns
    -------
    with_motif, with_control : list of str
        Each background with a motif site / a column-shuffled site over its middle W bases.
    reverse : np.ndarray, shape (n,), bool
        Which sites were written on the reverse strand.
    """
    n, w = len(backgrounds), ppm.shape[1]
    control = column_shuffled(ppm, rng)
    reverse = rng.random(n) < 0.5
    sites, shuffled = sample_sites(ppm, n, rng), sample_sites(control, n, rng)
    sites[reverse], shuffled[reverse] = 3 - sites[reverse, ::-1], 3 - shuffled[reverse, ::-1]
    starts = [(len(s) - w) // 2 for s in backgrounds]
    with_motif = [_write(s, a, c) for s, a, c in zip(backgrounds, starts, sites)]
    with_control = [_write(s, a, c) for s, a, c in zip(backgrounds, starts, shuffled)]
    return with_motif, with_control, reverse


def _shuffle_windows(seq: str, starts, width: int, rng: np.random.Generator) -> str:
    chars = list(seq)
    for a in starts:
        chars[a : a + width] = rng.permutation(chars[a : a + width])
    return "".join(chars)


def ablation_pairs(
    positives: list[str], sites: pd.DataFrame, width: int, rng: np.random.Generator
) -> tuple[list[str], list[str], np.ndarray]:
    """The ablation test's sequences (module docstring).

    Parameters
    ----------
    positives : list of str
    sites : pandas.DataFrame
        The motif's sites: ``seq`` (index into ``positives``), ``start`` (0-based), all ``width`` long.
    width : int

    Returns
    -------
    ablated, control : list of str
        Per positive with a site that has room for its control: its sites shuffled / as many random windows
        (overlapping no site) shuffled.
    seq : np.ndarray, shape (m,), int64
        Which positives they are.
    """
    ablated, control, kept = [], [], []
    for i, group in sites.groupby("seq", sort=True):
        seq = positives[int(i)]
        starts = np.unique(group["start"].to_numpy(np.int64))
        covered = np.zeros(len(seq) + 1, dtype=np.int64)
        np.add.at(covered, starts, 1)
        np.add.at(covered, starts + width, -1)
        in_site = np.cumsum(covered)[: len(seq)] > 0
        # a control window [a, a + width) overlaps no site: no covered base inside it
        free = np.convolve(in_site.astype(np.int64), np.ones(width, dtype=np.int64), "valid") == 0
        candidates = np.flatnonzero(free)
        if len(candidates) < len(starts):
            continue
        ablated.append(_shuffle_windows(seq, starts, width, rng))
        control.append(_shuffle_windows(seq, rng.choice(candidates, len(starts), replace=False), width, rng))
        kept.append(int(i))
    return ablated, control, np.array(kept, dtype=np.int64)


def paired_test(differences: np.ndarray, alternative: str = "two-sided") -> tuple[float, float, float, float]:
    """Mean of paired differences (n,), its 95% t-interval and the Wilcoxon signed-rank p (``alternative`` as scipy's).

    NaN for all four with fewer than :data:`MIN_PAIRS` pairs; p = 1 when every difference is 0.
    """
    d = np.asarray(differences, dtype=np.float64)
    if len(d) < MIN_PAIRS:
        return (float("nan"),) * 4
    mean = float(d.mean())
    half = float(student_t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)))
    p = 1.0 if not np.any(d) else float(wilcoxon(d, alternative=alternative).pvalue)
    return mean, mean - half, mean + half, p


def fimo_motif_sites(ppm: np.ndarray, seqs: list[str], threshold: float) -> pd.DataFrame:
    """FIMO sites of one motif in ``seqs`` (both strands, p < ``threshold``): columns seq, start, end, strand, score, p."""
    from motif.known import fimo_sites

    database = MotifDatabase("motif", ("motif",), ("motif",), (np.asarray(ppm, dtype=np.float64),))
    return fimo_sites(database, encode(seqs), threshold)


def cause_check(
    predict: PredictFn,
    ids: list[str],
    names: list[str],
    ppms: list[np.ndarray],
    positives: list[str],
    backgrounds: list[str],
    params: MotifParams = MotifParams(),
) -> CauseResult:
    """Insertion and ablation tests of every motif (module docstring).

    Parameters
    ----------
    predict : callable
        Sequences (n) -> probability of the class of interest, shape (n,)
        (e.g. :func:`model_predictor`).
    ids, names : list of str
        Per motif.
    ppms : list of np.ndarray
        Per motif, shape (4, W), rows ACGT.
    positives, backgrounds : list of str
        Sequences of the class of interest (ablation) and without it (insertion).
    params : MotifParams
        ``cause_budget``, ``cause_sequences``, ``cause_q``, ``cause_min_effect``,
        ``site_pvalue`` (FIMO sites for the ablation) and ``seed``.

    Returns
    -------
    CauseResult
    """
    t0 = time.perf_counter()
    rng = np.random.default_rng(params.seed)
    result = CauseResult(pd.DataFrame(columns=CAUSE_COLUMNS))
    rows, spent = [], []
    for motif_id, name, ppm in zip(ids, names, ppms):
        ppm = np.asarray(ppm, dtype=np.float64)
        elapsed = time.perf_counter() - t0
        if spent and elapsed + np.mean(spent) > params.cause_budget:
            rows.append({"motif_id": motif_id, "name": name, "verdict": NOT_CHECKED})
            continue
        w = ppm.shape[1]
        row = {"motif_id": motif_id, "name": name}
        fits = [s for s in backgrounds if len(s) >= w]
        background = [fits[i] for i in _subset(len(fits), params.cause_sequences, rng)]
        with_motif, with_control, _ = insertion_pairs(background, ppm, rng)
        sites = fimo_motif_sites(ppm, positives, params.site_pvalue)
        with_sites = np.unique(sites["seq"].to_numpy(np.int64))
        chosen = with_sites[_subset(len(with_sites), params.cause_sequences, rng)]
        ablated, control, _ = ablation_pairs(positives, sites[sites["seq"].isin(chosen)], w, rng)
        probs = np.asarray(predict(with_motif + with_control + ablated + control), dtype=np.float64)
        n_ins, n_abl = len(with_motif), len(ablated)
        splits = np.split(probs, np.cumsum([n_ins, n_ins, n_abl]))
        for test, diff in zip(TESTS, (splits[0] - splits[1], splits[2] - splits[3])):
            result.differences[(motif_id, test)] = diff
            mean, low, high, p = paired_test(diff, ALTERNATIVES[test])
            row |= {f"{test}_n": len(diff), f"{test}_effect": mean, f"{test}_low": low, f"{test}_high": high, f"{test}_p": p}
        rows.append(row)
        spent.append(time.perf_counter() - t0 - elapsed)
    table = pd.DataFrame(rows, columns=CAUSE_COLUMNS)
    _q_and_verdicts(table, params)
    skipped = int((table["verdict"] == NOT_CHECKED).sum())
    if skipped:
        result.notes.append(
            f"cause check: {skipped} of {len(table)} motifs not checked within the time budget of {params.cause_budget:g} s "
            "(raise cause_budget)"
        )
    result.table, result.seconds = table, time.perf_counter() - t0
    return result


def _subset(n: int, most: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of at most ``most`` of n items (all when n <= most; else a random subset, in order)."""
    return np.arange(n) if n <= most else np.sort(rng.choice(n, most, replace=False))


def _q_and_verdicts(table: pd.DataFrame, params: MotifParams) -> None:
    """Fill the q columns (BH over every test with a p-value) and the verdicts of the checked motifs (in place)."""
    p_cols = [f"{t}_p" for t in TESTS]
    p = table[p_cols].to_numpy(np.float64) if len(table) else np.zeros((0, 2))
    q = np.full(p.shape, np.nan)
    tested = np.isfinite(p)
    if tested.any():
        q[tested] = false_discovery_control(p[tested])
    for j, test in enumerate(TESTS):
        table[f"{test}_q"] = q[:, j]
    effects = np.abs(table[[f"{t}_effect" for t in TESTS]].to_numpy(np.float64)) if len(table) else np.zeros((0, 2))
    uses = ((q < params.cause_q) & (effects >= params.cause_min_effect)).any(axis=1)
    checked = table["verdict"].isna().to_numpy()
    table["verdict"] = table["verdict"].astype(object)
    table.loc[checked, "verdict"] = np.where(uses[checked], USES, np.where(tested[checked].any(axis=1), NO_EFFECT, NOT_TESTABLE))


def model_predictor(lm, class_index: int = -1, batch_size: int = 32) -> PredictFn:
    """A :data:`PredictFn` of a loaded model: :func:`dnabert.analysis.inference.predict` without attention, one class's column."""
    from dnabert.analysis.inference import predict

    def probabilities(seqs: list[str]) -> np.ndarray:
        if not seqs:
            return np.zeros(0)
        return predict(lm, seqs, batch_size, attention=None).probs[:, class_index].astype(np.float64)

    return probabilities


def backgrounds_for(positives: list[str], negatives: list[str] | None, seed: int) -> list[str]:
    """The insertion backgrounds: the negatives, or dinucleotide-shuffled positives (as motif discovery uses)."""
    from dnabert.sequences import shuffled_negatives

    return list(negatives) if negatives else shuffled_negatives(positives, seed)


def check_motifs(result, predict: PredictFn, positives: list[str], negatives: list[str] | None = None) -> None:
    """Cause check of every motif of a :class:`motif.pipeline.MotifResult` (in place: ``cause``, ``notes``, ``timings``).

    ``positives`` are the sequences the motifs were found in; ``negatives`` None
    = dinucleotide-shuffled positives (seeded by ``params.seed``).
    """
    motifs, params = result.motifs, result.params
    checked = cause_check(
        predict,
        [m.id for m in motifs],
        [m.consensus for m in motifs],
        [m.ppm for m in motifs],
        positives,
        backgrounds_for(positives, negatives, params.seed),
        params,
    )
    result.cause = checked.table
    result.notes.extend(checked.notes)
    result.timings["cause"] = checked.seconds
