"""Candidates, counting, hypergeometric p-values, BH, and the original DNABERT statistics."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import hypergeom

from dnabert.sequences import reverse_complement
from motif.candidates import distinct_values, kmer_words, kmers_in_regions, region_candidates
from motif.encoding import encode, kmer_index, kmer_strings
from motif.enrichment import count_kmers, count_words, enrichment_table, hypergeom_pvalues
from motif.pipeline import MotifParams, find_motifs
from motif.regions import find_regions

dna = st.text(alphabet="ACGTN", min_size=0, max_size=40)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(dna, min_size=1, max_size=8),
    st.lists(st.text(alphabet="ACGT", min_size=1, max_size=4), min_size=1, max_size=6),
    st.booleans(),
)
def test_count_words_is_sequences_containing(seqs, words, both):
    expected = [sum(w in s or (both and reverse_complement(w) in s) for s in seqs) for w in words]
    assert count_words(seqs, words, both).tolist() == expected


@settings(max_examples=50, deadline=None)
@given(st.lists(dna, min_size=1, max_size=8), st.integers(1, 4), st.booleans())
def test_count_kmers_is_sequences_containing(seqs, k, canonical):
    enc = encode(seqs)
    counts = count_kmers(kmer_index(enc.codes, k, canonical), enc, k)
    for value, word in enumerate(kmer_strings(np.arange(4**k), k)):
        forms = {word, reverse_complement(word)} if canonical else {word}
        owner = min(forms) == word
        expected = sum(any(f in s for f in forms) for s in seqs) if owner else 0
        assert counts[value] == expected, word


def test_kmer_candidates_inside_regions_merge_reverse_complements():
    seqs = ["AAAACGTTTT", "TTTTGGGGCC"]
    enc = encode(seqs)
    regions = find_regions([np.r_[[0] * 3, [5] * 4, [0] * 3], np.r_[[0] * 6, [5] * 4]], enc, rule="original", min_len=3)
    labels = regions.labels(enc)
    occ = kmers_in_regions(kmer_index(enc.codes, 3, canonical=True), labels, 3)
    words = kmer_words(np.full(len(distinct_values(occ)), 3), distinct_values(occ))
    # regions ACGT and GGCC: ACG/CGT (= rc ACG), GGC (rc GCC) and GCC
    assert words == ["ACG", "GCC"]
    assert occ.region.tolist() == [0, 0, 1, 1]


def test_region_candidates_first_appearance_order():
    words, idx = region_candidates(["CCCCC", "AAAAA", "CCCCC", "GGGGG"])
    assert words == ["CCCCC", "AAAAA", "GGGGG"] and idx.tolist() == [0, 1, 0, 2]


def test_hypergeom_pvalues_match_scipy_and_survive_underflow():
    x, n = np.array([0, 3, 40, 50, 3000]), np.array([5, 4, 50, 50, 3000])
    p, log10_p = hypergeom_pvalues(x, n, 5000, 5000)
    assert p[:4] == pytest.approx(hypergeom.sf(x[:4] - 1, 10000, 5000, n[:4]), rel=1e-12)
    assert p[0] == 1.0
    assert p[4] == 0.0 and log10_p[4] == pytest.approx(hypergeom.logsf(2999, 10000, 5000, 3000) / np.log(10))
    assert log10_p[4] < -900


def test_enrichment_table_bh_by_hand():
    x, y = np.array([10, 8, 3, 1, 5]), np.array([0, 1, 3, 1, 9])
    table = enrichment_table(list("abcde"), x, y, 20, 20, cutoff=0.05)
    p = hypergeom.sf(x - 1, 40, 20, x + y)
    order = np.argsort(p)
    adjusted = np.minimum.accumulate((p[order] * len(p) / np.arange(1, len(p) + 1))[::-1])[::-1]
    q = np.empty_like(p)
    q[order] = np.minimum(adjusted, 1)
    assert table["q"].to_numpy() == pytest.approx(q, rel=1e-12)
    assert table["kept"].tolist() == (q < 0.05).tolist()
    assert table.columns.tolist() == ["sequence", "n_pos", "n_neg", "p", "log10_p", "q", "kept"]


def original_statistics(pos, neg, scores, min_len=5):
    """Reference: the DNABERT motif analysis' regions, candidates, counts and fdr_bh, step by step in plain Python."""
    candidates = {}
    for seq, score in zip(pos, scores):
        score = np.asarray(score)[: len(seq)]
        cond = (score > np.mean(score)) & (score > 10 * np.min(score))
        i = 0
        while i < len(cond):
            if cond[i]:
                j = i
                while j < len(cond) and cond[j]:
                    j += 1
                if j - i >= min_len:
                    candidates.setdefault(seq[i:j], None)
                i = j
            else:
                i += 1
    words = list(candidates)
    x = np.array([sum(w in s for s in pos) for w in words])
    n = np.array([sum(w in s for s in pos + neg) for w in words])
    p = np.array([hypergeom.sf(xi - 1, len(pos) + len(neg), len(pos), ni) for xi, ni in zip(x, n)])
    order = np.argsort(p)
    ranked = p[order] / (np.arange(1, len(p) + 1) / len(p))  # statsmodels' fdr_bh
    q = np.empty_like(p)
    q[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1)
    return words, x, n - x, q


def test_regions_mode_reproduces_original_statistics():
    rng = np.random.default_rng(7)
    motifs = ["GGGCGCATGC", "TTACGTAAG", "CACGTGAC"]
    pos, scores = [], []
    for i in range(300):
        s = list("".join(rng.choice(list("ACGT"), 60)))
        track = rng.exponential(0.02, 60)
        if i % 3 != 2:  # a third of positives: only a random peak
            m = motifs[i % 3]
            at = int(rng.integers(0, 60 - len(m)))
            s[at : at + len(m)] = m
            track[at : at + len(m)] += 1.0
        else:
            at = int(rng.integers(0, 50))
            track[at : at + 6] += 1.0
        pos.append("".join(s))
        scores.append(np.r_[track, rng.random(5)])  # rows longer than the sequence, as in atten.npy
    neg = ["".join(rng.choice(list("ACGT"), 60)) for _ in range(300)]
    result = find_motifs(pos, scores, neg, MotifParams(mode="regions"))  # its defaults: the original rule, forward strand
    words, x, y, q = original_statistics(pos, neg, scores)
    table = result.candidates
    assert table["sequence"].tolist() == words
    assert table["n_pos"].tolist() == x.tolist() and table["n_neg"].tolist() == y.tolist()
    assert table["q"].to_numpy() == pytest.approx(q, rel=1e-12)
    assert table["kept"].tolist() == (q < 0.005).tolist()
    assert table["kept"].sum() >= 2
