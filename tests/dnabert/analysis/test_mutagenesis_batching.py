"""Batched mutagenesis equals one mutant at a time: token-budget batches, SDPA passes, reused windows."""

import numpy as np
import pytest
import torch
from support import make_tiny_model, random_seqs

from dnabert.loading.checkpoint import load_model
from dnabert.analysis.inference import predict, sdpa_twin, token_batches, window_starts
from dnabert.families.kmer import encode_batch
from dnabert.sequences import reverse_complement
from dnabert.analysis.variants import Edit, _window_outputs, apply_edit, mutation_map, saturation_edits, score_edits


@pytest.fixture(scope="module")
def lm(tiny_model_dir):
    return load_model(tiny_model_dir)


@pytest.fixture(scope="module")
def lm_short_window(tmp_path_factory):
    """Window of 38 k-mers, so a 150-bp sequence is scored in 4 overlapping windows."""
    return load_model(make_tiny_model(tmp_path_factory.mktemp("models") / "w40", seed=2, max_position_embeddings=40))


def one_at_a_time(lm, seqs, class_index=-1):
    """The reference: each sequence alone through the eager model (attention on, so no SDPA)."""
    return np.array([predict(lm, [s], batch_size=1, attention="last").probs[0, class_index] for s in seqs])


def test_sdpa_twin_logits_equal_eager_in_float64(tmp_path):
    lm = load_model(make_tiny_model(tmp_path / "m", seed=1))
    lm.model.double()
    ids, mask = encode_batch(random_seqs(6, 20, 90, seed=1), lm.k)  # padded rows: the mask matters
    t_ids, t_mask = torch.as_tensor(ids), torch.as_tensor(mask)
    with torch.inference_mode():
        eager = lm.model(input_ids=t_ids, attention_mask=t_mask).logits
        sdpa = sdpa_twin(lm.model)(input_ids=t_ids, attention_mask=t_mask).logits
    assert lm.model.config._attn_implementation == "eager" and sdpa_twin(lm.model).config._attn_implementation == "sdpa"
    assert eager.dtype == torch.float64 and torch.allclose(eager, sdpa, rtol=0, atol=1e-8)
    assert sdpa_twin(lm.model) is sdpa_twin(lm.model)  # built once
    assert sdpa_twin(lm.model).classifier.weight is lm.model.classifier.weight  # weights shared, not copied


def test_token_batches_respect_both_caps():
    rng = np.random.default_rng(0)
    lengths = [int(x) for x in rng.integers(3, 120, size=200)] + [1500]
    batches = token_batches(lengths, batch_size=16, max_tokens=1000)
    flat = [j for b in batches for j in b]
    assert sorted(flat) == list(range(len(lengths)))
    assert [lengths[j] for j in flat] == sorted(lengths)  # shortest first
    for b in batches:
        assert len(b) <= 16
        assert len(b) == 1 or len(b) * max(lengths[j] for j in b) <= 1000
    assert batches[-1] == [200]  # the 1500-token item, over the budget, goes alone
    assert [len(b) for b in token_batches([10] * 10, 4, None)] == [4, 4, 2]


def test_predict_with_token_budget_equals_without(lm):
    seqs = random_seqs(20, 10, 300, seed=7)
    a = predict(lm, seqs, batch_size=32)
    b = predict(lm, seqs, batch_size=32, max_tokens=300)
    c = predict(lm, seqs, batch_size=32, attention=None, max_tokens=300)
    np.testing.assert_allclose(a.probs, b.probs, atol=1e-5)
    np.testing.assert_allclose(a.probs, c.probs, atol=1e-5)
    for x, y in zip(a.scores, b.scores):
        np.testing.assert_allclose(x, y, atol=1e-5)


@pytest.mark.parametrize("both_strands", [False, True])
def test_batched_mutation_map_equals_one_at_a_time_on_long_sequence(lm_short_window, both_strands):
    lm, seq = lm_short_window, random_seqs(1, 150, 150, seed=8)[0]
    assert len(window_starts(len(seq) - lm.k + 1, lm.window)) == 4
    mm = mutation_map(lm, seq, both_strands=both_strands, batch_size=64)
    mutants = [apply_edit(seq, e) for e in saturation_edits(seq)]
    expected = one_at_a_time(lm, [seq] + mutants)
    if both_strands:
        expected = (expected + one_at_a_time(lm, [reverse_complement(s) for s in [seq] + mutants])) / 2
    assert mm.p_wt == pytest.approx(expected[0], abs=1e-6)
    np.testing.assert_allclose(mm.p_mut[~np.isnan(mm.p_mut)], expected[1:], atol=1e-6)


def test_indels_and_attention_in_batches_equal_one_at_a_time(lm_short_window):
    lm = lm_short_window
    seqs = random_seqs(3, 30, 120, seed=9)
    edits = [Edit(i, s, s + d, alt) for i, seq in enumerate(seqs) for s, d, alt in [(5, 1, ""), (10, 0, "GA"), (20, 2, "T")]]
    scores = score_edits(lm, seqs, edits, attention="last", chunk=4)
    plain = score_edits(lm, seqs, edits, chunk=4)
    mutants = [apply_edit(seqs[e.seq], e) for e in edits]
    np.testing.assert_allclose(scores.p_mut, one_at_a_time(lm, mutants), atol=1e-6)
    np.testing.assert_allclose(plain.p_mut, scores.p_mut, atol=1e-6)
    np.testing.assert_allclose(plain.p_wt, one_at_a_time(lm, [seqs[e.seq] for e in edits]), atol=1e-6)
    for i, seq in enumerate(seqs):
        np.testing.assert_allclose(scores.attention_wt[i], predict(lm, [seq], batch_size=1).scores[0], atol=1e-6)


@pytest.mark.parametrize("mode", ["last", "rollout"])
def test_attention_with_reused_windows_equals_one_at_a_time(lm_short_window, mode):
    lm, seq = lm_short_window, random_seqs(1, 150, 150, seed=13)[0]  # 4 windows
    edits = saturation_edits(seq)[::7]
    scores = score_edits(lm, [seq], edits, attention=mode, batch_size=64)
    wt = predict(lm, [seq], batch_size=1, attention=mode)
    np.testing.assert_allclose(scores.attention_wt[0], wt.scores[0], atol=1e-6)
    for e, change, p in zip(edits, scores.attention_change, scores.p_mut):
        mut = predict(lm, [apply_edit(seq, e)], batch_size=1, attention=mode)
        assert change == pytest.approx(np.linalg.norm(wt.scores[0] - mut.scores[0]), abs=1e-5)
        assert p == pytest.approx(mut.probs[0, -1], abs=1e-6)


@pytest.mark.parametrize("mode", [None, "last"])
def test_a_substitution_rescores_only_the_windows_it_changes(lm_short_window, mode):
    lm, seq = lm_short_window, random_seqs(1, 150, 150, seed=10)[0]
    k, w = lm.k, lm.window
    starts = window_starts(len(seq) - k + 1, w)
    known: dict = {}
    _window_outputs(lm, [seq], mode, known, 32)
    assert len(known) == len(starts)
    for pos in (0, 40, 75, 149):
        mutant = apply_edit(seq, Edit(0, pos, pos + 1, "A" if seq[pos] != "A" else "C"))
        seen = dict(known)
        _window_outputs(lm, [mutant], mode, seen, 32)
        # windows covering k-mers pos-k+1 .. pos, counted directly
        changed = sum(1 for st in starts if st <= pos and pos - k + 1 < st + w)
        assert len(seen) - len(known) == changed >= 1


def test_raw_tracks_are_the_direct_unnormalised_tracks(lm):
    """predict(normalize=False), which window reuse combines, against the eager [CLS] row by explicit loops."""
    seqs = random_seqs(4, 20, 90, seed=14)
    raw = predict(lm, seqs, batch_size=4, attention="last", normalize=False)
    for seq, track in zip(seqs, raw.scores):
        ids, mask = encode_batch([seq], lm.k)
        with torch.inference_mode():
            out = lm.model(input_ids=torch.as_tensor(ids), attention_mask=torch.as_tensor(mask), output_attentions=True)
        kmer = out.attentions[-1][0, :, 0, 1:-1].sum(dim=0).double().numpy()  # [CLS] -> each k-mer, heads summed
        n, k = len(kmer), lm.k
        expected = [kmer[max(0, j - k + 1) : min(j, n - 1) + 1].mean() for j in range(len(seq))]
        np.testing.assert_allclose(track, expected, rtol=1e-5)
    normalized = predict(lm, seqs, batch_size=4, attention="last")
    for r, t in zip(raw.scores, normalized.scores):
        np.testing.assert_allclose(r / np.linalg.norm(r), t, atol=1e-6)
