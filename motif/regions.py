"""High-attention regions: contiguous runs of positions whose attention is high.

Two rules decide which positions of a track (one sequence's per-nucleotide
scores) are high:

``"zscore"`` (the default of the ``kmers`` mode)
    score > mean + z x SD of the track (population SD, ``z`` = 1).
``"original"`` (DNABERT motif analysis; the default of the ``regions`` mode)
    score > ``mean_factor`` x mean AND score > ``min_factor`` x minimum of
    the track (1 and 10).

Why ``zscore`` is the default of the default mode: measured with ``python bench/bench_motif.py
--rules`` (recall = share of positives with a region on the planted site,
precision = share of region bases on a site):

====================  ========  ======  =========  =======================
attention             rule      recall  precision  motifs found
====================  ========  ======  =========  =======================
synthetic sharp       original  0.96    0.43       REST, NRF1, CTCF
synthetic sharp       zscore    0.94    0.74       REST, NRF1, CTCF
synthetic diffuse     original  0.00    --         none (no region at all)
synthetic diffuse     zscore    0.94    0.74       REST, NRF1, CTCF
demo model, last      original  1.00    0.73       REST, NRF1
demo model, last      zscore    1.00    0.86       REST, NRF1
demo model, mean      original  1.00    0.66       REST, NRF1
demo model, mean      zscore    1.00    0.86       REST, NRF1
demo model, rollout   original  0.96    0.90       REST, NRF1
demo model, rollout   zscore    1.00    0.86       REST, NRF1
====================  ========  ======  =========  =======================

The original rule needs every high position to be 10x the track's minimum:
on diffuse maps (a high baseline with moderate peaks) it finds nothing, and
an earlier build of the demo model (same recipe, other training run) gave
last-layer tracks on which it found a region in only 13% of positives and
missed REST (zscore: 99%, both motifs). mean + 1 SD adapts to each track's
own spread: it found the site in 94-100% of positives in every regime
measured, with fewer off-site bases than the original rule. A track with no
spread (constant or all zero) has no region under either rule.

Positions whose base is not A, C, G or T are never high, so a region never
spans an ``N``. Runs shorter than ``min_len`` are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motif.encoding import OTHER, Encoded
from motif.params import RULES, MotifParams



@dataclass(frozen=True)
class Regions:
    """High-attention regions of the positive sequences, sorted by sequence then start.

    Attributes
    ----------
    seq : np.ndarray, shape (R,), int64
        Index of the positive sequence.
    start, end : np.ndarray, shape (R,), int64
        0-based, half-open coordinates in that sequence.
    """

    seq: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.seq)

    def global_bounds(self, enc: Encoded) -> tuple[np.ndarray, np.ndarray]:
        """Region bounds in the concatenated code array of ``enc`` (the positives): two (R,) arrays."""
        offset = enc.starts[self.seq]
        return offset + self.start, offset + self.end

    def labels(self, enc: Encoded) -> np.ndarray:
        """Region index of every position of ``enc.codes`` (the positives), -1 outside regions: shape (T,)."""
        gstart, gend = self.global_bounds(enc)
        out = np.full(len(enc.codes), -1, dtype=np.int64)
        out[spans(gstart, gend)] = np.repeat(np.arange(len(self), dtype=np.int64), gend - gstart)
        return out

    def strings(self, seqs: list[str]) -> list[str]:
        """The sequence of every region, shape (R,)."""
        return [seqs[i][s:e] for i, s, e in zip(self.seq.tolist(), self.start.tolist(), self.end.tolist())]


def spans(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """All positions of the intervals [start, end), concatenated in order: shape (sum(end - start),)."""
    lengths = end - start
    first = np.repeat(start - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return first + np.arange(lengths.sum())


def high_positions(
    tracks: np.ndarray,
    rule: str = "zscore",
    z: float = MotifParams.z,
    mean_factor: float = MotifParams.mean_factor,
    min_factor: float = MotifParams.min_factor,
) -> np.ndarray:
    """Which positions of equal-length tracks are high (see the module docstring).

    Parameters
    ----------
    tracks : np.ndarray, shape (m, L)
        One score track per row; statistics are per row, in the tracks' dtype
        (the same arithmetic as ``np.mean`` on one track).
    rule : {"zscore", "original"}

    Returns
    -------
    np.ndarray, shape (m, L), bool
    """
    mean = tracks.mean(axis=1, keepdims=True)
    if rule == "zscore":
        return tracks > mean + z * tracks.std(axis=1, keepdims=True)
    if rule == "original":
        return (tracks > mean_factor * mean) & (tracks > min_factor * tracks.min(axis=1, keepdims=True))
    raise ValueError(f"unknown region rule {rule!r}; choose one of {', '.join(RULES)}")


def runs(mask: np.ndarray, min_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contiguous True runs of at least ``min_len`` in each row of ``mask`` (m, L).

    Returns
    -------
    row, start, end : np.ndarray, shape (r,), int64
        Runs in row-major order; [start, end) is 0-based, half-open.
    """
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    step = np.diff(padded, axis=1)
    row, start = np.nonzero(step == 1)
    _, end = np.nonzero(step == -1)
    keep = end - start >= min_len
    return row[keep].astype(np.int64), start[keep].astype(np.int64), end[keep].astype(np.int64)


def find_regions(
    scores: list[np.ndarray],
    pos: Encoded,
    rule: str = "zscore",
    min_len: int = MotifParams.min_len,
    z: float = MotifParams.z,
    mean_factor: float = MotifParams.mean_factor,
    min_factor: float = MotifParams.min_factor,
) -> Regions:
    """High-attention regions of every positive sequence.

    Parameters
    ----------
    scores : list of np.ndarray
        n tracks; track i has exactly the length of positive sequence i
        (see :func:`motif.scores.check_scores`).
    pos : Encoded
        The n positive sequences.
    rule, min_len, z, mean_factor, min_factor
        See the module docstring.

    Returns
    -------
    Regions
    """
    if min_len < 1:
        raise ValueError("min_len must be at least 1")
    lengths = pos.lengths
    parts = []
    for length in np.unique(lengths).tolist():  # tracks of one length are processed as one 2-D array
        idx = np.flatnonzero(lengths == length)
        tracks = np.stack([scores[i] for i in idx])
        acgt = pos.codes[pos.starts[idx][:, None] + np.arange(length)] != OTHER
        row, start, end = runs(high_positions(tracks, rule, z, mean_factor, min_factor) & acgt, min_len)
        parts.append((idx[row], start, end))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Regions(empty, empty, empty)
    seq, start, end = (np.concatenate(a) for a in zip(*parts))
    order = np.lexsort((start, seq))
    return Regions(seq[order], start[order], end[order])
