"""Variant effects: saturation mutagenesis, edit lists, scores, tables, the mutate CLI."""

import numpy as np
import pandas as pd
import pytest
from support import random_seqs

from dnabert.loading.checkpoint import DEMO_MODEL_DIR, load_model
from dnabert.errors import InputError
from dnabert.analysis.inference import predict
from dnabert.sequences import read_sequences, reverse_complement
from dnabert.analysis.variants import (
    BASES,
    Edit,
    apply_edit,
    attention_change,
    difference_score,
    log_odds_ratio,
    mutation_map,
    mutation_map_table,
    read_variant_list,
    resolve_class,
    saturation_edits,
    save_mutation_maps,
    score_edits,
)
from explorer.cli import main


@pytest.fixture(scope="module")
def lm(tiny_model_dir):
    return load_model(tiny_model_dir)


def test_saturation_edits_are_every_single_base_change():
    seq = random_seqs(1, 30, 30, seed=3)[0]
    mutants = [apply_edit(seq, e) for e in saturation_edits(seq)]
    assert len(mutants) == 3 * len(seq) == len(set(mutants))
    for m in mutants:
        diffs = [i for i in range(len(seq)) if m[i] != seq[i]]
        assert len(m) == len(seq) and len(diffs) == 1 and m[diffs[0]] in BASES
    assert len(saturation_edits("ANC")) == 3 + 4 + 3  # N: all four bases


def test_mutation_map_scores_each_mutant_like_predict(lm):
    seq = random_seqs(1, 25, 25, seed=4)[0]
    mm = mutation_map(lm, seq, "s", attention="last")
    mutants = [apply_edit(seq, e) for e in saturation_edits(seq)]
    expected = predict(lm, [seq] + mutants, attention=None).probs[:, -1]
    assert mm.p_wt == pytest.approx(expected[0], abs=1e-6)
    assert mm.p_mut.shape == mm.diff.shape == mm.log_or.shape == mm.attention_change.shape == (25, 4)
    ref_cols = np.array([BASES.index(b) for b in seq])
    assert np.isnan(mm.p_mut[np.arange(25), ref_cols]).all() and np.isnan(mm.diff[np.arange(25), ref_cols]).all()
    assert np.isfinite(mm.p_mut).sum() == 75
    np.testing.assert_allclose(mm.p_mut[~np.isnan(mm.p_mut)], expected[1:], atol=1e-6)  # row-major = edit order
    np.testing.assert_allclose(mm.diff, difference_score(mm.p_wt, mm.p_mut))
    np.testing.assert_allclose(mm.attention_wt, predict(lm, [seq]).scores[0], atol=1e-6)
    assert mm.label == lm.labels[-1]


def test_mutation_map_other_class_and_both_strands(lm):
    seq = random_seqs(1, 20, 20, seed=5)[0]
    mm = mutation_map(lm, seq, class_index=0, both_strands=True)
    fwd, rev = predict(lm, [seq, reverse_complement(seq)], attention=None).probs[:, 0]
    assert mm.p_wt == pytest.approx((fwd + rev) / 2, abs=1e-6)
    assert mm.attention_wt is None and mm.attention_change is None and mm.label == lm.labels[0]


def test_difference_and_log_odds_by_hand():
    np.testing.assert_allclose(difference_score([0.8, 0.5], [0.2, 0.9]), [(0.2 - 0.8) * 0.8, 0.4 * 0.9])
    np.testing.assert_allclose(log_odds_ratio([0.8, 0.5], [0.2, 0.9]), [2 - (-2), 0 - np.log2(9)])
    clipped = log_odds_ratio(1.0, 0.0)
    assert np.isfinite(clipped) and clipped == pytest.approx(2 * np.log2((1 - 1e-6) / 1e-6))


def test_insertion_and_deletion_sequences():
    assert apply_edit("ACGTACGT", Edit(0, 2, 2, "TT")) == "ACTTGTACGT"
    assert apply_edit("ACGTACGT", Edit(0, 2, 4, "")) == "ACACGT"
    assert apply_edit("ACGTACGT", Edit(0, 8, 8, "G")) == "ACGTACGTG"


def test_variant_list_scores_the_edited_sequences(lm, tmp_path):
    seqs = random_seqs(2, 40, 40, seed=6)
    path = tmp_path / "list.tsv"
    path.write_text("id\tstart\tend\talt\n# comment\nb\t5\t5\tGGG\na\t10\t13\t-\nb\t0\t1\tc\n")
    edits = read_variant_list(path, ["a", "b"], seqs)
    assert edits == [Edit(1, 5, 5, "GGG"), Edit(0, 10, 13, ""), Edit(1, 0, 1, "C")]
    scores = score_edits(lm, seqs, edits, attention="last", chunk=2)  # two chunks
    mutants = [seqs[1][:5] + "GGG" + seqs[1][5:], seqs[0][:10] + seqs[0][13:], "C" + seqs[1][1:]]
    expected = predict(lm, seqs + mutants, attention=None).probs[:, -1]
    np.testing.assert_allclose(scores.p_wt, expected[[1, 0, 1]], atol=1e-6)
    np.testing.assert_allclose(scores.p_mut, expected[2:], atol=1e-6)
    assert scores.attention_change.shape == (3,) and (scores.attention_change > 0).all()


def test_attention_change_aligns_flanks_of_indels():
    wt = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    assert attention_change(wt, wt.copy(), Edit(0, 2, 3, "A")) == 0
    assert attention_change(wt, np.array([0.1, 0.2, 9.0, 9.0, 0.3, 0.4, 0.5]), Edit(0, 2, 2, "GG")) == 0
    assert attention_change(wt, np.array([0.1, 0.4, 0.5]), Edit(0, 1, 3, "")) == 0
    assert attention_change(wt, np.array([0.1, 0.2, 0.3, 0.4, 0.0]), Edit(0, 0, 1, "C")) == pytest.approx(0.5)


def test_resolve_class():
    labels = ["negative", "positive"]
    assert resolve_class(labels) == 1
    assert resolve_class(labels, "negative") == 0 and resolve_class(labels, "0") == 0 and resolve_class(labels, -1) == 1
    with pytest.raises(InputError, match="neither a class name nor an index"):
        resolve_class(labels, "enhancer")
    with pytest.raises(InputError):
        resolve_class(labels, 2)


@pytest.mark.parametrize(
    "line, message",
    [
        ("x\t1\t2\tA", "line 2: sequence id 'x' is not in the input"),
        ("a\t5\t4\tA", r"line 2: interval \[5, 4\) is not inside"),
        ("a\t0\t11\tA", "line 2: interval"),
        ("a\t1\t2\tN", "line 2: alt 'N' has letters other than"),
        ("a\t1\t2", "line 2: 3 tab-separated column"),
        ("a\tone\t2\tA", "line 2: start 'one'"),
        ("a\t3\t3\t-", "changes nothing"),
        ("a\t0\t1\tA", "changes nothing .*0-based"),
    ],
)
def test_variant_list_errors_name_the_line(tmp_path, line, message):
    path = tmp_path / "bad.tsv"
    path.write_text(f"a\t2\t3\tT\n{line}\n")
    with pytest.raises(InputError, match=message):
        read_variant_list(path, ["a"], ["ACGTACGTAC"])


def test_empty_variant_list(tmp_path):
    path = tmp_path / "empty.tsv"
    path.write_text("id\tstart\tend\talt\n")
    with pytest.raises(InputError, match="variant list is empty"):
        read_variant_list(path, ["a"], ["ACGT"])


def test_table_sorted_and_maps_round_trip(lm, tmp_path):
    seq = random_seqs(1, 15, 15, seed=7)[0]
    mm = mutation_map(lm, seq, "s", attention="last")
    table = mutation_map_table(mm)
    assert list(table.columns) == ["id", "position", "ref", "alt", "p_wt", "p_mut", "diff", "logOR", "attn_change"]
    assert len(table) == 45 and (np.diff(table["diff"].abs()) <= 0).all()
    assert (table["ref"] != table["alt"]).all() and set(table["ref"] + table["position"].astype(str)) == {
        f"{b}{i}" for i, b in enumerate(seq)
    }
    save_mutation_maps(tmp_path / "maps.npz", [mm, mutation_map(lm, seq[:12], "t", attention="last")])
    with np.load(tmp_path / "maps.npz", allow_pickle=False) as z:  # concatenated (L, 4) maps, split by lengths
        assert z["ids"].tolist() == ["s", "t"] and z["seqs"][1] == seq[:12] and z["p_wt"][0] == mm.p_wt
        np.testing.assert_array_equal(z["diff"][: len(seq)], mm.diff)
        np.testing.assert_array_equal(z["attention_wt"][: len(seq)], mm.attention_wt)


def test_cli_mutate_saturation_and_list(tiny_model_dir, tmp_path, capsys):
    fasta = tmp_path / "seqs.fa"
    seqs = random_seqs(2, 20, 30, seed=8)
    fasta.write_text(f">a\n{seqs[0]}\n>b\n{seqs[1]}\n")
    out = tmp_path / "sat.tsv"
    assert (
        main(
            [
                "mutate",
                "--model",
                str(tiny_model_dir),
                "--input",
                str(fasta),
                "--out",
                str(out),
                "--maps",
                str(tmp_path / "m.npz"),
            ]
        )
        == 0
    )
    table = pd.read_csv(out, sep="\t")
    assert len(table) == 3 * (len(seqs[0]) + len(seqs[1])) and (np.diff(table["diff"].abs()) <= 1e-6).all()
    assert "attn_change" not in table.columns and len(np.load(tmp_path / "m.npz")["ids"]) == 2
    listing = tmp_path / "list.tsv"
    listing.write_text("a\t3\t3\tAC\nb\t4\t6\t-\n")
    out2 = tmp_path / "list_out.tsv"
    args = ["mutate", "--model", str(tiny_model_dir), "--input", str(fasta), "--variants", str(listing), "--out", str(out2)]
    assert main([*args, "--attention-change", "--class", "class0"]) == 0
    table = pd.read_csv(out2, sep="\t", keep_default_na=False)
    assert sorted(zip(table["id"], table["position"], table["ref"], table["alt"])) == [
        ("a", 3, "-", "AC"),
        ("b", 4, seqs[1][4:6], "-"),
    ]
    assert "attn_change" in table.columns
    listing.write_text("zz\t3\t3\tAC\n")
    assert main(args) == 2
    assert "line 1: sequence id 'zz'" in capsys.readouterr().err
    assert len(pd.read_csv(out2, sep="\t")) == 2 and not list(tmp_path.glob(".*partial"))


needs_demo = pytest.mark.skipif(
    not (DEMO_MODEL_DIR / "config.json").exists(), reason="demo model not built (dnabert/demo_model/config.json)"
)
TRANSVERSION = str.maketrans("ACGT", "CATG")  # a base change that never maps a site onto its reverse complement


@needs_demo
def test_demo_destroying_a_planted_site_lowers_p_far_base_does_not():
    lm = load_model("demo")
    data = read_sequences(DEMO_MODEL_DIR / "example_positives.fa")
    sites = pd.read_csv(DEMO_MODEL_DIR / "example_sites.tsv", sep="\t").set_index("id")
    index = {rid: i for i, rid in enumerate(data.ids)}
    per_seq = sites.index.value_counts()
    chosen = [rid for rid in sites.index.unique() if rid in index and per_seq[rid] == 1][:20]  # one site: destroying it matters
    edits = []
    for rid in chosen:
        i, (start, end) = index[rid], sites.loc[rid, ["start", "end"]]
        seq = data.seqs[i]
        far = max(range(len(seq)), key=lambda j: abs(j - (start + end) / 2))
        edits += [
            Edit(i, start, end, seq[start:end].translate(TRANSVERSION)),
            Edit(i, far, far + 1, seq[far].translate(TRANSVERSION)),
        ]
    scores = score_edits(lm, data.seqs, edits)
    confident = scores.p_wt[::2] > 0.9
    assert confident.sum() >= 10
    drop_site = (scores.p_wt - scores.p_mut)[::2][confident]
    change_far = np.abs(scores.p_wt - scores.p_mut)[1::2][confident]
    assert np.median(drop_site) > 0.5 and (drop_site > 0.2).mean() >= 0.75
    assert np.median(change_far) < 0.02 and change_far.max() < 0.2
    assert np.median(scores.diff[::2][confident]) < -0.3
