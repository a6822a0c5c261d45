"""Candidate words from high-attention regions.

``regions`` mode (the original DNABERT motif analysis): the exact sequence of
every region is a candidate; identical strings are one candidate.

``kmers`` mode (the default): every k-mer (``k_min`` <= k <= ``k_max``) lying
entirely inside a region is a candidate; with ``both_strands`` a k-mer and its
reverse complement are one candidate, named by the lexicographically smaller
of the two. A real binding site is degenerate, so the exact string of a
12-20 bp region rarely occurs twice; short words are shared by most sites
and :func:`motif.merge.assemble` rebuilds the full motif from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motif.encoding import kmer_strings



@dataclass(frozen=True)
class KmerOccurrences:
    """k-mer occurrences lying entirely inside a high-attention region (one k).

    Attributes
    ----------
    k : int
    position : np.ndarray, shape (m,), int64
        Start of the k-mer in the positives' code array.
    value : np.ndarray, shape (m,), int64
        Its base-4 value (canonical when both strands are merged); never -1.
    region : np.ndarray, shape (m,), int64
        Index of the region containing it.
    """

    k: int
    position: np.ndarray
    value: np.ndarray
    region: np.ndarray


def region_candidates(region_strings: list[str]) -> tuple[list[str], np.ndarray]:
    """Distinct region strings, in order of first appearance.

    Parameters
    ----------
    region_strings : list of str
        The sequence of every region, shape (R,).

    Returns
    -------
    words : list of str
        C distinct strings.
    region_candidate : np.ndarray, shape (R,), int64
        Index into ``words`` of every region.
    """
    index: dict[str, int] = {}
    region_candidate = np.fromiter(
        (index.setdefault(s, len(index)) for s in region_strings), dtype=np.int64, count=len(region_strings)
    )
    return list(index), region_candidate


def kmers_in_regions(values: np.ndarray, labels: np.ndarray, k: int) -> KmerOccurrences:
    """Every k-mer occurrence lying entirely inside a region.

    Parameters
    ----------
    values : np.ndarray, shape (T - k + 1,), int64
        k-mer values of the positives (:func:`motif.encoding.kmer_index`).
    labels : np.ndarray, shape (T,), int64
        Region of every position, -1 outside (:meth:`motif.regions.Regions.labels`).
    k : int

    Returns
    -------
    KmerOccurrences
    """
    first, last = labels[: len(values)], labels[k - 1 :]
    position = np.flatnonzero((first >= 0) & (first == last) & (values >= 0))
    return KmerOccurrences(k=k, position=position, value=values[position], region=first[position])


def distinct_values(occurrences: KmerOccurrences) -> np.ndarray:
    """The distinct k-mer values among ``occurrences``, sorted: shape (c,), int64."""
    return np.flatnonzero(np.bincount(occurrences.value, minlength=4**occurrences.k)).astype(np.int64)


def kmer_words(k: np.ndarray, value: np.ndarray) -> list[str]:
    """k-mer strings of (k, value) pairs, two (C,) arrays."""
    words = np.empty(len(k), dtype=object)
    for kk in np.unique(k).tolist():
        words[k == kk] = kmer_strings(value[k == kk], kk)
    return words.tolist()
