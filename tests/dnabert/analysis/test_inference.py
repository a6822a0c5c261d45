import threading

import numpy as np
import pytest
import torch
from support import make_tiny_model, random_seqs

from dnabert.loading.checkpoint import load_model
from dnabert.analysis.inference import attention_matrices, kmer_to_nucleotide, predict, window_starts
from dnabert.families.kmer import encode_batch
from dnabert.sequences import SequenceError


def direct_track(lm, seq, mode):
    """Reference: one sequence alone, all attentions from transformers, explicit loops."""
    ids, mask = encode_batch([seq], lm.k, lm.window + 2)
    with torch.no_grad():
        out = lm.model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), output_attentions=True)
    att = [a[0].double().numpy() for a in out.attentions]  # layers x (H, T, T)
    if mode == "last":
        tok = att[-1][:, 0, :].sum(axis=0)
    elif mode == "mean":
        tok = np.mean([a[:, 0, :].sum(axis=0) for a in att], axis=0)
    else:
        t = att[0].shape[-1]
        roll = np.eye(t)
        for a in att:
            mixed = 0.5 * a.mean(axis=0) + 0.5 * np.eye(t)
            mixed /= mixed.sum(axis=1, keepdims=True)
            roll = mixed @ roll
        tok = roll[0]
    kmer = tok[1:-1]
    n, k = len(kmer), lm.k
    per_base = np.array([kmer[max(0, j - k + 1) : min(j, n - 1) + 1].mean() for j in range(len(seq))])
    return per_base, out.logits[0].numpy()


@pytest.fixture(scope="module")
def lm(tiny_model_dir):
    return load_model(tiny_model_dir)


@pytest.mark.parametrize("mode", ["last", "mean", "rollout"])
def test_batched_equals_direct_recomputation(lm, mode):
    seqs = random_seqs(9, 8, 90, seed=1) + ["ACGTNNNNACGTACGTAC"]
    pred = predict(lm, seqs, batch_size=4, attention=mode)
    for seq, track, logits, probs in zip(seqs, pred.scores, pred.logits, pred.probs):
        expected, exp_logits = direct_track(lm, seq, mode)
        assert track.shape == (len(seq),)
        np.testing.assert_allclose(track, expected / np.linalg.norm(expected), atol=1e-5)
        np.testing.assert_allclose(logits, exp_logits, atol=1e-5)
        np.testing.assert_allclose(probs.sum(), 1.0, atol=1e-6)


def test_padding_never_leaks_into_real_positions(lm):
    short = "ACGTTGCAAGGCTTACGATCG"
    alone = predict(lm, [short], attention="last").scores[0]
    padded = predict(lm, [short, random_seqs(1, 400, 400)[0]], batch_size=2, attention="last").scores[0]
    np.testing.assert_allclose(alone, padded, atol=1e-6)


def test_without_attention(lm):
    pred = predict(lm, random_seqs(3, 20, 30), attention=None)
    assert pred.scores is None and pred.probs.shape == (3, 2)


def test_long_sequences_are_windowed_and_stitched(tmp_path):
    lm = load_model(make_tiny_model(tmp_path / "small_window", k=3, max_position_embeddings=34))
    assert lm.window == 32
    seq = random_seqs(1, 150, 150, seed=5)[0]  # 148 k-mers -> 5 windows of 32
    pred = predict(lm, [seq, "ACGTACGTAC"], batch_size=3, attention="last")
    starts = window_starts(len(seq) - 2, 32)
    assert len(starts) == 5 and starts[0] == 0 and starts[-1] == 148 - 32
    np.testing.assert_array_equal(pred.windows[0], np.stack([starts, starts + 34], axis=1))
    sums, cover, logits = np.zeros(150), np.zeros(150), []
    for s in starts:
        piece = seq[s : s + 34]
        track, lg = direct_track(lm, piece, "last")
        sums[s : s + 34] += track
        cover[s : s + 34] += 1
        logits.append(lg)
    assert (cover > 0).all()
    expected = sums / cover
    np.testing.assert_allclose(pred.scores[0], expected / np.linalg.norm(expected), atol=1e-5)
    np.testing.assert_allclose(pred.logits[0], np.mean(logits, axis=0), atol=1e-5)
    assert pred.scores[1].shape == (10,) and pred.windows[1].tolist() == [[0, 10]]


def test_window_starts_cover_everything():
    for n in [1, 32, 33, 100, 1000]:
        s = window_starts(n, 32)
        covered = np.zeros(n, bool)
        for a in s:
            covered[a : a + 32] = True
        assert covered.all() and len(s) == -(-n // 32)


def test_kmer_to_nucleotide():
    np.testing.assert_allclose(kmer_to_nucleotide(np.array([3.0, 6.0]), 3), [3, 4.5, 4.5, 6])


def test_short_sequence_error(lm):
    with pytest.raises(SequenceError, match="sequence 2 has length 3, shorter than k=6"):
        predict(lm, ["ACGTACGT", "ACG"])


def test_attention_matrices(lm):
    seq = "ACGTTGCAAGGCTTACG"
    tokens, att = attention_matrices(lm, seq)
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and tokens[1] == "ACGTTG"
    assert att.shape == (2, 4, len(seq) - 6 + 3, len(seq) - 6 + 3)
    np.testing.assert_allclose(att.sum(axis=-1), 1.0, atol=1e-5)


def test_concurrent_calls_on_one_shared_model(lm):
    """App sessions share one cached model: concurrent calls must not see each other's attention."""
    a, b = random_seqs(40, 20, 90, seed=11), random_seqs(40, 20, 90, seed=12)
    expected = {"a": predict(lm, a, batch_size=8).scores, "b": predict(lm, b, batch_size=5, attention="rollout").scores}
    got, errors = {}, []

    def run(name, seqs, batch_size, mode):
        try:
            for _ in range(5):
                got[name] = predict(lm, seqs, batch_size=batch_size, attention=mode).scores
        except Exception as e:  # noqa: BLE001  (reported below, in the test's thread)
            errors.append(e)

    threads = [threading.Thread(target=run, args=("a", a, 8, "last")), threading.Thread(target=run, args=("b", b, 5, "rollout"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for name in ("a", "b"):
        for track, want in zip(got[name], expected[name]):
            np.testing.assert_allclose(track, want, atol=1e-5)
