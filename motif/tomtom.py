"""TOMTOM without a compile wait: memelite's algorithm in vectorised NumPy for small query sets.

memelite's ``tomtom`` is compiled by numba on its first call in a fresh
install (40 to 150 s on a loaded 2-core machine, cached on disk after).
The app and the command line compare a handful of discovered motifs with a
database (JASPAR: 879 matrices), where NumPy needs no compilation and takes
tens of milliseconds per query. :func:`tomtom` picks the path: NumPy for up to
:data:`NUMPY_MAX_QUERIES` queries, memelite (numba) for more.

:func:`tomtom_numpy` computes what memelite computes (the "complete score"
TOMTOM of Gupta et al. 2007 as memelite implements it, with its defaults:
100 score bins, binned medians over 1000 bins, target columns hashed into 100
bins per letter, both strands):

1. Distances. Each query column against each distinct target column:
   ``-sqrt(|q - t|^2)``, in memelite's order of operations (bitwise the same).
2. Scores. Each query column's distances minus their (binned) median,
   discretised into ``n_score_bins`` bins with a shared offset and scale;
   their histogram over the target columns (weighted by hash counts) is the
   column's null distribution.
3. Alignments. For every target and every offset, the sum of the scores of
   the overlapping columns, an unaligned query column scoring the median
   (the complete score); the best offset wins (memelite's tie rule).
4. p-values. The null of one offset is the convolution of its columns'
   distributions; the null of the best offset is the maximum of the
   offsets' independent nulls, computed here in survival space,
   ``P(max >= s) = -expm1(sum log1p(-P(X_k >= s)))`` (memelite builds the
   same maximum as a chain of pairwise pdfs). The two strands are merged as
   ``1 - (1 - min p)^2``.

The two paths agree to rounding (tests/motif/test_motif_tomtom.py compares them on
JASPAR and on random motifs).
"""

from __future__ import annotations

import numpy as np

NUMPY_MAX_QUERIES = 64  # up to this many queries per call: NumPy (no compile); more: memelite's numba code
N_SCORE_BINS = 100  # memelite's defaults, used by both paths
N_MEDIAN_BINS = 1000
N_TARGET_BINS = 100


def tomtom(queries: list[np.ndarray], targets: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    """TOMTOM of queries against targets, both strands: NumPy for few queries, memelite for many.

    Parameters
    ----------
    queries : list of np.ndarray
        Q matrices, shape (4, W_i), rows ACGT.
    targets : list of np.ndarray
        T matrices, shape (4, W_j).

    Returns
    -------
    p, score, offset, overlap, strand : np.ndarray, each shape (Q, T), float64
        memelite's outputs: best-alignment p-value, its integer score, the
        target column (of the reverse complement when strand is 1) facing
        query column 0, the number of aligned columns, 1 for the minus strand.
    """
    queries = [np.asarray(m, dtype=np.float64) for m in queries]
    targets = [np.asarray(m, dtype=np.float64) for m in targets]
    if len(queries) <= NUMPY_MAX_QUERIES:
        return tomtom_numpy(queries, targets)
    from memelite import tomtom as compiled

    return tuple(compiled(queries, targets))


def _hashed_targets(targets: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    """Target columns (both strands) merged by memelite's hashing.

    Returns
    -------
    columns : np.ndarray, shape (4, U)
        Distinct hashed columns (the first of each class).
    norms : np.ndarray, shape (U,)
        Their squared norms.
    counts : np.ndarray, shape (U,), int64
        How many target columns each stands for.
    inverse : np.ndarray, shape (N,), int64
        The class of every column of the concatenated targets, forward strands then reverse complements.
    lengths : np.ndarray, shape (2T,), int64
        Target widths, forward then reverse complements.
    """
    both = list(targets) + [t[::-1, ::-1] for t in targets]
    lengths = np.array([t.shape[1] for t in both], dtype=np.int64)
    t = np.concatenate(both, axis=1)
    norms = (t**2).sum(axis=0)
    lo = t.min(axis=1, keepdims=True)
    hi = t.max(axis=1, keepdims=True)
    hi[hi == lo] = lo[hi == lo] + 1
    ints = np.around((t - lo) / (hi - lo) * (N_TARGET_BINS - 1))
    keys = ints.T.dot(N_TARGET_BINS ** np.arange(len(t))[:, None])
    _, first, inverse, counts = np.unique(keys.ravel(), return_index=True, return_inverse=True, return_counts=True)
    return t[:, first], norms[first], counts.astype(np.int64), inverse.ravel().astype(np.int64), lengths


def _distances(query: np.ndarray, qnorm: np.ndarray, columns: np.ndarray, norms: np.ndarray) -> np.ndarray:
    """(W, U) ``-sqrt(|q - t|^2)`` with memelite's operations in its order (0 where the square is not positive)."""
    z = qnorm[:, None] + norms[None, :]
    for k in range(query.shape[0]):
        z -= (2 * query[k])[:, None] * columns[k][None, :]
    g = -np.sqrt(np.maximum(z, 0.0))
    g[z <= 0] = 0.0
    return g


def _binned_medians(g: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of g (W, U): min, max and memelite's binned median (mean of the bin holding the weighted median)."""
    w, u = g.shape
    lo, hi = g.min(axis=1), g.max(axis=1)
    span = hi - lo
    flat = span == 0
    safe = np.where(flat, 1.0, span)
    z = ((g - lo[:, None]) / safe[:, None] * (N_MEDIAN_BINS - 1)).astype(np.int64)
    z[flat] = 0
    idx = (z + np.arange(w)[:, None] * N_MEDIAN_BINS).ravel()
    cnt = np.bincount(idx, weights=np.broadcast_to(counts, g.shape).ravel(), minlength=w * N_MEDIAN_BINS)
    sums = np.bincount(idx, weights=(g * counts).ravel(), minlength=w * N_MEDIAN_BINS)
    cnt, sums = cnt.reshape(w, N_MEDIAN_BINS), sums.reshape(w, N_MEDIAN_BINS)
    b = np.argmax(np.cumsum(cnt, axis=1) >= counts.sum() / 2, axis=1)
    rows = np.arange(w)
    med = np.where(flat, lo, sums[rows, b] / np.where(cnt[rows, b] > 0, cnt[rows, b], 1))
    return lo, hi, med


def _span_survivals(f: np.ndarray, offset: int, n: int) -> tuple[np.ndarray, dict]:
    """log P(X < s) of every span of query columns, on the shared score grid.

    Parameters
    ----------
    f : np.ndarray, shape (W, B + 1)
        Each query column's score distribution over bins 0..B.
    offset : int
        The bin of the median: an unaligned column scores ``offset``.
    n : int
        Grid length (every reachable score is below it).

    Returns
    -------
    log_below : np.ndarray, shape (S, n)
        ``log1p(-P(X >= s))`` per span, floored at -1e300 (so that a zero
        weight times it stays finite).
    index : dict
        (i, j) -> row, for the span of query columns i..j (inclusive).
    """
    w = f.shape[0]
    support = [np.flatnonzero(r) for r in f]
    rows, index = [], {}
    for i in range(w):
        lo, pdf = 0, None
        for j in range(i, w):
            s = support[j]  # never empty: every column's distribution sums to 1
            piece = f[j, s[0] : s[-1] + 1]
            pdf = piece.copy() if j == i else np.convolve(pdf, piece)
            lo = s[0] if j == i else lo + s[0]
            shift = lo + offset * (w - (j - i + 1))
            tail = np.cumsum(pdf[::-1])[::-1]  # P(X >= k) summed from the top: tail probabilities keep their precision
            surv = np.zeros(n)
            start, stop = shift, min(shift + len(tail), n)
            surv[: max(start, 0)] = min(tail[0], 1.0)
            if stop > start:
                surv[start:stop] = tail[: stop - start]
            index[(i, j)] = len(rows)
            rows.append(surv)
    surv = np.clip(np.array(rows), 0.0, 1.0)
    with np.errstate(divide="ignore"):
        return np.maximum(np.log1p(-surv), -1e300), index


def _alignment_weights(w: int, lengths: np.ndarray, index: dict) -> np.ndarray:
    """How often each span is an alignment of a query of width w with a target of each width.

    Returns
    -------
    np.ndarray, shape (len(lengths), S)
        Row t: the spans of the target width ``lengths[t]``'s offsets (both
        overhangs, then the full overlaps).
    """
    out = np.zeros((len(lengths), len(index)))
    for r, t in enumerate(lengths):
        inner = min(t, w)
        for o in range(1, inner):  # overhangs: the first and the last o query columns
            out[r, index[(0, o - 1)]] += 1
            out[r, index[(w - o, w - 1)]] += 1
        if t < w:
            for j in range(w - t + 1):
                out[r, index[(j, j + t - 1)]] += 1
        else:
            out[r, index[(0, w - 1)]] += t - w + 1
    return out


def _best_offsets(sums: np.ndarray, starts: np.ndarray, lengths: np.ndarray, w: int) -> tuple[np.ndarray, ...]:
    """Best score per target and memelite's choice among tied offsets.

    ``sums`` holds, for target r, its ``lengths[r] + w - 1`` alignment scores
    from ``starts[r]`` (position k: query column 0 faces target column k - w + 1).
    Ties go as in memelite: a later tied position replaces the current one
    when the current one's offset is below the later one's overlap.

    Returns
    -------
    best, pos, overlap : np.ndarray, shape (R,)
    """
    best = np.maximum.reduceat(sums, starts)
    owner = np.repeat(np.arange(len(starts)), lengths + w - 1)
    local = np.arange(len(sums)) - starts[owner]
    tied = sums == best[owner]
    n_tied = np.bincount(owner[tied], minlength=len(starts))
    hit = np.flatnonzero(tied)
    _, first = np.unique(owner[hit], return_index=True)  # every target has a tied position: its best
    pos = local[hit[first]]
    for r in np.flatnonzero(n_tied > 1):
        ks = local[starts[r] : starts[r] + lengths[r] + w - 1][tied[starts[r] : starts[r] + lengths[r] + w - 1]]
        k = ks[0]
        for k2 in ks[1:]:
            if k - w + 1 < min(k2 + 1, w) - max(0, k2 - lengths[r] + 1):
                k = k2
        pos[r] = k
    overlap = np.minimum(pos + 1, w) - np.maximum(0, pos - lengths + 1)
    return best, pos, overlap


def tomtom_numpy(queries: list[np.ndarray], targets: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    """memelite's TOMTOM (complete score, both strands) in NumPy; see the module docstring.

    Parameters and returns as :func:`tomtom`.
    """
    columns, norms, counts, inverse, lengths = _hashed_targets(targets)
    n_t = len(targets)
    weights = counts / counts.sum()
    col = np.arange(len(inverse)) - np.repeat(np.cumsum(lengths) - lengths, lengths)  # column within its target
    out = np.empty((5, len(queries), n_t))
    for qi, query in enumerate(queries):
        w = query.shape[1]
        g = _distances(query, (query**2).sum(axis=0), columns, norms)
        lo, hi, med = _binned_medians(g, counts)
        i_min = int(np.floor((lo - med).min()))
        scale = int(np.floor(N_SCORE_BINS / max((hi - med).max() - i_min, 1.0)))
        offset = -i_min * scale
        x = np.floor((g - (med + i_min)[:, None]) * scale + 0.5).astype(np.int64)
        f = np.stack([np.bincount(r, weights=weights, minlength=N_SCORE_BINS + 1) for r in x])

        # alignment scores: position k of target r sums column i's score at target column k - (w - 1 - i)
        starts = np.concatenate([[0], np.cumsum(lengths + w - 1)[:-1]])
        place = np.repeat(starts, lengths) + col
        gathered = x[:, inverse] - offset
        table = np.zeros((w, int(starts[-1] + lengths[-1] + w - 1)), dtype=np.int64)
        for i in range(w):
            table[i, place + (w - 1 - i)] = gathered[i]
        sums = table.sum(axis=0) + w * offset
        best, at, overlap = _best_offsets(sums, starts, lengths, w)

        n = N_SCORE_BINS * w + w * offset + 1
        log_below, index = _span_survivals(f, offset, n)
        widths = np.unique(lengths)
        spans = _alignment_weights(w, widths, index)
        # log P(max < s) per target width; summed in NumPy, not BLAS (whose threads stall on a busy machine)
        null = np.stack([(log_below[nz] * r[nz, None]).sum(axis=0) for r in spans for nz in [np.flatnonzero(r)]])
        row = np.searchsorted(widths, lengths)
        p = np.where(best > 0, -np.expm1(null[row, np.clip(best, 0, n - 1)]), 1.0)
        p = np.clip(p, 0.0, 1.0)

        fwd, rc = slice(0, n_t), slice(n_t, 2 * n_t)
        pmin = np.minimum(p[fwd], p[rc])
        minus = best[fwd] <= best[rc]
        out[0, qi] = pmin * (2 - pmin)
        out[1, qi] = np.where(minus, best[rc], best[fwd])
        out[2, qi] = np.where(minus, at[rc], at[fwd]) - w + 1
        out[3, qi] = np.where(minus, overlap[rc], overlap[fwd])
        out[4, qi] = minus
    return tuple(out)
