"""Windows, count / probability / information matrices, trimming and scanning."""

import numpy as np
import pytest

from dnabert.sequences import reverse_complement
from motif.encoding import decode, encode, string_codes
from motif.pwm import (
    count_matrix,
    information,
    log_odds,
    probabilities,
    pvalue_threshold,
    scan,
    sequences_with_site,
    trim_bounds,
    window_starts,
    windows,
)


@pytest.mark.parametrize(
    "start,end,strand,expected",
    [
        (10, 14, 1, 0),  # 4 bp: 10 bases each side
        (10, 14, -1, 0),
        (10, 13, 1, 0),  # 3 bp: 10 before, 11 after on the site's own strand
        (10, 13, -1, -1),  # minus strand: 11 before, 10 after in + coordinates
        (10, 30, 1, 8),
        (10, 40, 1, 13),  # a site longer than the window: the window sits in its middle
        (10, 41, -1, 13),
    ],
)
def test_window_starts_centre_the_site(start, end, strand, expected):
    assert window_starts(np.array([start]), np.array([end]), np.array([strand]), 24)[0] == expected


def test_windows_drop_edges_and_orient_minus_strand():
    seq = "AACCGGTTACGTACGTAAAATTTT"
    enc = encode([seq, "ACGT"])
    cut, kept, wstart = windows(
        enc, np.array([0, 0, 0, 1]), np.array([4, 1, 10, 0]), np.array([8, 3, 14, 4]), np.array([1, 1, -1, 1]), 8
    )
    assert kept.tolist() == [True, False, True, False]  # second: starts at -2; fourth: sequence shorter than the window
    assert wstart[[0, 2]].tolist() == [2, 8]
    assert decode(cut) == [seq[2:10], reverse_complement(seq[8:16])]


def test_matrices():
    cut = np.array([string_codes(s) for s in ["ACGT", "ACGA", "ACTT", "ACNT"]])
    counts = count_matrix(cut)
    assert counts.tolist() == [[4, 0, 0, 1], [0, 4, 0, 0], [0, 0, 2, 0], [0, 0, 1, 3]]  # N not counted
    ppm = probabilities(counts, pseudocount=1.0)
    assert np.allclose(ppm.sum(axis=0), 1)
    assert ppm[0, 0] == pytest.approx(4.25 / 5)
    assert information(np.eye(4)) == pytest.approx([2, 2, 2, 2])
    assert information(np.full((4, 3), 0.25)) == pytest.approx([0, 0, 0])
    assert information(np.array([[0.5], [0.5], [0], [0]])) == pytest.approx([1])


def test_trim_bounds_keeps_internal_low_columns():
    assert trim_bounds(np.array([0.1, 0.2, 1.5, 0.1, 1.8, 0.29]), 0.3) == (2, 5)
    assert trim_bounds(np.array([0.1, 0.2]), 0.3) == (0, 0)


def test_scan_both_strands_against_brute_force():
    rng = np.random.default_rng(1)
    pwm = log_odds(probabilities(rng.integers(0, 20, (4, 5)).astype(float)))
    seqs = ["".join(rng.choice(list("ACGT"), 30)) for _ in range(3)] + ["ACGTNACGTACGT"]
    enc = encode(seqs)
    positions = np.arange(len(enc.codes) - 4)
    forward, reverse = scan(enc.codes, pwm, positions)
    sliced = scan(enc.codes, pwm, slice(0, len(positions)))
    assert np.array_equal(forward, sliced[0]) and np.array_equal(reverse, sliced[1])
    text = "\n".join(seqs) + "\n"
    for p in positions:
        site = text[p : p + 5]
        if set(site) <= set("ACGT"):
            assert forward[p] == pytest.approx(sum(pwm["ACGT".index(b), j] for j, b in enumerate(site)))
            assert reverse[p] == pytest.approx(sum(pwm["ACGT".index(b), j] for j, b in enumerate(reverse_complement(site))))
        else:
            assert forward[p] == -np.inf and reverse[p] == -np.inf


def test_sequences_with_site():
    pwm = log_odds(probabilities(count_matrix(np.array([string_codes("GATTACA")] * 10)), 0.1))
    best = pwm.max(axis=0).sum()
    enc = encode(["CCCCGATTACACCCC", "CC" + reverse_complement("GATTACA"), "CCCCCCCCCCCC", "GATTAC"])
    assert sequences_with_site(enc, pwm, best - 1e-9).tolist() == [True, True, False, False]
    assert sequences_with_site(enc, pwm, best - 1e-9, both_strands=False).tolist() == [True, False, False, False]
    assert sequences_with_site(enc, pwm, best - 1e-9, chunk=3).tolist() == [True, True, False, False]


def test_pvalue_threshold_against_enumeration():
    rng = np.random.default_rng(4)
    background = np.array([0.3, 0.2, 0.2, 0.3])
    pwm = log_odds(probabilities(rng.integers(0, 30, (4, 5)).astype(float)), background)
    sites = np.array(np.meshgrid(*[range(4)] * 5, indexing="ij")).reshape(5, -1).T  # all 4**5 sites
    score = pwm[sites, np.arange(5)].sum(axis=1)
    weight = background[sites].prod(axis=1)
    for p in (0.2, 0.01, 1e-3):
        t = pvalue_threshold(pwm, background, p)
        assert weight[score >= t - 0.03].sum() >= p * 0.5  # the threshold is not stricter than needed ...
        assert weight[score >= t + 0.03].sum() <= p  # ... nor looser (scores rounded to 0.01 bit per column)
    best = pwm.max(axis=0).sum()
    assert pvalue_threshold(pwm, background, 1e-9) == pytest.approx(best)  # unreachable: only the best site
    assert (score >= pvalue_threshold(pwm, background, 1e-9)).sum() == 1
