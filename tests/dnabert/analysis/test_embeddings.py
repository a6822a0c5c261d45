"""Sequence embeddings against a direct forward pass of each sequence alone; the PCA map against an SVD."""

import numpy as np
import pytest
import torch
from support import make_tiny_model, random_seqs

from dnabert.loading.checkpoint import load_model
from dnabert.analysis.embeddings import embed, project
from dnabert.errors import InputError
from dnabert.families.kmer import encode_batch


def last_hidden(lm, seq):
    """Last hidden states (T, H) of one sequence alone: no padding, no batching."""
    ids, mask = encode_batch([seq], lm.k, lm.window + 2)
    with torch.inference_mode():
        out = lm.model(input_ids=torch.as_tensor(ids), attention_mask=torch.as_tensor(mask), output_hidden_states=True)
    return out.hidden_states[-1][0].numpy()


def test_cls_and_mean_pooling_match_single_sequence_passes(tiny_model_dir):
    lm = load_model(tiny_model_dir)
    seqs = random_seqs(7, 20, 90, seed=4)  # different lengths: batches are padded
    cls = embed(lm, seqs, "cls", batch_size=3)
    mean = embed(lm, seqs, "mean", batch_size=3)
    assert cls.shape == mean.shape == (7, lm.model.config.hidden_size)
    for i, s in enumerate(seqs):
        h = last_hidden(lm, s)
        np.testing.assert_allclose(cls[i], h[0], atol=1e-5)
        np.testing.assert_allclose(mean[i], h[1:-1].mean(axis=0), atol=1e-5)  # k-mer tokens only


def test_long_sequences_average_their_windows(tmp_path):
    lm = load_model(make_tiny_model(tmp_path / "w", k=3, max_position_embeddings=34))  # 32 k-mers per window
    seq = random_seqs(1, 100, 100, seed=1)[0]
    n_kmers = len(seq) - 2
    starts = np.round(np.linspace(0, n_kmers - 32, -(-n_kmers // 32))).astype(int)
    expected = np.mean([last_hidden(lm, seq[s : s + 34])[0] for s in starts], axis=0)
    np.testing.assert_allclose(embed(lm, [seq], "cls")[0], expected, atol=1e-5)


def test_pca_map_matches_an_svd():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 8)) * np.arange(1, 9)
    xy, note = project(x, "pca")
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    u, s, _ = np.linalg.svd(z, full_matrices=False)
    expected = u[:, :2] * s[:2]
    for j in range(2):  # components are defined up to sign
        sign = np.sign(expected[:, j] @ xy[:, j])
        np.testing.assert_allclose(xy[:, j], sign * expected[:, j], atol=1e-8)
    share = s**2 / (s**2).sum()
    assert f"PC1 {100 * share[0]:.1f}%" in note


def test_umap_map_is_seeded_and_small_inputs_are_refused():
    pytest.importorskip("umap")
    rng = np.random.default_rng(1)
    x = np.vstack([rng.normal(0, 1, (30, 6)), rng.normal(8, 1, (30, 6))])
    a, _ = project(x, "umap", seed=3)
    b, _ = project(x, "umap", seed=3)
    np.testing.assert_array_equal(a, b)
    # the two groups stay apart: every point is nearer its own group's centre
    centres = np.array([a[:30].mean(axis=0), a[30:].mean(axis=0)])
    nearest = np.argmin(((a[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
    assert (nearest == np.repeat([0, 1], 30)).all()
    with pytest.raises(InputError, match="at least 3 sequences"):
        project(x[:2], "pca")
