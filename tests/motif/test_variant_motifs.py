"""Explain a variant (motif.variant_motifs): the motif sites it creates or destroys, checked against memelite's FIMO directly."""


import numpy as np
import pandas as pd
import pytest
from support import REPO
from memelite import fimo

from dnabert.analysis.variants import Edit
from explorer.cli import main
from motif.jaspar import MotifDatabase, jaspar_matrix
from motif.meme import format_meme
from motif.variant_motifs import LOCATED_COLUMNS, change_summary, located_changes, motif_changes

DEMO = REPO / "dnabert" / "demo_model"


def consensus(ppm):
    return "".join("ACGT"[i] for i in ppm.argmax(axis=0))


@pytest.fixture(scope="module")
def database():
    (ctcf_name, ctcf), (gata_name, gata) = jaspar_matrix("MA0139.2"), jaspar_matrix("MA0035.5")
    return MotifDatabase("two", ("MA0139.2", "MA0035.5"), (ctcf_name, gata_name), (ctcf, gata))


def background(n, seed=0):
    rng = np.random.default_rng(seed)
    return "".join(rng.choice(list("AC"), n))  # no G/T: no CTCF or GATA site by chance


def fimo_all(ppm, seq):
    """Every position's FIMO score and p, both strands (memelite directly, threshold 1)."""
    one_hot = np.zeros((1, 4, len(seq)), dtype=np.int8)
    one_hot[0, ["ACGT".index(b) for b in seq], np.arange(len(seq))] = 1
    return fimo({"m": np.asarray(ppm, float)}, one_hot, threshold=1.0)[0]


def test_destroyed_and_created_sites_with_fimo_scores(database):
    ctcf, gata = database.ppms
    site, gsite = consensus(ctcf), consensus(gata)
    ref = background(30) + site + background(30, 1)  # CTCF at [30, 30 + W)
    broken_gata = gsite[:3] + ("C" if gsite[3] != "C" else "A") + gsite[4:]
    seq2 = background(25, 2) + broken_gata + background(25, 3)
    edits = [
        Edit(0, 33, 41, "A" * 8),  # eight bases of the CTCF site
        Edit(1, 28, 29, gsite[3]),  # restores GATA1's consensus
        Edit(0, 5, 6, "A"),  # far from any site
        Edit(0, 33, 35, ""),  # a deletion inside CTCF
    ]
    changes = motif_changes([ref, seq2], edits, [("test", database)])
    by = {(r.edit, r.name): r for r in changes.itertuples()}
    assert set(by) == {(0, "CTCF"), (1, "GATA1"), (3, "CTCF")}
    destroyed, created, deleted = by[(0, "CTCF")], by[(1, "GATA1")], by[(3, "CTCF")]
    assert destroyed.change == "destroyed" and created.change == "created" and deleted.change == "destroyed"
    # scores and p against memelite's FIMO on each allele, at the reported place and strand
    alt0 = ref[:33] + "A" * 8 + ref[41:]
    for seq, allele_score, row in ((ref, destroyed.ref_score, destroyed), (alt0, destroyed.alt_score, destroyed)):
        hits = fimo_all(ctcf, seq)
        hit = hits[(hits["start"] == row.start) & (hits["strand"] == row.strand)].iloc[0]
        assert allele_score == pytest.approx(hit["score"], abs=1e-3)
    assert (destroyed.start, destroyed.end) == (30, 30 + ctcf.shape[1])
    ref_hit = fimo_all(ctcf, ref)
    assert destroyed.p == pytest.approx(ref_hit[(ref_hit["start"] == 30) & (ref_hit["strand"] == destroyed.strand)]["p-value"].iloc[0])
    alt1 = seq2[:28] + gsite[3] + seq2[29:]
    for seq, allele_score in ((seq2, created.ref_score), (alt1, created.alt_score)):
        hits = fimo_all(gata, seq)
        assert allele_score == pytest.approx(hits[(hits["start"] == created.start) & (hits["strand"] == created.strand)]["score"].iloc[0], abs=1e-3)
    assert created.alt_score > created.ref_score and destroyed.ref_score > destroyed.alt_score
    assert np.isnan(deleted.alt_score) and deleted.ref_score == pytest.approx(destroyed.ref_score)  # an indel: one score

    summary = change_summary(changes, len(edits))
    assert summary["motifs_destroyed"][0].startswith("CTCF MA0139.2 (score ") and summary["motifs_created"][0] == ""
    assert summary["motifs_created"][1].startswith("GATA1 MA0035.5") and summary.loc[2].tolist() == ["", ""]
    assert " -> " not in summary["motifs_destroyed"][3]  # one score for the deletion

    located = located_changes(changes, edits, ["a", "b"] * 2, [100 + e.start for e in edits], ["x"] * 4, ["", "y", "z", ""])
    assert list(located.columns) == LOCATED_COLUMNS
    first = located.iloc[0]  # edit 0 (position 100 + 33 in these coordinates), CTCF at 30 -> 130
    assert first[["id", "position", "ref", "alt", "site_start", "site_end"]].tolist() == ["a", 133, "x", "-", 130, 130 + ctcf.shape[1]]


def test_an_insertion_touches_a_site_only_across_the_junction(database):
    ctcf = database.ppms[0]
    site = consensus(ctcf)
    ref = background(30) + site + background(30, 1)
    w = len(site)
    # FIMO finds the site at [30, 30 + W) (+) and a weaker one at [28, 28 + W) (-)
    edits = [Edit(0, 28, 28, "AAAA"), Edit(0, 30 + w, 30 + w, "AAAA"), Edit(0, 37, 37, "AAAA")]
    changes = motif_changes([ref], edits, [("test", database)])
    assert changes["edit"].tolist() == [2]  # at either end it leaves the site whole; inside it splits it


def test_mutate_cli_explains_listed_variants(tmp_path, capsys):
    sites = pd.read_csv(DEMO / "example_sites.tsv", sep="\t")
    ctcf = sites[(sites["motif"] == "CTCF") & sites["id"].str.startswith("test_pos")].iloc[0]
    variants = tmp_path / "variants.tsv"
    middle = (ctcf.start + ctcf.end) // 2
    variants.write_text(f"id\tstart\tend\talt\n{ctcf.id}\t{middle - 3}\t{middle + 3}\t\n{ctcf.id}\t0\t1\t\n")
    meme = tmp_path / "found.meme"
    _, ppm = jaspar_matrix("MA0139.2")
    meme.write_text(format_meme(["motif_1"], [np.asarray(ppm)], [10], [0.0], np.full(4, 0.25), [consensus(ppm)]))
    out, changes = tmp_path / "scored.tsv", tmp_path / "changes.tsv"
    base = ["mutate", "--model", "demo", "--input", str(DEMO / "example_positives.fa"), "--variants", str(variants)]
    assert main([*base, "--explain-motifs", str(meme), "--motif-changes", str(changes), "--out", str(out)]) == 0
    table = pd.read_csv(out, sep="\t", keep_default_na=False).set_index("position")
    assert "CTCF MA0139.2" in table.loc[middle - 3, "motifs_destroyed"] and "motif_1" in table.loc[middle - 3, "motifs_destroyed"]
    long = pd.read_csv(changes, sep="\t")
    ctcf_row = long[(long["motif_id"] == "MA0139.2") & (long["position"] == middle - 3)].iloc[0]
    assert (ctcf_row["site_start"], ctcf_row["site_end"]) == (ctcf.start, ctcf.end) and ctcf_row["change"] == "destroyed"
    assert set(long["source"]) >= {"JASPAR2024 CORE vertebrates", str(meme)}
    assert main([*base, "--no-explain", "--out", str(out)]) == 0
    assert "motifs_created" not in pd.read_csv(out, sep="\t").columns
    capsys.readouterr()
    assert main([*base[:5], "--motif-changes", str(changes), "--out", str(out)]) == 2  # saturation: nothing to explain
    assert "--motif-changes" in capsys.readouterr().err
