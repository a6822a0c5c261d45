"""Windows around motif instances, count / probability / information matrices, and PWM scanning.

Matrices are (4, W) with rows A, C, G, T (the JASPAR / MEME order).

* Window: ``width`` bases centred on a site [start, end): ``left = (width -
  (end - start)) // 2`` bases before the site on the site's strand (the
  original DNABERT centring; an odd surplus goes to the right). Windows of
  minus-strand sites are reverse-complemented, so all windows of a motif are
  in the motif's orientation. Windows that would cross a sequence end are
  dropped (and counted by the caller); unlike the original, a window ending
  exactly at the sequence end is kept.
* PPM: (counts + pseudocount x background) / (n + pseudocount) per column.
* Information content: relative entropy to the uniform background, in bits
  (``2 - H`` for DNA), the quantity logos show.
* Trimming: flanks with less than ``min_bits`` (0.3 by default) are removed;
  internal low-information columns stay.
* Scanning: log2-odds of the PPM against the background; a site's relative
  score is ``(s - min) / (max - min)`` over the matrix (1 = the best
  possible site). A site's p-value is the probability that a background
  site (bases drawn from the background frequencies) scores at least as
  much, computed exactly on scores rounded to 0.01 bit
  (:func:`pvalue_threshold`).
"""

from __future__ import annotations

import numpy as np

from motif.encoding import Encoded, revcomp_codes
from motif.params import MotifParams

UNIFORM = np.full(4, 0.25)


def window_starts(start: np.ndarray, end: np.ndarray, strand: np.ndarray, width: int) -> np.ndarray:
    """Start of the ``width``-base window centred on each site (see the module docstring).

    Parameters
    ----------
    start, end : np.ndarray, shape (m,), int64
        Sites [start, end), in any coordinate frame.
    strand : np.ndarray, shape (m,), int
        +1 or -1.
    width : int

    Returns
    -------
    np.ndarray, shape (m,), int64
    """
    left = (width - (end - start)) // 2
    return np.where(strand > 0, start - left, end + left - width)


def windows(
    enc: Encoded, seq: np.ndarray, start: np.ndarray, end: np.ndarray, strand: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut oriented windows centred on sites.

    Parameters
    ----------
    enc : Encoded
        The sequences the sites are on.
    seq, start, end, strand : np.ndarray, shape (m,)
        Sites: sequence index, [start, end) in that sequence, strand +1 / -1.
    width : int

    Returns
    -------
    codes : np.ndarray, shape (m', width), uint8
        Windows that fit inside their sequence, in the site's orientation.
    kept : np.ndarray, shape (m,), bool
        Which sites gave a window (the others are too close to an end).
    wstart : np.ndarray, shape (m,), int64
        Window start in the sequence (0-based, half-open [wstart, wstart + width)).
    """
    wstart = window_starts(start, end, strand, width)
    kept = (wstart >= 0) & (wstart + width <= enc.lengths[seq])
    cut = enc.codes[(enc.starts[seq[kept]] + wstart[kept])[:, None] + np.arange(width)]
    minus = strand[kept] < 0
    cut[minus] = revcomp_codes(cut[minus])
    return cut, kept, wstart


def count_matrix(codes: np.ndarray) -> np.ndarray:
    """Base counts per column of aligned windows (m, W) -> (4, W) float64 (non-ACGT ignored)."""
    return np.stack([(codes == b).sum(axis=0) for b in range(4)]).astype(np.float64)


def probabilities(
    counts: np.ndarray, pseudocount: float = MotifParams.pseudocount, background: np.ndarray = UNIFORM
) -> np.ndarray:
    """PPM (4, W) from counts (4, W): (counts + pseudocount x background) / (n + pseudocount)."""
    weighted = counts + pseudocount * np.asarray(background)[:, None]
    return weighted / weighted.sum(axis=0, keepdims=True)


def information(ppm: np.ndarray) -> np.ndarray:
    """Information content per column in bits, shape (W,): 2 - entropy."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(ppm > 0, ppm * np.log2(ppm), 0.0)
    return 2.0 + terms.sum(axis=0)


def trim_bounds(ic: np.ndarray, min_bits: float = 0.3) -> tuple[int, int]:
    """Columns [a, b) left after removing flanks below ``min_bits``; (0, 0) if no column reaches it."""
    strong = np.flatnonzero(ic >= min_bits)
    if len(strong) == 0:
        return 0, 0
    return int(strong[0]), int(strong[-1]) + 1


def consensus(ppm: np.ndarray) -> str:
    """Most probable base of every column of a (4, W) PPM."""
    return "".join("ACGT"[i] for i in ppm.argmax(axis=0))


def log_odds(ppm: np.ndarray, background: np.ndarray = UNIFORM) -> np.ndarray:
    """log2(ppm / background), shape (4, W); the PPM must have no zero (use a pseudocount)."""
    return np.log2(ppm / np.asarray(background)[:, None])


def score_range(pwm: np.ndarray) -> tuple[float, float]:
    """Lowest and highest possible site score of a (4, W) PWM."""
    return float(pwm.min(axis=0).sum()), float(pwm.max(axis=0).sum())


def relative_scores(codes: np.ndarray, pwm: np.ndarray) -> np.ndarray:
    """Relative score ``(s - min) / (max - min)`` of aligned sites (see the module docstring).

    Parameters
    ----------
    codes : np.ndarray, shape (m, W), uint8
        Sites read on the motif's strand; a non-ACGT base scores its column's lowest.
    pwm : np.ndarray, shape (4, W)
        Log-odds matrix.

    Returns
    -------
    np.ndarray, shape (m,), float64
        In [0, 1]; 1 = the best possible site (every site scores 1 when all do equally).
    """
    low, high = score_range(pwm)
    padded = np.vstack([pwm, pwm.min(axis=0)])  # row 4: N and other letters
    score = padded[codes, np.arange(pwm.shape[1])].sum(axis=1)
    return (score - low) / (high - low) if high > low else np.ones(len(codes))


def pvalue_threshold(pwm: np.ndarray, background: np.ndarray, pvalue: float, resolution: float = 0.01) -> float:
    """Lowest site score whose p-value is at most ``pvalue`` (the best possible score if none is).

    Parameters
    ----------
    pwm : np.ndarray, shape (4, W)
        Log-odds matrix.
    background : np.ndarray, shape (4,)
        Base frequencies of background sites.
    pvalue : float
    resolution : float
        Scores are rounded to multiples of it for the exact distribution.

    Returns
    -------
    float
        Score threshold in the units of ``pwm``.
    """
    steps = np.round(pwm / resolution).astype(np.int64)
    steps -= steps.min(axis=0)
    dist = np.ones(1)  # dist[i]: probability that the columns so far score i steps above their minimum
    for column in steps.T:
        grown = np.zeros(len(dist) + column.max())
        for step, freq in zip(column, background):
            grown[step : step + len(dist)] += freq * dist
        dist = grown
    tail = np.cumsum(dist[::-1])[::-1]  # tail[i] = P(score >= i steps)
    reachable = np.flatnonzero(tail <= pvalue)
    best = float(pwm.max(axis=0).sum())
    if not len(reachable):
        return best
    return min(float(pwm.min(axis=0).sum() + reachable[0] * resolution), best)


def scan(codes: np.ndarray, pwm: np.ndarray, positions: np.ndarray | slice) -> tuple[np.ndarray, np.ndarray]:
    """Scores of the sites starting at ``positions``, on both strands.

    Parameters
    ----------
    codes : np.ndarray, shape (T,), uint8
    pwm : np.ndarray, shape (4, W)
        Log-odds matrix.
    positions : np.ndarray, shape (m,), int64, or slice
        Site starts (a slice ``lo:hi`` for a contiguous range, which is
        faster); each site [p, p + W) must lie inside ``codes``.

    Returns
    -------
    forward, reverse : np.ndarray, shape (m,), float64
        Score of the site read on the given strand and on the reverse
        complement; -inf for a site with a non-ACGT code (N, a sequence end).
    """
    w = pwm.shape[1]
    blocked = np.full((1, w), -np.inf)
    fwd_m = np.vstack([pwm, blocked])  # row 4 = code 4: N, IUPAC, sequence ends
    rev_m = np.vstack([pwm[::-1, ::-1], blocked])
    if isinstance(positions, slice):
        columns = (codes[positions.start + j : positions.stop + j] for j in range(w))
    else:
        columns = (codes[positions + j] for j in range(w))
    forward = reverse = 0.0
    for j, c in enumerate(columns):
        forward = forward + fwd_m[:, j].take(c)
        reverse = reverse + rev_m[:, j].take(c)
    return forward, reverse


def _scan_chunks(enc: Encoded, pwm: np.ndarray, chunk: int):
    """Yield (first position, forward scores, reverse scores) of :func:`scan` over every site start of
    ``enc.codes``, ``chunk`` positions at a time (bounds memory)."""
    last = len(enc.codes) - pwm.shape[1] + 1
    for lo in range(0, max(last, 0), chunk):
        yield lo, *scan(enc.codes, pwm, slice(lo, min(lo + chunk, last)))


def site_positions(
    enc: Encoded, pwm: np.ndarray, min_score: float, both_strands: bool = True, chunk: int = 1 << 22
) -> np.ndarray:
    """Start (in ``enc.codes``) of every site scoring at least ``min_score``.

    Parameters
    ----------
    enc : Encoded
    pwm : np.ndarray, shape (4, W)
        Log-odds matrix.
    min_score : float
        Absolute score threshold.
    both_strands : bool
        Also scan the reverse complement (a site scoring on both strands is listed once).
    chunk : int
        Positions scored at once (bounds memory).

    Returns
    -------
    np.ndarray, shape (s,), int64
        Increasing positions; ``enc.seq_of`` gives their sequences.
    """
    found = []
    for lo, forward, reverse in _scan_chunks(enc, pwm, chunk):
        best = np.maximum(forward, reverse) if both_strands else forward
        found.append(lo + np.flatnonzero(best >= min_score))
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def sequences_with_site(
    enc: Encoded, pwm: np.ndarray, min_score: float, both_strands: bool = True, chunk: int = 1 << 22
) -> np.ndarray:
    """Which sequences contain a site scoring at least ``min_score`` (:func:`site_positions`), shape (n,), bool."""
    found = np.zeros(len(enc), dtype=bool)
    found[enc.seq_of(site_positions(enc, pwm, min_score, both_strands, chunk))] = True
    return found


def best_scores(enc: Encoded, pwm: np.ndarray, chunk: int = 1 << 22) -> np.ndarray:
    """Best site score of each sequence, over all positions and both strands.

    Parameters
    ----------
    enc : Encoded
    pwm : np.ndarray, shape (4, W)
        Log-odds matrix.
    chunk : int
        Positions scored at once (bounds memory).

    Returns
    -------
    np.ndarray, shape (n,), float64
        -inf for a sequence without a site of W A/C/G/T bases.
    """
    best = np.full(len(enc), -np.inf)
    for lo, forward, reverse in _scan_chunks(enc, pwm, chunk):
        site = np.maximum(forward, reverse)
        ok = np.isfinite(site)
        np.maximum.at(best, enc.seq_of(lo + np.flatnonzero(ok)), site[ok])
    return best
