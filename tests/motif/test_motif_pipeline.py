"""The whole motif analysis: planted motifs end to end, and bad or degenerate input."""

import numpy as np
import pytest
from motif_fixtures import PLANTED, make_planted, tomtom_warm  # noqa: F401 (tomtom_warm: session fixture)

from dnabert.errors import InputError
from motif.jaspar import load_jaspar
from motif.pipeline import MotifParams, find_motifs

pytestmark = pytest.mark.usefixtures("tomtom_warm")


def family(matrix_id: str) -> str:
    return matrix_id.split(".")[0]


@pytest.mark.parametrize("regime", ["sharp", "diffuse"])
def test_planted_motifs_recovered_once_each(regime):
    jaspar_db = load_jaspar()
    data = make_planted(1500, 1500, regime=regime, seed=11)
    result = find_motifs(data.pos, data.scores, data.neg, MotifParams(), jaspar_db)
    top = result.matches[result.matches["rank"] == 1].set_index("motif")
    planted = {family(i): name for name, i in PLANTED.items()}
    found = {m.id: family(top.loc[m.id, "target_id"]) for m in result.motifs}
    strays = [mid for mid, fam in found.items() if fam not in planted]
    assert len(strays) <= 1
    for fam, name in planted.items():
        hits = [m for m in result.motifs if found[m.id] == fam]
        assert len(hits) == 1, f"{name}: {len(hits)} motifs"
        motif = hits[0]
        assert top.loc[motif.id, "q"] < 0.01
        width = jaspar_db.ppm(PLANTED[name]).shape[1]
        assert motif.ppm.shape[1] >= width - 2, f"{name} came out {motif.ppm.shape[1]} of {width} bp"
        planted_here = (data.sites["motif"] == name).sum()
        assert len(motif.instances) >= 0.7 * planted_here
        assert motif.q < 1e-10
    assert result.timings.keys() >= {"input", "regions", "enrichment", "merge", "motifs", "tomtom"}


def test_short_motifs_are_kept(monkeypatch):
    monkeypatch.setitem(PLANTED, "Arnt", "MA0004.1")  # CACGTG, 6 bp
    monkeypatch.setitem(PLANTED, "FOXL1", "MA0033.2")  # 7 bp
    data = make_planted(1000, 1000, motifs=("Arnt", "FOXL1"), seed=1)
    result = find_motifs(data.pos, data.scores, data.neg)
    assert sorted(m.consensus for m in result.motifs) in (["CACGTG", "GTAAACA"], ["CACGTG", "TGTTTAC"])
    assert all(m.q < 1e-10 for m in result.motifs)


def test_instances_are_the_planted_sites():
    data = make_planted(600, 600, motifs=("REST",), seed=2)
    result = find_motifs(data.pos, data.scores, data.neg, pos_ids=[f"p{i}" for i in range(600)])
    motif = result.motifs[0]
    inst = motif.instances
    rows = data.sites.iloc[[int(s[1:]) for s in inst["seq_id"]]]
    overlap = np.minimum(inst["end"].to_numpy(), rows["end"].to_numpy()) - np.maximum(
        inst["start"].to_numpy(), rows["start"].to_numpy()
    )
    assert (overlap >= 15).mean() > 0.95
    same = (inst["strand"].to_numpy() == rows["strand"].to_numpy()).mean()
    assert same > 0.95 or same < 0.05  # one orientation relative to the planted strand
    assert (inst["end"] - inst["start"] == motif.ppm.shape[1]).all()
    assert (inst["window"].str.len() == 24).all() and all(w.find(s) >= 0 for w, s in zip(inst["window"], inst["site"]))
    assert motif.counts.sum(axis=0) == pytest.approx([len(inst)] * motif.ppm.shape[1])
    assert motif.ppm.sum(axis=0) == pytest.approx(np.ones(motif.ppm.shape[1]))


def test_without_negatives_shuffles_positives_and_says_so():
    data = make_planted(200, 0, motifs=("NRF1",), seed=3)
    result = find_motifs(data.pos, data.scores, None, MotifParams(seed=4))
    assert result.n_neg == 200
    assert any("dinucleotide-shuffled positives (seed 4)" in n for n in result.notes)


def test_constant_tracks_give_an_empty_result_with_a_message():
    pos = ["ACGT" * 10] * 5
    result = find_motifs(pos, [np.zeros(40)] * 4 + [np.ones(40)], ["ACGT" * 10] * 5)
    assert result.motifs == [] and len(result.candidates) == 0
    assert any("5 of 5 score tracks are constant" in n for n in result.notes)
    assert any("no high-attention region" in n for n in result.notes)


def test_no_candidate_passing_the_cutoff():
    rng = np.random.default_rng(0)
    pos = ["".join(rng.choice(list("ACGT"), 50)) for _ in range(20)]
    neg = ["".join(rng.choice(list("ACGT"), 50)) for _ in range(20)]
    scores = [np.convolve(rng.random(50) > 0.9, np.ones(8), "same") for _ in pos]  # peaks at random places
    result = find_motifs(pos, scores, neg)
    assert result.motifs == [] and len(result.candidates) > 0 and not result.candidates["kept"].any()
    assert any("no candidate passed the cutoff (q < 0.005)" in n for n in result.notes)


def test_sequences_with_n_are_accepted():
    data = make_planted(300, 300, motifs=("REST",), seed=5)
    pos = [s[:40] + "NNNN" + s[44:] for s in data.pos]
    result = find_motifs(pos, data.scores, data.neg)
    assert len(result.motifs) >= 1 and result.motifs[0].ppm.shape[1] >= 18
    sites = result.motifs[0].instances["site"]
    # about a third of the planted 21-bp sites overlap the Ns; instances are found in N-free regions
    # (only a trimmed flank may reach an N)
    assert sites.str.contains("N").mean() < 0.1


def test_bad_input():
    with pytest.raises(InputError, match="no positive sequences"):
        find_motifs([], [], ["ACGT"])
    with pytest.raises(InputError, match="negative set is empty"):
        find_motifs(["ACGTACGT"], [np.arange(8.0)], [])
    with pytest.raises(InputError, match="scores for 1 sequences but there are 2"):
        find_motifs(["ACGTACGT", "ACGT"], [np.arange(8.0)], ["ACGT"])
    with pytest.raises(InputError, match="contain nan"):
        find_motifs(["ACGTACGT"], [np.full(8, np.nan)], ["ACGT"])
    with pytest.raises(InputError, match="mode must be one of kmers, regions"):
        find_motifs(["ACGTACGT"], [np.arange(8.0)], ["ACGT"], MotifParams(mode="words"))
    with pytest.raises(InputError, match="k_max must be between min_len and 12"):
        find_motifs(["ACGTACGT"], [np.arange(8.0)], ["ACGT"], MotifParams(k_max=4))
