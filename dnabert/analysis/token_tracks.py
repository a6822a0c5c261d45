"""Per-token scores to per-nucleotide tracks, through the bases each token covers.

Token t covers the half-open base span [spans[t, 0], spans[t, 1]) (see
:mod:`dnabert.families.dna_tokenizers`). A base's score is the mean of the
scores of the tokens covering it:

- overlapping k-mers: base j is covered by the k-mers j-k+1 .. j (fewer at the
  edges), so its score is the mean of those k scores (DNABERT-viz);
- BPE pieces and non-overlapping 6-mers: spans tile the sequence, each base
  is covered by exactly one token and gets that token's score, so a long
  piece spreads its attention evenly over its bases instead of diluting it
  (each base carries the token's full score, not a share).

Special tokens have no span and never reach a base.
"""

from __future__ import annotations

import numpy as np


def tokens_to_nucleotide(token_scores: np.ndarray, spans: np.ndarray, length: int) -> np.ndarray:
    """Each base gets the mean score of the tokens covering it.

    Parameters
    ----------
    token_scores : np.ndarray, shape (n,)
    spans : np.ndarray, shape (n, 2), int
        Token t covers bases [spans[t, 0], spans[t, 1]), 0 <= start < end <= length.
    length : int
        L, the number of bases.

    Returns
    -------
    np.ndarray, shape (L,), float64
        0 for a base no token covers (none of the family tokenizers leaves one).
    """
    spans = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    lengths = spans[:, 1] - spans[:, 0]  # (n,)
    first = np.cumsum(lengths) - lengths  # offset of each token's bases in the flat list
    bases = np.repeat(spans[:, 0], lengths) + np.arange(lengths.sum()) - np.repeat(first, lengths)  # (sum of lengths,)
    sums = np.zeros(length)
    counts = np.zeros(length)
    np.add.at(sums, bases, np.repeat(np.asarray(token_scores, dtype=np.float64), lengths))
    np.add.at(counts, bases, 1.0)
    return np.divide(sums, counts, out=np.zeros(length), where=counts > 0)


def kmer_spans(n_kmers: int, k: int) -> np.ndarray:
    """Spans of ``n_kmers`` overlapping k-mers: [[0, k), [1, k + 1), ...], shape (n, 2)."""
    starts = np.arange(n_kmers, dtype=np.int64)
    return np.stack([starts, starts + k], axis=1)
