"""Deletion curves (dnabert.analysis.faithfulness) against a direct re-computation, and the faithfulness command."""

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from support import random_seqs, redraw_weights

from dnabert.loading.checkpoint import load_model
from dnabert.errors import InputError
from dnabert.analysis.faithfulness import delete_bases, deletion_curves, evidence_deletion_curves
from dnabert.analysis.inference import predict
from explorer.cli import main

FRACTIONS = (0.0, 0.1, 0.25, 0.5)


@pytest.fixture(scope="module")
def model_dir(tiny_model_dir, tmp_path_factory):
    """The tiny model with weights that move its prediction (saved: the command loads it from a folder)."""
    from dnabert.loading.checkpoint import save_model

    lm = load_model(tiny_model_dir)
    redraw_weights(lm.model)
    path = tmp_path_factory.mktemp("faith") / "model"
    save_model(lm.model, lm.k, path, labels=lm.labels)
    return path


@pytest.fixture(scope="module")
def lm(model_dir):
    return load_model(model_dir)


def test_deletion_curves_match_one_prediction_per_deleted_sequence(lm):
    seqs = random_seqs(3, 30, 40, seed=4)
    tracks = [np.random.default_rng(i).normal(size=len(s)) for i, s in enumerate(seqs)]
    got = deletion_curves(lm, seqs, {"mine": tracks}, fractions=FRACTIONS, fill="N", class_index=0, seed=7)
    perms = [np.random.default_rng(7).permutation(len(s)) for s in seqs[:1]]  # the random ranking's first draw
    for i, (seq, track) in enumerate(zip(seqs, tracks)):
        ranked = sorted(range(len(seq)), key=lambda j: (-track[j], j))
        for j, f in enumerate(FRACTIONS):
            gone = set(ranked[: round(f * len(seq))])
            deleted = "".join("N" if q in gone else b for q, b in enumerate(seq))
            assert got.p["mine"][i, j] == pytest.approx(float(predict(lm, [deleted], attention=None).probs[0, 0]), abs=1e-6)
        if i == 0:
            gone = set(perms[0][: round(0.5 * len(seq))].tolist())
            deleted = "".join("N" if q in gone else b for q, b in enumerate(seq))
            assert got.p["random"][0, -1] == pytest.approx(float(predict(lm, [deleted], attention=None).probs[0, 0]), abs=1e-6)
    assert got.label == lm.labels[0]
    # areas: trapezoids over the fractions, random minus the ranking, a bootstrap interval around the mean
    areas = got.areas().set_index("ranking")
    f = np.array(FRACTIONS)

    def auc(p):
        return sum((p[:, j] + p[:, j + 1]) / 2 * (f[j + 1] - f[j]) for j in range(len(f) - 1))

    assert areas.loc["mine", "auc"] == pytest.approx(auc(got.p["mine"]).mean())
    gap = auc(got.p["random"]) - auc(got.p["mine"])
    assert areas.loc["mine", "area_vs_random"] == pytest.approx(gap.mean())
    assert gap.min() - 1e-12 <= areas.loc["mine", "ci_low"] <= gap.mean() <= areas.loc["mine", "ci_high"] <= gap.max() + 1e-12
    assert areas.loc["random", "area_vs_random"] == 0 and np.isnan(areas.loc["random", "ci_low"])
    table = got.table([len(s) for s in seqs])
    lengths = table["id"].map({f"seq{i + 1}": len(s) for i, s in enumerate(seqs)})
    assert len(table) == 2 * 3 * len(FRACTIONS) and (table["n_deleted"] == (table["fraction"] * lengths).round()).all()
    assert np.ptp(got.p["mine"]) > 0.05  # the model's prediction moves


def test_shuffle_keeps_the_composition_and_the_other_bases():
    seq = "ACGTTGCAACGGTTAC"
    positions = np.array([0, 3, 5, 8, 9])
    out = delete_bases(seq, positions, "shuffle", np.random.default_rng(1))
    assert Counter(out) == Counter(seq) and out != seq
    assert all(out[q] == seq[q] for q in range(len(seq)) if q not in positions)
    assert delete_bases(seq, positions, "N", np.random.default_rng(1)) == "NCGNTNCANNGGTTAC"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"fractions": (0.5,)}, "at least two increasing"),
        ({"fractions": (0.0, 0.5, 0.2)}, "at least two increasing"),
        ({"fill": "X"}, "fill must be one of"),
        ({"rankings": {"random": None}}, "random ranking's name"),
        ({"rankings": {"short": [np.zeros(3)]}}, "ranking 'short'"),
    ],
)
def test_deletion_curves_bad_input(lm, kwargs, message):
    seqs = random_seqs(1, 20, 20)
    args = {"rankings": {"mine": [np.zeros(20)]}} | kwargs
    with pytest.raises(InputError, match=message):
        deletion_curves(lm, seqs, **args)


def test_faithfulness_command_writes_what_the_library_computes(model_dir, lm, tmp_path, capsys):
    seqs = random_seqs(4, 25, 35, seed=9)
    fasta = tmp_path / "in.fa"
    fasta.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
    out = tmp_path / "faith"
    args = ["faithfulness", "--model", str(model_dir), "--input", str(fasta), "--out", str(out)]
    assert main(args + ["--sequences", "3", "--fill", "shuffle", "--seed", "2"]) == 0
    assert "area vs random" in capsys.readouterr().err
    want = evidence_deletion_curves(lm, ["s0", "s1", "s2"], seqs[:3], fill="shuffle", seed=2)
    curves = pd.read_csv(out / "curves.tsv", sep="\t")
    assert set(curves["ranking"]) == {"attention", "attribution", "ism", "random"} and set(curves["id"]) == {"s0", "s1", "s2"}
    np.testing.assert_allclose(curves["p"], want.table([len(s) for s in seqs[:3]])["p"], atol=1e-5)
    areas = pd.read_csv(out / "areas.tsv", sep="\t")
    np.testing.assert_allclose(areas["area_vs_random"], want.areas(2)["area_vs_random"], atol=1e-5)
    (out / "mine.txt").write_text("x")
    assert main(args) == 2  # a folder with files this project did not write is never replaced
    assert "already holds other files (e.g. mine.txt)" in capsys.readouterr().err and (out / "mine.txt").exists()


def test_attention_page_deletion_curves_and_their_command(tmp_path, monkeypatch):
    """The Attention page on the demo model (a teaching model) and the command it shows give the same areas; on the
    first 6 example positives deleting the bases attribution or ISM rank first costs more than random (interval > 0)."""
    import shlex
    import shutil

    from support import app, load_example

    from dnabert.loading.checkpoint import DEMO_MODEL_DIR

    at = load_example(app().run())
    at.switch_page("../pages/attention.py").run()
    at.number_input(key="faith_n").set_value(6).run()
    at.button(key="faith_run").click().run()
    assert not at.exception and not at.error
    _, _, page_areas, _, label = at.session_state["faithfulness"]
    assert label == "positive"
    areas = page_areas.set_index("ranking")
    assert (areas.loc[["attribution", "ism"], "ci_low"] > 0).all(), areas
    argv = shlex.split(next(c.value for c in at.code if "faithfulness" in c.value))
    assert {"--fill", "--sequences", "--attention"} <= set(argv)
    monkeypatch.chdir(tmp_path)
    shutil.copy(DEMO_MODEL_DIR / "example_positives.fa", "sequences.fa")  # what "Example data" loaded
    assert main(argv[3:]) == 0
    cli_areas = pd.read_csv(tmp_path / "faithfulness_out" / "areas.tsv", sep="\t")
    pd.testing.assert_frame_equal(cli_areas, page_areas, atol=1e-5, check_exact=False)
