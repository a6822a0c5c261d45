"""High-attention regions and attention-score input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motif.encoding import encode
from motif.regions import find_regions, high_positions, runs
from motif.scores import ScoreError, check_scores, load_scores


def regions_of(tracks, seqs, **kw):
    r = find_regions([np.asarray(t, dtype=float) for t in tracks], encode(seqs), **kw)
    return list(zip(r.seq.tolist(), r.start.tolist(), r.end.tolist()))


def test_zscore_rule_finds_the_peak():
    track = [1, 1, 1, 5, 5, 5, 5, 5, 1, 1, 1, 1]  # mean 2.67 + SD 1.97 = 4.64
    assert regions_of([track], ["A" * 12]) == [(0, 3, 8)]


def test_min_len_drops_short_runs():
    track = [0, 9, 9, 9, 9, 0, 0, 9, 9, 9, 9, 9, 0, 0, 0, 0]
    assert regions_of([track], ["C" * 16], rule="original", min_len=5) == [(0, 7, 12)]
    assert regions_of([track], ["C" * 16], rule="original", min_len=4) == [(0, 1, 5), (0, 7, 12)]


def test_original_rule_needs_ten_times_the_minimum():
    sharp = [0.1] * 5 + [2.0] * 6 + [0.1] * 5
    diffuse = [1.0] * 5 + [2.0] * 6 + [1.0] * 5  # twice the baseline: above the mean, not 10x the minimum
    seqs = ["G" * 16]
    assert regions_of([sharp], seqs, rule="original") == [(0, 5, 11)]
    assert regions_of([diffuse], seqs, rule="original") == []
    assert regions_of([diffuse], seqs, rule="zscore") == [(0, 5, 11)]
    assert regions_of([diffuse], seqs, rule="original", min_factor=1.5) == [(0, 5, 11)]


@pytest.mark.parametrize("rule", ["zscore", "original"])
def test_constant_and_zero_tracks_have_no_region(rule):
    assert regions_of([[0.0] * 20, [3.0] * 20], ["A" * 20, "T" * 20], rule=rule) == []


def test_regions_never_span_n():
    track = [0] * 4 + [9] * 11 + [0] * 5
    seq = "ACGTACGTNACGTACGTACG"  # N at 8 splits 4..15 into 4..8 (too short) and 9..15
    assert regions_of([track], [seq], rule="original") == [(0, 9, 15)]


def test_ragged_lengths_sorted_by_sequence_then_start():
    tracks = [[0] * 3 + [5] * 6 + [0] * 3, [0] * 10 + [5] * 5, [5] * 5 + [0] * 7 + [5] * 5 + [0] * 3]
    seqs = ["A" * 12, "A" * 15, "A" * 20]
    assert regions_of(tracks, seqs, rule="original") == [(0, 3, 9), (1, 10, 15), (2, 0, 5), (2, 12, 17)]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.floats(0, 1, width=32), min_size=1, max_size=30), min_size=1, max_size=6),
    st.sampled_from(["zscore", "original"]),
)
def test_batched_rule_equals_per_track_numpy(tracks, rule):
    for t in tracks:
        arr = np.asarray(t, dtype=np.float32)
        expected = (arr > arr.mean() + arr.std()) if rule == "zscore" else (arr > arr.mean()) & (arr > 10 * arr.min())
        assert np.array_equal(high_positions(arr[None, :], rule)[0], expected)


def test_runs_at_both_ends():
    mask = np.array([[1, 1, 0, 1, 1, 1], [0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1]], dtype=bool)
    row, start, end = runs(mask, 2)
    assert list(zip(row, start, end)) == [(0, 0, 2), (0, 3, 6), (2, 0, 6)]


def test_check_scores_cuts_to_length_and_rejects_bad_tracks():
    seqs, ids = ["ACGT", "ACG"], ["a", "b"]
    out = check_scores([np.arange(6.0), np.arange(3.0)], seqs, ids)
    assert [len(t) for t in out] == [4, 3]
    with pytest.raises(ScoreError, match="scores for 1 sequences but there are 2"):
        check_scores([np.arange(4.0)], seqs, ids)
    with pytest.raises(ScoreError, match="'b' have 2 values but the sequence has 3"):
        check_scores([np.arange(4.0), np.arange(2.0)], seqs, ids)
    with pytest.raises(ScoreError, match="'a' contain nan at position 1"):
        check_scores([np.array([0, np.nan, 1, 1]), np.arange(3.0)], seqs, ids)
    with pytest.raises(ScoreError, match="'b' contain inf at position 0"):
        check_scores([np.arange(4.0), np.array([np.inf, 0, 0])], seqs, ids)


def test_load_attention_npz_by_id(tmp_path):
    path = tmp_path / "att.npz"
    np.savez(path, ids=np.array(["x", "b", "a"]), lengths=np.array([2, 3, 4]), scores=np.arange(9, dtype=np.float32))
    out = load_scores(path, ["ACGT", "ACG"], ["a", "b"])
    assert [t.tolist() for t in out] == [[5, 6, 7, 8], [2, 3, 4]]
    with pytest.raises(ScoreError, match="no scores for 1 of 2 positive sequences \\(e.g. 'c'\\)"):
        load_scores(path, ["ACGT", "ACG"], ["a", "c"])
    with pytest.raises(ScoreError, match="'b' have 3 values but the sequence has 5"):
        load_scores(path, ["ACGT", "ACGTA"], ["a", "b"])


def test_load_original_atten_npy(tmp_path):
    path = tmp_path / "atten.npy"
    np.save(path, np.arange(12.0).reshape(2, 6))
    out = load_scores(path, ["ACGT", "AC"], ["a", "b"])
    assert [t.tolist() for t in out] == [[0, 1, 2, 3], [6, 7]]
    with pytest.raises(ScoreError, match="scores for 2 sequences but there are 3"):
        load_scores(path, ["A", "C", "G"], ["a", "b", "c"])
    np.save(path, np.arange(5.0))
    with pytest.raises(ScoreError, match="expected a 2-D array"):
        load_scores(path, ["A"], ["a"])
    (tmp_path / "junk.npy").write_text("not numpy")
    with pytest.raises(ScoreError, match="not a .npz"):
        load_scores(tmp_path / "junk.npy", ["A"], ["a"])
