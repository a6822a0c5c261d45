"""Known-motif attention: FIMO sites, enrichment and attention at sites, against independent computations."""

import numpy as np
import pytest
from memelite import fimo
from scipy.stats import fisher_exact, wilcoxon

from demo.synthetic import make_planted_dataset
from motif.encoding import encode
from motif.jaspar import load_jaspar
from motif.params import KnownParams
from motif.known import fimo_sites, known_motif_attention, one_hot, site_and_flank_attention

PLANTED = {"CTCF", "YY1"}


@pytest.fixture(scope="module")
def planted():
    data = make_planted_dataset(150, 150, seed=3)
    pos = [s for s, y in zip(data.seqs, data.labels) if y]
    neg = [s for s, y in zip(data.seqs, data.labels) if not y]
    pos_ids = [i for i, y in zip(data.ids, data.labels) if y]
    rng = np.random.default_rng(0)
    scores = []
    for rid, seq in zip(pos_ids, pos):  # synthetic attention: low noise plus a bump on every planted site
        track = rng.random(len(seq)) * 0.2
        for r in data.sites[data.sites["id"] == rid].itertuples():
            track[r.start : r.end] += 1.0
        scores.append(track / np.linalg.norm(track))
    return pos, scores, neg, pos_ids


def test_planted_motifs_rank_first_on_both_axes(planted):
    pos, scores, neg, pos_ids = planted
    result = known_motif_attention(pos, scores, neg, load_jaspar(), pos_ids)
    table = result.table
    top_enriched = set(table.nsmallest(3, "rank_enrichment")["name"].str.upper())
    top_attended = set(table.nsmallest(3, "rank_attention")["name"].str.upper())
    assert PLANTED <= top_enriched, table.head()
    assert PLANTED <= top_attended, table.sort_values("rank_attention").head()
    ctcf = table[table["motif_id"] == "MA0139.2"].iloc[0]
    assert ctcf["q"] < 1e-10 and ctcf["attention_q"] < 1e-10 and ctcf["attention_log2_ratio"] > 1
    # an unrelated motif is neither enriched nor attended
    assert (table["q"] > 0.05).sum() > 0.9 * len(table)


def test_counts_and_pvalues_match_fisher_and_wilcoxon(planted):
    pos, scores, neg, pos_ids = planted
    db = load_jaspar()
    result = known_motif_attention(pos, scores, neg, db, pos_ids, params=KnownParams(gap=7, min_sites=5))
    sites = result.sites
    for motif_id in ["MA0139.2", result.table["motif_id"].iloc[40]]:
        row = result.table[result.table["motif_id"] == motif_id].iloc[0]
        x = sites[(sites["motif_id"] == motif_id) & (sites["set"] == "pos")]["seq"].nunique()
        y = sites[(sites["motif_id"] == motif_id) & (sites["set"] == "neg")]["seq"].nunique()
        assert (row["n_pos"], row["n_neg"]) == (x, y)
        expected = fisher_exact([[x, len(pos) - x], [y, len(neg) - y]], alternative="greater").pvalue
        assert row["p"] == pytest.approx(expected, rel=1e-9, abs=1e-300)
    ctcf_sites = sites[(sites["motif_id"] == "MA0139.2") & (sites["set"] == "pos")]
    site_means, flank_means = [], []
    for r in ctcf_sites.itertuples():  # direct loop over sites, windows cut with slices
        t, w = scores[r.seq], r.end - r.start
        flank = [t[a : a + w] for a in (r.start - 7 - w, r.end + 7) if a >= 0 and a + w <= len(t)]
        if flank:
            site_means.append(t[r.start : r.end].mean())
            flank_means.append(np.concatenate(flank).mean())
    row = result.table[result.table["motif_id"] == "MA0139.2"].iloc[0]
    assert row["n_sites"] == len(site_means)
    assert row["attention_log2_ratio"] == pytest.approx(np.log2(np.mean(site_means) / np.mean(flank_means)))
    expected = wilcoxon(np.array(site_means) - np.array(flank_means), alternative="greater").pvalue
    assert row["attention_p"] == pytest.approx(expected)


def test_site_and_flank_by_hand():
    track = np.arange(20, dtype=float)
    site, flank = site_and_flank_attention([track, track[:8]], np.array([0, 0, 1]), np.array([8, 1, 2]), np.array([11, 4, 5]), 2)
    # site [8, 11): mean 9; flanks [3, 6) and [13, 16): mean (3+4+5+13+14+15)/6 = 9
    # site [1, 4): left flank would start at -4 -> right only [6, 9): 7; sequence 1 (8 bp), site [2, 5): no flank fits
    np.testing.assert_allclose(site, [9.0, 2.0, 3.0])
    np.testing.assert_allclose(flank[:2], [9.0, 7.0])
    assert np.isnan(flank[2])


def test_concatenated_scan_equals_scanning_each_sequence():
    db = load_jaspar()
    rng = np.random.default_rng(5)
    ctcf = db.ids.index("MA0139.2")
    ctcf_site = "".join("ACGT"[i] for i in db.ppms[ctcf].argmax(axis=0))  # the consensus, split across sequences 0 and 1
    seqs = ["".join(rng.choice(list("ACGT"), 40)) + ctcf_site[:9], ctcf_site[9:] + "".join(rng.choice(list("ACGT"), 30))]
    seqs += ["".join(rng.choice(list("ACGT"), 60)) + ctcf_site + "NNNN" + "".join(rng.choice(list("ACGT"), 20))]
    got = fimo_sites(db, encode(seqs))
    expected = []
    for i, s in enumerate(seqs):
        for h in fimo({str(j): m for j, m in enumerate(db.ppms)}, one_hot(encode([s]))[:, :, : len(s)]):
            expected += [
                (int(m), i, int(a), int(b), st) for m, a, b, st in zip(h["motif_idx"], h["start"], h["end"], h["strand"])
            ]
    rows = sorted(zip(got["motif"], got["seq"], got["start"], got["end"], got["strand"]))
    assert rows == sorted(expected)
    assert (got["end"] <= np.array([len(s) for s in seqs])[got["seq"]]).all()
    assert ((got["motif"] == ctcf) & (got["seq"] == 2) & (got["start"] == 60)).any()


def test_scatter_shows_every_motif_once(planted):
    from viz.known_motifs import known_motif_scatter

    pos, scores, neg, pos_ids = planted
    table = known_motif_attention(pos, scores, neg, load_jaspar(), pos_ids).table
    fig = known_motif_scatter(table)
    grey, scored = fig.data
    assert len(grey.x) + len(scored.x) == len(table)
    i = list(scored.text).index("CTCF (MA0139.2)")
    ctcf = table[table["motif_id"] == "MA0139.2"].iloc[0]
    assert scored.x[i] == pytest.approx(-np.log10(ctcf["p"]))
    assert scored.y[i] == pytest.approx(ctcf["attention_log2_ratio"])
    assert "CTCF" in {a.text for a in fig.layout.annotations}
