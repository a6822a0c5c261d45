"""Mutation map and attention-vs-attribution figures: data, the variants table, bad input."""

import numpy as np
import pytest
from support import random_seqs

from dnabert.analysis.attribution import attention_correlation
from dnabert.loading.checkpoint import load_model
from dnabert.errors import InputError
from dnabert.analysis.variants import MutationMap, mutation_map_table
from dnabert.analysis.variants import mutation_map
from viz.attribution import attention_vs_attribution
from viz.mutation_map import arrays_from_table, mutation_map_figure

SEQ = "ACGTTGCA"


def trace(fig, name):
    (t,) = [t for t in fig.data if t.name == name]
    return t


def fake_map(seq=SEQ, seed=0):
    rng = np.random.default_rng(seed)
    p_mut = rng.random((len(seq), 4))
    p_mut[np.arange(len(seq)), ["ACGT".index(b) for b in seq]] = np.nan
    p_wt = 0.4
    diff = (p_mut - p_wt) * np.maximum(p_mut, p_wt)
    log_or = np.log2(p_wt / (1 - p_wt)) - np.log2(p_mut / (1 - p_mut))
    return p_wt, p_mut, diff, log_or


def test_mutation_map_heatmaps_and_reference_marks():
    p_wt, p_mut, diff, log_or = fake_map()
    att = np.linspace(0, 1, len(SEQ))
    fig = mutation_map_figure(SEQ, diff, log_or, p_wt, p_mut, att)
    d, lo = trace(fig, "difference score"), trace(fig, "log-odds ratio")
    assert list(d.y) == list("ACGT")
    assert np.allclose(np.asarray(d.z, float), diff.T, equal_nan=True)
    assert np.allclose(np.asarray(lo.z, float), log_or.T, equal_nan=True)
    assert d.zmin == -d.zmax == -np.nanmax(np.abs(diff))  # symmetric about 0
    assert d.colorscale != lo.colorscale  # flipped so red = mutation raises p in both
    refs = [t for t in fig.data if t.name == "reference base"]
    assert len(refs) == 2 and list(refs[0].y) == list(SEQ)
    assert np.allclose(trace(fig, "attention").y, att)
    assert list(trace(fig, "p wild type").y) == [p_wt, p_wt]
    for c, base in enumerate("ACGT"):
        assert np.allclose(trace(fig, f"p mutant {base}").y, p_mut[:, c], equal_nan=True)
    assert "".join(trace(fig, "sequence").text[0]) == SEQ


def test_mutation_map_without_optional_rows():
    p_wt, _, diff, log_or = fake_map()
    fig = mutation_map_figure(SEQ, diff, log_or, p_wt)
    assert {t.name for t in fig.data} == {"difference score", "log-odds ratio", "reference base", "sequence"}


def test_mutation_map_from_the_variants_table():
    p_wt, p_mut, diff, log_or = fake_map()
    mm = MutationMap(id="s1", seq=SEQ, label="positive", p_wt=p_wt, p_mut=p_mut, diff=diff, log_or=log_or)
    d2, lo2, p2, pwt2 = arrays_from_table(mutation_map_table(mm), SEQ)
    assert pwt2 == p_wt
    for got, want in ((d2, diff), (p2, p_mut), (lo2, log_or)):
        assert np.allclose(got, want, equal_nan=True, atol=1e-9)


def test_mutation_map_of_a_real_model(tiny_model_dir):
    lm = load_model(tiny_model_dir)
    seq = random_seqs(1, 24, 24, seed=5)[0]
    mm = mutation_map(lm, seq, attention="last")
    fig = mutation_map_figure(seq, mm.diff, mm.log_or, mm.p_wt, mm.p_mut, mm.attention_wt)
    assert np.allclose(np.asarray(trace(fig, "difference score").z, float), mm.diff.T, equal_nan=True)
    assert np.isnan(np.asarray(trace(fig, "log-odds ratio").z, float)).sum() == len(seq)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"diff": np.zeros((3, 4))}, r"shape \(L, 4\) = \(8, 4\)"),
        ({"log_or": np.full((8, 4), np.nan)}, "NaN everywhere"),
        ({"log_or": np.full((8, 4), np.inf)}, "infinite"),
        ({"p_wt": 1.5}, r"probability in \[0, 1\]"),
        ({"attention": np.ones(7)}, "7 values but the sequence has 8"),
        ({"seq": ""}, "empty"),
    ],
)
def test_mutation_map_bad_input(kwargs, message):
    p_wt, _, diff, log_or = fake_map()
    args = {"seq": SEQ, "diff": diff, "log_or": log_or, "p_wt": p_wt, **kwargs}
    with pytest.raises(InputError, match=message):
        mutation_map_figure(**args)


def test_variants_table_without_substitutions_is_an_error():
    import pandas as pd

    table = pd.DataFrame(
        {"position": [1], "ref": ["C"], "alt": ["-"], "p_wt": [0.5], "p_mut": [0.4], "diff": [0.1], "logOR": [0.2]}
    )
    with pytest.raises(InputError, match="no single-base substitution"):
        arrays_from_table(table, SEQ)
    with pytest.raises(InputError, match="lacks the column"):
        arrays_from_table(table.drop(columns="logOR"), SEQ)


def test_attention_vs_attribution_figure():
    rng = np.random.default_rng(1)
    seq = random_seqs(1, 50, 50)[0]
    att, attr = rng.random(50), rng.normal(size=50)
    fig = attention_vs_attribution(seq, att, attr, method="gradient x input")
    assert np.allclose(trace(fig, "attention").y, att)
    bars = trace(fig, "attribution")
    assert np.allclose(bars.y, attr)
    assert list(bars.marker.color) == ["#d62728" if v >= 0 else "#1f77b4" for v in attr]
    points = trace(fig, "positions")
    assert np.allclose(points.x, np.abs(attr)) and np.allclose(points.y, att)
    corr = attention_correlation(att, attr)
    assert f"Spearman {corr['spearman']:.2f}" in fig.layout.title.text
    with pytest.raises(InputError, match="49 values"):
        attention_vs_attribution(seq, att, attr[:49])
