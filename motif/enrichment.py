"""Counting candidates in sequences, hypergeometric test and Benjamini-Hochberg.

A candidate is counted once per sequence that contains it (exact match).
Two counters: :func:`count_words` (Aho-Corasick, any strings: the region
candidates) and :func:`count_kmers` (a sorted k-mer index over a base-4
code array: all k-mers of one length at once, several times faster than
Aho-Corasick for the k-mer candidates, which match at almost every position).

Test: with N = #positives + #negatives sequences, K = #positives, n = the
sequences containing the candidate and x = the positives containing it,
p = P(X >= x) for X ~ Hypergeom(N, K, n) (``scipy.stats.hypergeom.sf(x - 1,
N, K, n)``, the original DNABERT test); q = Benjamini-Hochberg over all
candidates (``scipy.stats.false_discovery_control``).
"""

from __future__ import annotations

import ahocorasick
import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control, hypergeom

from dnabert.sequences import reverse_complement
from motif.encoding import Encoded

CANDIDATE_COLUMNS = ["sequence", "n_pos", "n_neg", "p", "log10_p", "q", "kept"]


def count_words(seqs: list[str], words: list[str], both_strands: bool = False) -> np.ndarray:
    """Number of sequences containing each word (Aho-Corasick).

    Parameters
    ----------
    seqs : list of str
        n sequences.
    words : list of str
        C words.
    both_strands : bool
        A sequence also contains a word when it contains its reverse complement.

    Returns
    -------
    np.ndarray, shape (C,), int64
    """
    if not words:
        return np.zeros(0, dtype=np.int64)
    owners: dict[str, list[int]] = {}
    for i, word in enumerate(words):
        owners.setdefault(word, []).append(i)
        if both_strands:
            rc = reverse_complement(word)
            if rc != word:
                owners.setdefault(rc, []).append(i)
    automaton = ahocorasick.Automaton()
    for word, idx in owners.items():
        automaton.add_word(word, tuple(idx))
    automaton.make_automaton()
    found: list[int] = []
    for seq in seqs:
        found.extend({i for _, idx in automaton.iter(seq) for i in idx})
    return np.bincount(np.asarray(found, dtype=np.int64), minlength=len(words))


def count_kmers(values: np.ndarray, enc: Encoded, k: int) -> np.ndarray:
    """Number of sequences containing each k-mer value.

    Parameters
    ----------
    values : np.ndarray, shape (T - k + 1,), int64
        k-mer values of ``enc.codes`` (:func:`motif.encoding.kmer_index`, -1 = none).
    enc : Encoded
        The sequences.
    k : int

    Returns
    -------
    np.ndarray, shape (4**k,), int64
        Entry v: sequences with at least one k-mer of value v.
    """
    seq = np.repeat(np.arange(len(enc), dtype=np.int64), enc.lengths + 1)[: len(values)]
    valid = values >= 0
    keys = np.sort(seq[valid] * 4**k + values[valid])
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return np.bincount(keys[first] % 4**k, minlength=4**k)


def hypergeom_pvalues(x: np.ndarray, n: np.ndarray, n_pos: int, n_neg: int) -> tuple[np.ndarray, np.ndarray]:
    """Upper-tail hypergeometric p-values.

    Parameters
    ----------
    x : np.ndarray, shape (C,)
        Positive sequences containing each candidate.
    n : np.ndarray, shape (C,)
        All sequences (positive + negative) containing each candidate.
    n_pos, n_neg : int
        Numbers of positive and negative sequences.

    Returns
    -------
    p : np.ndarray, shape (C,), float64
        P(X >= x); 0 where it underflows.
    log10_p : np.ndarray, shape (C,), float64
        log10 of p, from ``hypergeom.logsf`` where ``sf`` underflows (for ranking).
    """
    pairs, inverse = np.unique(np.stack([np.asarray(x), np.asarray(n)]), axis=1, return_inverse=True)
    ux, un = pairs  # candidates share (x, n) pairs: evaluate each distinct pair once
    p = hypergeom.sf(ux - 1, n_pos + n_neg, n_pos, un)
    with np.errstate(divide="ignore"):
        log10_p = np.log10(p)
    tiny = p < 1e-300
    if tiny.any():
        log10_p[tiny] = hypergeom.logsf(ux[tiny] - 1, n_pos + n_neg, n_pos, un[tiny]) / np.log(10)
    inverse = inverse.ravel()
    return p[inverse], log10_p[inverse]


def enrichment_table(words: list[str], x: np.ndarray, y: np.ndarray, n_pos: int, n_neg: int, cutoff: float) -> pd.DataFrame:
    """One row per candidate: counts, p, q and whether it passes ``q < cutoff``.

    Parameters
    ----------
    words : list of str
        C candidates.
    x, y : np.ndarray, shape (C,)
        Positive and negative sequences containing each candidate.
    n_pos, n_neg : int
        Numbers of positive and negative sequences.
    cutoff : float
        Keep candidates with Benjamini-Hochberg q < cutoff.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CANDIDATE_COLUMNS`, in the order of ``words``.
    """
    x = np.asarray(x, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    p, log10_p = hypergeom_pvalues(x, x + y, n_pos, n_neg)
    q = false_discovery_control(p) if len(p) else p
    return pd.DataFrame({"sequence": words, "n_pos": x, "n_neg": y, "p": p, "log10_p": log10_p, "q": q, "kept": q < cutoff})
