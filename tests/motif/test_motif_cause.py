"""Cause check (motif.cause): the sequences it builds, its numbers against scipy, and its verdicts on real models."""

import zlib
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from support import REPO
from scipy.stats import ttest_1samp, wilcoxon

from dnabert.sequences import reverse_complement
from explorer.cli import main
from motif.cause import (
    NO_EFFECT,
    NOT_CHECKED,
    USES,
    ablation_pairs,
    cause_check,
    insertion_pairs,
    model_predictor,
)
from motif.params import MotifParams

DEMO = REPO / "dnabert" / "demo_model"


def one_hot(consensus: str, eps: float = 0.0) -> np.ndarray:
    ppm = np.full((4, len(consensus)), eps)
    for i, b in enumerate(consensus):
        ppm["ACGT".index(b), i] = 1.0
    return ppm / ppm.sum(axis=0, keepdims=True)


def random_seqs(n, length, seed):
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGT"), length)) for _ in range(n)]


def test_insertion_pairs_write_the_motif_and_its_column_shuffle_over_the_middle():
    backgrounds = random_seqs(40, 31, 0)
    consensus = "CCCTCGAGT"
    with_motif, with_control, reverse = insertion_pairs(backgrounds, one_hot(consensus), np.random.default_rng(1))
    a = (31 - 9) // 2
    assert 0 < reverse.sum() < 40  # both strands
    for bg, m, c, rev in zip(backgrounds, with_motif, with_control, reverse):
        assert m[:a] == bg[:a] == c[:a] and m[a + 9 :] == bg[a + 9 :] == c[a + 9 :]
        assert m[a : a + 9] == (reverse_complement(consensus) if rev else consensus)
        control = reverse_complement(c[a : a + 9]) if rev else c[a : a + 9]
        assert sorted(control) == sorted(consensus) and control != consensus  # the same columns, in another order
    assert len({c[a : a + 9] for c, rev in zip(with_control, reverse) if not rev}) == 1  # one permutation per motif


def test_ablation_pairs_shuffle_the_sites_and_as_many_windows_elsewhere():
    seqs = random_seqs(3, 60, 2)
    sites = pd.DataFrame({"seq": [0, 0, 2], "start": [5, 30, 40]})
    ablated, control, kept = ablation_pairs(seqs, sites, 8, np.random.default_rng(3))
    assert kept.tolist() == [0, 2]
    for j, i in enumerate(kept):
        in_site = np.zeros(60, bool)
        for a in sites.loc[sites["seq"] == i, "start"]:
            in_site[a : a + 8] = True
            assert Counter(ablated[j][a : a + 8]) == Counter(seqs[i][a : a + 8])
        ab, co, orig = (np.array(list(s)) for s in (ablated[j], control[j], seqs[i]))
        assert (ab[~in_site] == orig[~in_site]).all()  # only the sites change
        assert (co[in_site] == orig[in_site]).all()  # the control leaves the sites alone
        assert Counter(control[j]) == Counter(seqs[i])


def counting_model(words):
    """A deterministic 'model': p grows with the occurrences of ``words`` (both strands); records every call."""
    calls = []

    def predict(seqs):
        calls.append(list(seqs))
        hits = np.array([sum(s.count(w) + s.count(reverse_complement(w)) for w in words) for s in seqs])
        noise = np.array([zlib.crc32(s.encode()) % 1000 for s in seqs]) / 1e5  # deterministic, below 0.01
        return 0.98 - 0.9 * np.exp(-hits) + noise

    return predict, calls


def test_effects_intervals_p_and_q_against_scipy():
    rng = np.random.default_rng(5)
    positives = []
    for i, s in enumerate(random_seqs(60, 50, 6)):
        a = int(rng.integers(0, 20))
        s = s[:a] + "GGCCATTA" + s[a + 8 :]
        positives.append(s if i % 2 else s[:30] + "TTTTACGC" + s[38:])  # the decoy in half, which the model ignores
    backgrounds = random_seqs(80, 50, 7)
    predict, calls = counting_model(["GGCCATTA"])
    ppms = [one_hot("GGCCATTA", 0.02), one_hot("TTTTACGC", 0.02)]
    params = MotifParams(cause_sequences=70, site_pvalue=1e-3)
    result = cause_check(predict, ["used", "decoy"], ["used", "decoy"], ppms, positives, backgrounds, params)
    table = result.table.set_index("motif_id")
    ps = []
    for motif, sent in zip(["used", "decoy"], list(calls)):  # one predict call per motif: inserted, control, ablated, control
        n_ins, n_abl = int(table.loc[motif, "insertion_n"]), int(table.loc[motif, "ablation_n"])
        assert n_ins == 70 and len(sent) == 2 * n_ins + 2 * n_abl
        p = predict(sent)
        expected = {
            "insertion": p[:n_ins] - p[n_ins : 2 * n_ins],
            "ablation": p[2 * n_ins : 2 * n_ins + n_abl] - p[2 * n_ins + n_abl :],
        }
        for test, d in expected.items():
            np.testing.assert_allclose(result.differences[(motif, test)], d)
            assert table.loc[motif, f"{test}_effect"] == pytest.approx(d.mean())
            ci = ttest_1samp(d, 0.0).confidence_interval(0.95)
            assert table.loc[motif, f"{test}_low"] == pytest.approx(ci.low)
            assert table.loc[motif, f"{test}_high"] == pytest.approx(ci.high)
            p_scipy = wilcoxon(d, alternative="two-sided" if test == "insertion" else "less").pvalue
            assert table.loc[motif, f"{test}_p"] == pytest.approx(p_scipy)
            ps.append(((motif, test), p_scipy))
    # Benjamini-Hochberg by hand over all four tests
    order = sorted(ps, key=lambda x: x[1])
    m = len(order)
    q = np.minimum.accumulate([p * m / (i + 1) for i, (_, p) in enumerate(order)][::-1])[::-1]
    for ((motif, test), _), expected_q in zip(order, q):
        assert table.loc[motif, f"{test}_q"] == pytest.approx(min(expected_q, 1.0))
    assert table.loc["used", "insertion_effect"] > 0.3 and table.loc["used", "ablation_effect"] < -0.3
    assert table.loc["used", "verdict"] == USES and table.loc["decoy", "verdict"] == NO_EFFECT


def test_time_budget_reports_the_rest_not_checked():
    predict, _ = counting_model(["GGCCATTA"])
    ppms = [one_hot("GGCCATTA", 0.02)] * 3
    params = MotifParams(cause_budget=1e-9)
    result = cause_check(predict, ["a", "b", "c"], ["a", "b", "c"], ppms, random_seqs(20, 40, 1), random_seqs(20, 40, 2), params)
    assert result.table["verdict"].tolist()[1:] == [NOT_CHECKED, NOT_CHECKED]
    assert result.table["verdict"].iloc[0] != NOT_CHECKED and "not checked" in result.notes[0]


def test_demo_model_uses_ctcf_not_gata1_cli(tmp_path, capsys):
    """The demo (a teaching model trained on planted CTCF and YY1 sites): CTCF is used, GATA1 (never planted) is not."""
    out = tmp_path / "cause.tsv"
    args = ["cause", "--model", "demo", "--jaspar", "MA0139.2", "MA0035.5", "--cause-sequences", "100"]
    args += ["--positives", f"{DEMO}/example_positives.fa", "--negatives", f"{DEMO}/example_negatives.fa", "--out", str(out)]
    assert main(args) == 0
    table = pd.read_csv(out, sep="\t").set_index("name")
    assert table.loc["CTCF", "insertion_effect"] > 0.2 and table.loc["CTCF", "insertion_q"] < 0.05
    assert table.loc["CTCF", "insertion_low"] > 0 and table.loc["CTCF", "verdict"] == USES
    assert table.loc["GATA1", "verdict"] == NO_EFFECT
    assert "1 used by the model" in capsys.readouterr().err


def test_cause_cli_errors(tmp_path, capsys):
    base = ["cause", "--model", "demo", "--positives", f"{DEMO}/example_positives.fa", "--out", str(tmp_path / "c.tsv")]
    assert main([*base, "--jaspar", "MA0139"]) == 2
    assert "versioned" in capsys.readouterr().err
    assert main([*base, "--jaspar", "MA0139.2", "--cause-sequences", "2"]) == 2
    assert "--cause-sequences" in capsys.readouterr().err
    assert main(base) == 2  # no motifs named
    assert not (tmp_path / "c.tsv").exists()


def test_tiny_model_uses_the_real_motif_not_a_decoy_in_both_classes(tmp_path):
    """A decoy planted equally often in both classes carries no signal: the check must say so."""
    from dnabert.loading.checkpoint import load_model
    from dnabert.training.finetune import FinetuneSettings, finetune
    from dnabert.training.tables import LabeledData
    from dnabert.training.policy import ModelShape

    rng = np.random.default_rng(0)
    # a site of background composition (a GC-rich site could be learnt as GC content, which neither test moves) and a
    # GATA-like decoy
    real, decoy = "GATTACACGTGTCA", "TTATCTGA"
    seqs, labels = [], []
    for i, s in enumerate(random_seqs(800, 60, 11)):
        positive = i % 2 == 0
        a = int(rng.integers(0, 60 - len(real) + 1))
        if positive:
            s = s[:a] + real + s[a + len(real) :]
        if rng.random() < 0.5:  # the decoy in half of each class, anywhere away from the real site
            free = [b for b in range(60 - len(decoy) + 1) if not positive or b + len(decoy) <= a or b >= a + len(real)]
            b = int(rng.choice(free))
            s = s[:b] + decoy + s[b + len(decoy) :]
        seqs.append(s)
        labels.append("positive" if positive else "negative")
    train = LabeledData(seqs, labels, [f"r{i}" for i in range(len(seqs))], "train")
    shape = ModelShape(layers=1, hidden=32, heads=2, intermediate=64, max_tokens=128)
    # no dev split: the last epoch is kept (the best-AUROC one is the first to separate, with probabilities near 0.5)
    settings = FinetuneSettings(epochs=3, learning_rate=3e-3, batch_size=32, threads=1, device="cpu", dev_fraction=0.0)
    finetune(train, tmp_path / "m", k=6, shape=shape, settings=settings)
    lm = load_model(tmp_path / "m")
    positives = [s for s, y in zip(seqs, labels) if y == "positive"]
    negatives = [s for s, y in zip(seqs, labels) if y == "negative"]
    ppms = [one_hot(real, 0.05), one_hot(decoy, 0.05)]
    result = cause_check(
        model_predictor(lm), ["real", "decoy"], ["real", "decoy"], ppms, positives, negatives, MotifParams(cause_sequences=150)
    )
    table = result.table.set_index("motif_id")
    assert table.loc["real", "verdict"] == USES and table.loc["real", "insertion_effect"] > 0.1, table.loc["real"].to_dict()
    assert table.loc["decoy", "verdict"] == NO_EFFECT, table.loc["decoy"].to_dict()
    assert abs(table.loc["decoy", "insertion_effect"]) < 0.05
    # shuffling random windows can hit the real site, so ignoring the decoy's sites looks better than random (one-sided)
    assert table.loc["decoy", "ablation_p"] > 0.5


def test_motifs_cli_adds_the_cause_check_to_the_table_and_report(tmp_path, capsys):
    out = tmp_path / "motifs_out"
    args = ["motifs", "--model", "demo", "--positives", str(DEMO / "example_positives.fa"), "--negatives"]
    args += [str(DEMO / "example_negatives.fa"), "--no-match", "--logos", "none", "--cause-sequences", "60", "--out", str(out)]
    assert main(args) == 0
    table = pd.read_csv(out / "motifs.tsv", sep="\t")
    assert {"insertion_effect", "insertion_q", "ablation_effect", "ablation_q", "verdict"} <= set(table.columns)
    ctcf_like = table[table["consensus"].str.contains("CCAGGGGG|CCCCCTGG")]  # CTCF's core, either strand
    assert len(ctcf_like) and (ctcf_like["verdict"] == USES).all()
    assert "does the model use it? (cause check)" in (out / "report.html").read_text()
    assert main([*args[:-1], str(tmp_path / "off"), "--no-cause-check"]) == 0
    assert "verdict" not in pd.read_csv(tmp_path / "off" / "motifs.tsv", sep="\t").columns
