"""Known-motif attention: FIMO sites, enrichment and attention at sites, against independent computations."""

import numpy as np
import pytest
from memelite import fimo
from scipy.stats import fisher_exact, wilcoxon

from dnabert_demo.synthetic import make_planted_dataset
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


def test_cli_with_a_meme_file_including_motifs_without_sites(planted, tmp_path, capsys):
    """Issue 26: ``known-motifs --motif-db FILE.meme`` failed with a traceback when a motif had no site. The file is
    written as the MEME suite documents the minimal format: CTCF's JASPAR matrix (sites planted in the positives),
    a 4-wide motif (its best possible FIMO p-value is 4^-4 > 1e-4: no site can exist) and a motif without a name."""
    import pandas as pd

    from dnabert.outputs import write_attention_npz
    from explorer.cli import main

    pos, scores, neg, pos_ids = planted
    ctcf = load_jaspar().ppms[list(load_jaspar().ids).index("MA0139.2")]
    rows = lambda m: "".join(" ".join(f"{v:.6f}" for v in col) + "\n" for col in np.asarray(m).T)  # noqa: E731
    strict = np.full((4, 4), 0.01) + np.eye(4) * 0.96
    (tmp_path / "db.meme").write_text(
        "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\nBackground letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n\n"
        f"MOTIF MA0139.2 CTCF\nletter-probability matrix: alength= 4 w= {ctcf.shape[1]} nsites= 20 E= 0\n{rows(ctcf)}\n"
        f"MOTIF short ACGT\nletter-probability matrix: alength= 4 w= 4 nsites= 20 E= 0\n{rows(strict)}\n"
        f"MOTIF lonely\nletter-probability matrix: alength= 4 w= 4 nsites= 20 E= 0\n{rows(strict[::-1])}\n"
    )
    (tmp_path / "pos.fa").write_text("".join(f">{i}\n{s}\n" for i, s in zip(pos_ids, pos)))
    (tmp_path / "neg.fa").write_text("".join(f">n{i}\n{s}\n" for i, s in enumerate(neg)))
    write_attention_npz(tmp_path / "att.npz", pos_ids, pos, scores, "last", "DNABERT-1", "6-mer")
    args = ["known-motifs", "--scores", tmp_path / "att.npz", "--positives", tmp_path / "pos.fa"]
    args += ["--negatives", tmp_path / "neg.fa", "--motif-db", tmp_path / "db.meme", "--out", tmp_path / "known"]
    capsys.readouterr()
    assert main([str(a) for a in args]) == 0, capsys.readouterr().err
    table = pd.read_csv(tmp_path / "known" / "known_motifs.tsv", sep="\t").set_index("motif_id")
    assert table.loc[["short", "lonely"], ["n_pos", "n_neg", "n_sites"]].to_numpy().tolist() == [[0, 0, 0], [0, 0, 0]]
    assert table.loc["lonely", "name"] == "lonely" and table.loc["short", "name"] == "ACGT"
    # CTCF from the MEME file: the same sites and counts as from JASPAR, its p-value Fisher's exact test
    jaspar = known_motif_attention(pos, scores, neg, load_jaspar(), pos_ids).table.set_index("motif_id").loc["MA0139.2"]
    x, y = table.loc["MA0139.2", ["n_pos", "n_neg"]]
    assert (x, y) == (jaspar["n_pos"], jaspar["n_neg"]) and x > 60
    expected = fisher_exact([[x, len(pos) - x], [y, len(neg) - y]], alternative="greater").pvalue
    assert table.loc["MA0139.2", "p"] == pytest.approx(expected, rel=1e-5)
    sites = pd.read_csv(tmp_path / "known" / "known_sites.tsv", sep="\t")
    assert set(sites["motif_id"]) == {"MA0139.2"}
    bed = pd.read_csv(tmp_path / "known" / "known_sites.bed", sep="\t", skiprows=1, header=None)
    assert len(bed) == (sites["set"] == "pos").sum() and set(bed[3]) == {"CTCF_MA0139.2"}
    # a file none of whose motifs has a site in the positives (the case that failed): two rows of zeros, no sites
    text = (tmp_path / "db.meme").read_text()
    (tmp_path / "none.meme").write_text(text[: text.index("MOTIF MA0139.2")] + text[text.index("MOTIF short") :])
    args[args.index(tmp_path / "db.meme")] = tmp_path / "none.meme"
    args[-1] = tmp_path / "none"
    assert main([str(a) for a in args]) == 0, capsys.readouterr().err
    table = pd.read_csv(tmp_path / "none" / "known_motifs.tsv", sep="\t")
    assert table[["motif_id", "n_pos", "n_neg", "p"]].to_numpy().tolist() == [["short", 0, 0, 1.0], ["lonely", 0, 0, 1.0]]
    assert pd.read_csv(tmp_path / "none" / "known_sites.tsv", sep="\t").empty
