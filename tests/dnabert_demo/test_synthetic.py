"""Planted-motif synthetic data: ground truth, scores, reproducibility, CLI."""

import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from dnabert_demo.synthetic import (
    DEFAULT_MOTIFS,
    make_planted_dataset,
    markov_background,
    motif_ppm,
    pwm_ceiling,
    relative_scores,
    sample_site,
    scan_best,
    site_pwm,
    split_indices,
)
from dnabert.errors import InputError
from dnabert.sequences import read_sequences, reverse_complement
from explorer.cli import main
from motif.jaspar import jaspar_matrix


@pytest.fixture(scope="module")
def data():
    return make_planted_dataset(150, 150, length=100, seed=3)


def dinucs(s: str) -> Counter:
    return Counter(a + b for a, b in zip(s[:-1], s[1:]))


def test_shapes_labels_and_kinds(data):
    assert len(data) == 300 and len(set(data.ids)) == 300
    assert all(len(s) == 100 and set(s) <= set("ACGT") for s in data.seqs)
    assert (data.labels == 1).sum() == 150
    kinds = Counter(data.kind)
    assert kinds == {"planted": 150, "shuffled": 75, "background": 75}
    assert all((y == 1) == (kd == "planted") for y, kd in zip(data.labels, data.kind))
    # one or two sites per positive, none for negatives
    pos_ids = {i for i, y in zip(data.ids, data.labels) if y == 1}
    per_seq = data.sites.groupby("id").size()
    assert set(per_seq.index) == pos_ids and set(per_seq) == {1, 2}


def test_planted_sites_are_where_the_table_says(data):
    seqs = dict(zip(data.ids, data.seqs))
    pwms = {m: site_pwm(motif_ppm(m)) for m in DEFAULT_MOTIFS}
    for r in data.sites.itertuples():
        placed = seqs[r.id][r.start : r.end]
        assert placed == r.site
        assert r.end - r.start == motif_ppm(r.jaspar_id).shape[1]
        assert 5 <= r.start and r.end <= 95  # margins
        forward = placed if r.strand == "+" else reverse_complement(placed)
        score = sum(pwms[r.jaspar_id]["ACGT".index(b), j] for j, b in enumerate(forward))  # a direct sum
        assert relative_scores(score, pwms[r.jaspar_id]) == pytest.approx(r.rel_score, abs=1e-3)
        assert r.rel_score >= 0.8
    for _, sites in data.sites.groupby("id"):  # two sites of one sequence never overlap
        assert (sites["start"].to_numpy()[1:] >= sites["end"].to_numpy()[:-1]).all()
    assert set(data.sites["jaspar_id"]) == set(DEFAULT_MOTIFS)
    assert set(data.sites["motif"]) == {"CTCF", "YY1"}
    assert set(data.sites["strand"]) == {"+", "-"}


def test_background_is_human_like():
    seqs = markov_background(2000, 100, np.random.default_rng(0))
    text = "".join(seqs)
    gc = (text.count("G") + text.count("C")) / len(text)
    cpg = sum(s.count("CG") for s in seqs) / sum(len(s) - 1 for s in seqs)
    assert 0.39 < gc < 0.43
    assert 0.005 < cpg < 0.015  # depleted: about a quarter of (gc / 2) ** 2


def test_motifs_need_a_version_and_must_exist():
    assert jaspar_matrix("MA0095.2")[0] == "YY1" and motif_ppm("MA0095.2").shape == (4, 12)
    with pytest.raises(InputError, match="versioned JASPAR matrix id"):
        motif_ppm("MA0095")
    with pytest.raises(InputError, match="not in JASPAR2024"):
        motif_ppm("MA9999.1")


def test_shuffled_negatives_keep_a_positive_composition(data):
    pos = [dinucs(s) for s, y in zip(data.seqs, data.labels) if y == 1]
    for s, kd in zip(data.seqs, data.kind):
        if kd == "shuffled":
            assert dinucs(s) in pos


def test_seeded_and_reproducible():
    a = make_planted_dataset(20, 20, seed=7)
    b = make_planted_dataset(20, 20, seed=7)
    c = make_planted_dataset(20, 20, seed=8)
    assert a.seqs == b.seqs and a.ids == b.ids and a.sites.equals(b.sites)
    assert a.seqs != c.seqs


def test_site_pwm_and_scan_best_match_direct_formulas():
    ppm = motif_ppm("MA0139.2")
    pwm = site_pwm(ppm)
    np.testing.assert_allclose(pwm, np.log2((ppm + 0.01) / 1.04 / 0.25))  # 0.01 per cell on the probability scale
    seqs = ["ACGTGCGCATGCGCAGTTACGNACG", "GCGCATGCGCACCGCGTAGGGAAT", "ACGT"]
    w = pwm.shape[1]
    idx = {b: i for i, b in enumerate("ACGT")}

    def score(site):
        return sum(pwm[idx[b], j] for j, b in enumerate(site))

    lo, hi = pwm.min(axis=0).sum(), pwm.max(axis=0).sum()
    for s, got in zip(seqs, scan_best(seqs, [pwm])):
        sites = [s[p : p + w] for p in range(len(s) - w + 1) if "N" not in s[p : p + w]]
        best = max((max(score(x), score(reverse_complement(x))) for x in sites), default=-np.inf)
        assert got == pytest.approx((best - lo) / (hi - lo))


def test_sample_site_threshold_and_pwm_ceiling(data):
    rng = np.random.default_rng(0)
    ppm = motif_ppm("MA0139.2")
    for _ in range(20):
        site, rel = sample_site(ppm, rng, 0.9)
        assert rel >= 0.9 and len(site) == 15
    pwms = [site_pwm(motif_ppm(m)) for m in DEFAULT_MOTIFS]
    best = scan_best(data.seqs, pwms)
    assert roc_auc_score(data.labels, best) > 0.95
    assert pwm_ceiling(data) == roc_auc_score(data.labels, best)


def test_split_indices_partition():
    parts = split_indices(103, (0.8, 0.1, 0.1), seed=1)
    allidx = np.concatenate(parts)
    assert sorted(allidx.tolist()) == list(range(103))
    assert [len(p) for p in parts] == [82, 11, 10]


def test_synth_cli(tmp_path, capsys):
    out = tmp_path / "syn"
    assert main(["synth", "--out", str(out), "--n-pos", "40", "--n-neg", "40", "--seed", "2"]) == 0
    for f in ("train.tsv", "dev.tsv", "test.tsv", "positives.fa", "negatives.fa", "sites.tsv", "params.json"):
        assert (out / f).is_file(), f
    train = pd.read_csv(out / "train.tsv", sep="\t")
    assert list(train.columns[:3]) == ["id", "sequence", "label"]
    assert set(train["label"]) == {"negative", "positive"}
    assert len(read_sequences(out / "positives.fa")) == 40
    # existing output is refused without --overwrite, and kept intact
    assert main(["synth", "--out", str(out), "--n-pos", "5", "--n-neg", "5"]) == 2
    assert "exists" in capsys.readouterr().err
    assert len(read_sequences(out / "positives.fa")) == 40
    assert main(["synth", "--out", str(out), "--n-pos", "5", "--n-neg", "5", "--overwrite"]) == 0
    assert len(read_sequences(out / "positives.fa")) == 5
    assert json.loads((out / "params.json").read_text())["pwm_ceiling_auroc"] > 0.9
    assert main(["synth", "--out", str(tmp_path / "x"), "--motifs", "FOO"]) == 2
    assert main(["synth", "--out", str(tmp_path / "y"), "--length", "20"]) == 2
