"""Grouping significant candidates into motifs.

:func:`assemble` (``kmers`` mode, the default) builds one motif per binding
site pattern from the significant k-mers, one motif at a time:

1. Seed: the most significant k-mer not yet used (smallest p; the longer
   k-mer wins ties) that still occurs in at least ``min_sites`` unclaimed
   regions, extended as described below.
2. Seed sites: in every unclaimed region, the best match of the seed on
   either strand with at most ``max_mismatches`` mismatches (fewest
   mismatches, then the forward strand, then leftmost). A site belongs to a
   region when its centre lies in it, so a region that covers only part of
   a site still finds it. Allowing one mismatch lets the seed collect the
   degenerate sites of the motif, not only its exact copies.
3. Seed matrix: windows of ``window_size`` bases centred on the seed sites,
   oriented by strand -> PPM, flanks below ``trim_bits`` trimmed.
4. Rescan: every unclaimed region (seed sites included) is scanned with that
   matrix (log-odds, both strands); its best site is kept when its relative
   score reaches ``min_score``. These sites are the motif's instances: the
   rescan removes the random matches the loose seed picked up, and finds
   sites whose best k-mer was a different (shifted, reverse-complement or
   mismatched) fragment of the same motif.
5. The motif claims every region its seed sites and rescan sites touch; a
   k-mer with fewer unclaimed than claimed occurrences is dropped (it is a
   fragment of a motif already built). Repeat until no k-mer is left.

The seed is first extended: while a significant (k + 1)-mer contains it (on
either strand), the most significant such k-mer replaces it. Short words
occur at several offsets of a motif (palindromes, repeats) and with one
mismatch match a large share of random regions; the longest significant
word is specific and aligns the sites at one offset.

So shifted, overlapping, reverse-complement and mismatched fragments of one
motif all end up in the motif of the first (most significant) of them, which
is as long as its information content reaches, not as long as the fragment.
Weak k-mers that cross a motif's boundary (Benjamini-Hochberg admits them at
large sample sizes) make motifs from a few random windows; the pipeline drops
motifs whose sites are not enriched.

:func:`greedy_merge` is the original DNABERT merge, kept for the ``regions``
mode: candidates, shortest first, join the first existing group they align
to best (ungapped pairwise alignment, score >= max(min_len - 1, half the
shorter length)); it splits one degenerate motif into many fragments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from Bio import Align

from dnabert.sequences import reverse_complement
from motif.candidates import KmerOccurrences
from motif.encoding import Encoded, string_codes
from motif.params import MotifParams
from motif.pwm import count_matrix, information, log_odds, probabilities, scan, score_range, trim_bounds, windows
from motif.regions import Regions, spans


@dataclass(frozen=True)
class Group:
    """Instances of one motif, before windows are cut.

    Attributes
    ----------
    key : str
        The most significant k-mer the motif started from, before extension
        (``kmers`` mode), or the group's region string (``regions`` mode).
    seq : np.ndarray, shape (m,), int64
        Index of the positive sequence of each instance.
    start, end : np.ndarray, shape (m,), int64
        Instance [start, end) in that sequence (0-based, half-open).
    strand : np.ndarray, shape (m,), int64
        +1, or -1 for an instance of the motif's reverse complement.
    """

    key: str
    seq: np.ndarray
    start: np.ndarray
    end: np.ndarray
    strand: np.ndarray

    def __len__(self) -> int:
        return len(self.seq)


def greedy_merge(
    words: list[str], regions: Regions, region_word: np.ndarray, min_len: int = MotifParams.min_len
) -> list[Group]:
    """The original DNABERT merge of region candidates (see the module docstring).

    Parameters
    ----------
    words : list of str
        Significant candidates in order of first appearance.
    regions : Regions
        All regions.
    region_word : np.ndarray, shape (R,), int64
        Index into ``words`` of each region's string, -1 for regions whose
        string is not significant.
    min_len : int
        Minimum region length (sets the alignment threshold).

    Returns
    -------
    list of Group
        In order of creation; instances are the regions of the member
        candidates shifted into the frame of the group's key, all on strand +1.
    """
    # the original's scoring: Biopython's defaults of its time (match 1, mismatch 0, free end gaps) with
    # internal gaps forbidden; set explicitly, as newer Biopython versions changed the defaults
    aligner = Align.PairwiseAligner(match_score=1.0, mismatch_score=0.0, end_gap_score=0.0, internal_gap_score=-10000.0)
    groups: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    for i in sorted(range(len(words)), key=lambda j: len(words[j])):
        word = words[i]
        members = np.flatnonzero(region_word == i)
        seq, start, end = regions.seq[members], regions.start[members], regions.end[members]
        best, best_key = None, None
        for key in groups:
            alignment = aligner.align(word, key)[0]
            if alignment.score >= max(min_len - 1, 0.5 * min(len(word), len(key))) and (
                best is None or alignment.score > best.score
            ):
                best, best_key = alignment, key
        if best is None:
            groups[word] = [(seq, start, end)]
            continue
        (q_start, q_end), (k_start, k_end) = best.aligned[0][0], best.aligned[1][0]
        left = q_start - k_start
        right = k_end - len(best_key) if q_end == len(word) and k_end < len(best_key) else len(word) - q_end
        groups[best_key].append((seq, start + left, end - right))
    out = []
    for key, parts in groups.items():
        seq, start, end = (np.concatenate(a) for a in zip(*parts))
        out.append(Group(key, seq, start, end, np.ones(len(seq), dtype=np.int64)))
    return out


def first_per_block(block: np.ndarray) -> np.ndarray:
    """Indices of the first element of every run of equal values in ``block`` (m,) -> (b,)."""
    first = np.ones(len(block), dtype=bool)
    first[1:] = block[1:] != block[:-1]
    return np.flatnonzero(first)


def mismatch_matrix(seed: np.ndarray) -> np.ndarray:
    """Scoring matrix (4, k) of a seed's codes: 0 for the seed's base, -1 otherwise (score = -mismatches)."""
    return np.where(np.arange(4)[:, None] == seed[None, :], 0.0, -1.0)


def best_sites(
    codes: np.ndarray,
    gstart: np.ndarray,
    gend: np.ndarray,
    free: np.ndarray,
    matrix: np.ndarray,
    threshold: float,
    both_strands: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The best-scoring site of every free region, if it scores at least ``threshold``.

    A site belongs to a region when its centre (start + w // 2) lies inside
    the region, so sites longer than the region, or sticking out of it, are
    found. Ties: the forward strand, then the leftmost site.

    Parameters
    ----------
    codes : np.ndarray, shape (T,), uint8
        The positives' codes.
    gstart, gend : np.ndarray, shape (R,), int64
        Region bounds in ``codes``.
    free : np.ndarray, shape (R,), bool
        Regions to search.
    matrix : np.ndarray, shape (4, w)
        Scoring matrix (log-odds, or :func:`mismatch_matrix`).
    threshold : float
        Lowest accepted site score.
    both_strands : bool
        Also score the reverse complement of every site.

    Returns
    -------
    position, strand, region : np.ndarray, shape (s,), int64
        Site start in ``codes``, +1 / -1, region.
    """
    w = matrix.shape[1]
    region = np.flatnonzero(free)
    lo = np.clip(gstart[region] - w // 2, 0, len(codes) - w + 1)
    hi = np.clip(gend[region] - w // 2, 0, len(codes) - w + 1)
    region, lo, hi = region[hi > lo], lo[hi > lo], hi[hi > lo]
    if not len(region):
        return (np.zeros(0, dtype=np.int64),) * 3
    position = spans(lo, hi)
    block = np.repeat(region, hi - lo)
    forward, reverse = scan(codes, matrix, position)
    score = np.maximum(forward, reverse) if both_strands else forward
    strand = np.where(both_strands & (reverse > forward), -1, 1)
    top = np.repeat(np.maximum.reduceat(score, np.concatenate([[0], np.cumsum(hi - lo)[:-1]])), hi - lo)
    best = np.flatnonzero(score == top)
    best = best[first_per_block(block[best])]
    best = best[score[best] >= threshold]
    return position[best], strand[best], block[best]


def extend_seed(s: int, alive: np.ndarray, seed_k: np.ndarray, seed_words: list[str], both_strands: bool) -> int:
    """Grow seed ``s`` into the most significant live (k + 1)-mer containing it, repeatedly.

    Marks every k-mer of the chain as used (``alive`` is changed in place) and
    returns the index of the longest one. Seeds are significance-ordered, so
    the first containing k-mer found is the most significant.
    """
    alive[s] = False
    while True:
        word = seed_words[s]
        forms = (word, reverse_complement(word)) if both_strands else (word,)
        longer = (j for j in np.flatnonzero(alive & (seed_k == len(word) + 1)) if any(f in seed_words[j] for f in forms))
        nxt = next(longer, None)
        if nxt is None:
            return s
        s = int(nxt)
        alive[s] = False


def assemble(
    pos: Encoded,
    regions: Regions,
    occurrences: dict[int, KmerOccurrences],
    seed_k: np.ndarray,
    seed_value: np.ndarray,
    seed_words: list[str],
    background: np.ndarray,
    both_strands: bool = True,
    max_mismatches: int = MotifParams.max_mismatches,
    window_size: int = MotifParams.window_size,
    pseudocount: float = MotifParams.pseudocount,
    trim_bits: float = MotifParams.trim_bits,
    min_score: float = MotifParams.min_score,
    min_sites: int = 3,
) -> list[Group]:
    """Assemble significant k-mers into motifs (see the module docstring).

    Parameters
    ----------
    pos : Encoded
        The positive sequences.
    regions : Regions
        Their high-attention regions.
    occurrences : dict of int to KmerOccurrences
        For every k among the seeds, all k-mers inside regions.
    seed_k, seed_value : np.ndarray, shape (C,), int64
        Significant k-mers (length and base-4 value, canonical with
        ``both_strands``), most significant first.
    seed_words : list of str
        The same k-mers as strings.
    background : np.ndarray, shape (4,)
        Base frequencies for the log-odds matrices.
    both_strands, max_mismatches, window_size, pseudocount, trim_bits, min_score, min_sites
        See the module docstring.

    Returns
    -------
    list of Group
        One per seed that gave a rescan site, in order of discovery; ``key``
        is the k-mer the motif started from (before extension).
    """
    n_regions = len(regions)
    gstart, gend = regions.global_bounds(pos)
    labels = regions.labels(pos)
    pair_cand, pair_region = [], []
    for k, occ in occurrences.items():
        lookup = np.full(4**k, -1, dtype=np.int64)
        lookup[seed_value[seed_k == k]] = np.flatnonzero(seed_k == k)
        cand = lookup[occ.value]
        pair_cand.append(cand[cand >= 0])
        pair_region.append(occ.region[cand >= 0])
    keys = np.sort(np.concatenate(pair_cand) * n_regions + np.concatenate(pair_region))
    keys = keys[first_per_block(keys)]  # one (k-mer, region) pair per region containing the k-mer
    pair_cand, pair_region = keys // max(n_regions, 1), keys % max(n_regions, 1)
    total = np.bincount(pair_cand, minlength=len(seed_k))
    free = np.ones(n_regions, dtype=bool)
    alive = np.ones(len(seed_k), dtype=bool)
    groups = []
    while True:
        unclaimed = np.bincount(pair_cand[free[pair_region]], minlength=len(seed_k))
        alive &= (unclaimed >= min_sites) & (2 * unclaimed >= total)
        if not alive.any():
            return groups
        first = int(np.argmax(alive))
        s = extend_seed(first, alive, seed_k, seed_words, both_strands)
        k = int(seed_k[s])
        sites, strand, _ = best_sites(
            pos.codes, gstart, gend, free, mismatch_matrix(string_codes(seed_words[s])), -max_mismatches, both_strands
        )
        seq = pos.seq_of(sites)
        start = sites - pos.starts[seq]
        cut, _, _ = windows(pos, seq, start, start + k, strand, window_size)
        ppm = probabilities(count_matrix(cut), pseudocount, background)
        a, b = trim_bounds(information(ppm), trim_bits)
        touched = [spans(sites, sites + k)]
        if b > a:
            pwm = log_odds(ppm[:, a:b], background)
            low, high = score_range(pwm)
            found, found_strand, _ = best_sites(pos.codes, gstart, gend, free, pwm, low + min_score * (high - low), both_strands)
            touched.append(spans(found, found + (b - a)))
            if len(found):
                seq = pos.seq_of(found)
                start = found - pos.starts[seq]
                groups.append(Group(seed_words[first], seq, start, start + (b - a), found_strand))
        claimed = labels[np.concatenate(touched)]
        free[claimed[claimed >= 0]] = False
