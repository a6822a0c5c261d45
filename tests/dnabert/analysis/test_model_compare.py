"""Two models side by side: probabilities and per-sequence attention agreement against scipy."""

import numpy as np
import pytest
from support import make_tiny_model, random_seqs
from scipy.stats import pearsonr, spearmanr

from dnabert.loading.checkpoint import load_model
from dnabert.analysis.inference import predict
from dnabert.analysis.model_compare import compare_models, track_agreement
from viz.maps import probability_scatter, stacked_tracks


def test_track_agreement_matches_scipy_and_constant_tracks_are_nan():
    rng = np.random.default_rng(0)
    a = [rng.random(50), rng.random(30), np.ones(10)]
    b = [a[0] + rng.normal(0, 0.1, 50), rng.random(30), rng.random(10)]
    pearson, spearman = track_agreement(a, b)
    for i in range(2):
        assert pearson[i] == pytest.approx(pearsonr(a[i], b[i]).statistic, rel=1e-12)
        assert spearman[i] == pytest.approx(spearmanr(a[i], b[i]).statistic, rel=1e-12)
    assert np.isnan(pearson[2]) and np.isnan(spearman[2])
    assert pearson[0] > 0.9


def test_two_models_with_different_k(tiny_model_dir, tmp_path):
    lm6 = load_model(tiny_model_dir)
    lm3 = load_model(make_tiny_model(tmp_path / "k3", k=3, seed=5))
    seqs = random_seqs(5, 30, 80, seed=2)
    comp = compare_models(lm6, lm3, seqs)
    np.testing.assert_allclose(comp.a.probs, predict(lm6, seqs).probs)
    np.testing.assert_allclose(comp.b.probs, predict(lm3, seqs).probs)
    for i, s in enumerate(seqs):
        assert len(comp.a.scores[i]) == len(comp.b.scores[i]) == len(s)
        assert comp.pearson[i] == np.corrcoef(comp.a.scores[i].astype(float), comp.b.scores[i].astype(float))[0, 1]
    fig = probability_scatter(comp.a.probs[:, 1], comp.b.probs[:, 1], [f"s{i}" for i in range(5)], "k6", "k3", "class1")
    np.testing.assert_array_equal(fig.data[0].x, comp.a.probs[:, 1])
    fig = stacked_tracks("s0", comp.a.scores[0], comp.b.scores[0], "k6", "k3", comp.pearson[0])
    np.testing.assert_array_equal(fig.data[1].y, comp.b.scores[0])


def test_compare_cli_round_trip(tiny_model_dir, tmp_path):
    import pandas as pd

    from explorer.cli import main
    from dnabert.outputs import load_attention_npz

    other = make_tiny_model(tmp_path / "k4", k=4, seed=9)
    seqs = random_seqs(4, 25, 60, seed=8)
    (tmp_path / "in.fa").write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
    out, npz = tmp_path / "cmp.tsv", tmp_path / "tracks.npz"
    args = ["compare", "--model", str(tiny_model_dir), "--compare", str(other), "--input", str(tmp_path / "in.fa")]
    assert main([*args, "--out", str(out), "--npz", str(npz)]) == 0
    table = pd.read_csv(out, sep="\t")
    assert list(table.columns) == ["id", "length", "A_p_class0", "A_p_class1", "A_predicted", "B_p_class0", "B_p_class1", "B_predicted", "pearson", "spearman"]
    ids, a = load_attention_npz(tmp_path / "tracks_A.npz")
    _, b = load_attention_npz(tmp_path / "tracks_B.npz")
    assert ids == ["s0", "s1", "s2", "s3"]
    expected, _ = track_agreement(a, b)
    np.testing.assert_allclose(table["pearson"], expected, rtol=1e-5)
    np.testing.assert_allclose(table["B_p_class1"], predict(load_model(other), seqs).probs[:, 1], rtol=1e-5)


def test_embed_cli_round_trip(tiny_model_dir, tmp_path):
    import pandas as pd

    from explorer.cli import main
    from dnabert.analysis.embeddings import embed, project

    seqs = random_seqs(12, 30, 70, seed=3)
    (tmp_path / "in.fa").write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
    out, npz = tmp_path / "map.tsv", tmp_path / "emb.npz"
    assert (
        main(
            [
                "embed",
                "--model",
                str(tiny_model_dir),
                "--input",
                str(tmp_path / "in.fa"),
                "--pooling",
                "mean",
                "--out",
                str(out),
                "--npz",
                str(npz),
            ]
        )
        == 0
    )
    table = pd.read_csv(out, sep="\t")
    lm = load_model(tiny_model_dir)
    vectors = embed(lm, seqs, "mean")
    with np.load(npz) as z:
        np.testing.assert_allclose(z["embeddings"], vectors, atol=1e-6)
    xy, _ = project(vectors, "pca")
    np.testing.assert_allclose(table[["x", "y"]].to_numpy(), xy, rtol=1e-4, atol=1e-5)
    assert list(table["id"]) == [f"s{i}" for i in range(12)]
