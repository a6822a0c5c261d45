"""Two factors sharing a core are reported apart (issue 19): the two-PPM mixture, the split, TOMTOM only when needed."""

from functools import partial

import numpy as np
import pytest
from motif_fixtures import PLANTED, make_planted, tomtom_warm  # noqa: F401 (tomtom_warm: session fixture)
from scipy.special import logsumexp

import explorer.cli
import motif.tomtom
from dnabert_demo.synthetic import write_fasta
from dnabert.sequences import reverse_complement
from motif.encoding import encode
from motif.jaspar import load_jaspar
from motif.mixture import two_populations
from motif.pipeline import MotifParams, base_frequencies, build_motif, find_motifs
from motif.redundancy import motif_similarity, remove_redundant

pytestmark = pytest.mark.usefixtures("tomtom_warm")

FACTORS = {"YY1": "MA0095.4", "ZFP42": "MA1651.2", "YY2": "MA0748.3", "CTCFL": "MA1102.3"}  # besides PLANTED's
# Share of a factor's planted sites its motif holds, where below 0.75: 44% of the sites sampled from YY2's 7-bp
# matrix carry a mismatch, and the mismatch often falls in the seed's 5 bp, where a seed tolerates one (YY2's motif
# holds 73%)
RECALL = {"YY2": 0.7}


@pytest.fixture(autouse=True)
def _planted_names(monkeypatch):
    for name, matrix in FACTORS.items():
        monkeypatch.setitem(PLANTED, name, matrix)


def sample(ppm, n, rng):
    """n windows (n, W) of codes drawn column by column from ``ppm`` (4, W)."""
    return np.stack([rng.choice(4, size=n, p=col / col.sum()) for col in ppm.T], axis=1).astype(np.uint8)


def direct_delta_bic(codes, second, pseudocount=1.0):
    """BIC difference of the split ``second`` computed directly: PPMs of each side (uniform background), mixing weight."""
    x = (codes[:, :, None] == np.arange(4)).astype(float)  # (n, W, 4)

    def log_ppm(rows):
        counts = x[rows].sum(axis=0)  # (W, 4)
        return np.log((counts + pseudocount / 4) / (counts.sum(axis=1, keepdims=True) + pseudocount))

    n, w = codes.shape
    log_l1 = (x * log_ppm(np.ones(n, bool))).sum()
    per_window = np.stack([(x * log_ppm(~second)).sum(axis=(1, 2)), (x * log_ppm(second)).sum(axis=(1, 2))], axis=1)
    log_l2 = logsumexp(per_window + np.log([1 - second.mean(), second.mean()]), axis=1).sum()
    return 2 * (log_l2 - log_l1) - (3 * w + 1) * np.log(n)


def test_mixture_bic_is_the_direct_formula_when_the_populations_separate():
    """Two kinds of sites sharing 8 columns, 4 fixed columns apart: EM's optimum is the true split, so the BIC is direct."""
    rng = np.random.default_rng(0)
    core = load_jaspar().ppm("MA0095.4")  # YY1, CAAAATGG
    ends = [np.eye(4)[:, [1, 3, 2, 1]], np.eye(4)[:, [2, 0, 0, 2]]]  # CTGC / GAAG after the core
    codes = np.concatenate([sample(np.concatenate([core, end], axis=1), n, rng) for end, n in zip(ends, (600, 400))])
    truth = np.arange(1000) >= 600
    second, delta_bic = two_populations(codes, 1.0, np.full(4, 0.25))
    assert (second == truth).all()
    assert delta_bic == pytest.approx(direct_delta_bic(codes, truth), rel=1e-6)


def test_mixture_separates_yy1_from_zfp42_sites():
    rng = np.random.default_rng(0)
    db = load_jaspar()
    yy1, zfp42 = db.ppm("MA0095.4"), db.ppm("MA1651.2")  # ZFP42 = YY1's CAAAATGG + CTGCC
    pad = np.full((4, 5), 0.25)
    a = np.concatenate([pad, zfp42, pad], axis=1)  # (4, 23): ZFP42 in a window
    b = np.concatenate([pad, yy1, np.full((4, 10), 0.25)], axis=1)  # YY1 at the same place, random after
    codes = np.concatenate([sample(a, 700, rng), sample(b, 300, rng)])
    truth = np.arange(1000) >= 700
    second, delta_bic = two_populations(codes, 1.0, np.full(4, 0.25))
    assert (second == truth).mean() > 0.9  # YY1 windows whose random bases read like CTGCC go with ZFP42
    assert delta_bic > 100
    assert delta_bic >= direct_delta_bic(codes, truth) - 1e-6  # EM's mixture fits at least as well as the true split's PPMs


def test_mixture_keeps_one_population_together():
    rng = np.random.default_rng(1)
    ppm = np.concatenate([np.full((4, 8), 0.25), load_jaspar().ppm("MA0139.2"), np.full((4, 1), 0.25)], axis=1)
    _, delta_bic = two_populations(sample(ppm, 2000, rng), 1.0, np.full(4, 0.25))
    assert delta_bic < 0


def factor_of(data, motif, min_overlap=5):
    """The planted factor under each instance (overlap >= ``min_overlap`` bp with its sequence's site), "" if none."""
    seq = np.array([int(s[1:]) for s in motif.instances["seq_id"]])
    site = data.sites.iloc[seq]
    overlap = np.minimum(motif.instances["end"].to_numpy(), site["end"].to_numpy()) - np.maximum(
        motif.instances["start"].to_numpy(), site["start"].to_numpy()
    )
    return np.where(overlap >= min_overlap, site["motif"].to_numpy(), "")


def run(pair, **params):
    data = make_planted(3000, 3000, motifs=pair, hit_rate=0.9, seed=5)
    ids = [f"p{i}" for i in range(len(data.pos))]
    params = MotifParams(**params)
    return data, find_motifs(data.pos, data.scores, data.neg, params, load_jaspar(), pos_ids=ids)


@pytest.mark.parametrize("pair", [("YY1", "ZFP42"), ("CTCF", "CTCFL"), ("YY2", "ZFP42")])
def test_two_factors_sharing_a_core_are_one_motif_each(pair):
    """YY1's CAAAATGG is ZFP42's first 8 bp; CTCFL's CAGGGGGC lies in CTCF; YY2 and ZFP42 share ATGGC. Before: one
    motif lumped both; for YY2 + ZFP42 two weak 7-bp YY2 variants were reported besides (test_yy2_variants_join_yy2)."""
    data, result = run(pair)
    owners = []
    for m in result.motifs:
        factor = factor_of(data, m)
        names, counts = np.unique(factor, return_counts=True)
        owners.append(names[np.argmax(counts)])
        assert counts.max() / len(factor) > 0.85, (m.consensus, dict(zip(names, counts)))  # each motif is one factor's sites
        for name in pair:  # and holds most of that factor's sites or few of them (below: what cannot be told apart)
            share = (factor == name).sum() / (data.sites["motif"] == name).sum()
            assert share > RECALL.get(name, 0.75) if name == owners[-1] else share < 0.1
    # Bayes error, not a defect: a YY1 site whose next, random bases happen to read like ZFP42's CTGCC is a ZFP42
    # site by its sequence (8% of the YY1 sites fall in the ZFP42 motif); the mixture puts such windows with ZFP42
    assert sorted(owners) == sorted(pair)  # one motif per factor, nothing else
    top = result.matches[result.matches["rank"] == 1].set_index("motif")["target_name"].str.upper()
    assert {top[m.id]: owner for m, owner in zip(result.motifs, owners)} == {name: name for name in pair}
    assert len(result.splits) == 1 and sum(n.startswith("the motif assembled from seed") for n in result.notes) == 1


def test_yy2_variants_join_yy2():
    """YY2 sites with a mismatch the YY2 matrix misses seed weak 7-bp motifs (ACGGCGG, ATGGTGG) that TOMTOM finds only
    loosely similar to YY2 (p 1e-3.4, 1e-2.9) and that are no fragments (their instances lie apart from the YY2
    motif's): after the fragment step they join YY2, as one PPM explains their windows and YY2's."""
    data, keep = run(("YY2", "ZFP42"), remove_redundant=False)
    _, result = run(("YY2", "ZFP42"))
    yy2 = [m for m in result.motifs if m.members]
    assert len(yy2) == 1 and len(yy2[0].members) == 3
    first, *variants = yy2[0].members
    assert first.motif.consensus == "ATGGCGG" and sorted(x.motif.consensus for x in variants) == ["ACGGCGG", "ATGGTGG"]
    assert all(MotifParams().merge_pvalue <= x.tomtom_p < MotifParams().variant_pvalue for x in variants)
    assert {x.motif.key for x in variants} <= {m.key for m in keep.motifs}  # assembled as motifs of their own
    rep = first.motif.instances
    claimed = {(r.seq_id, s) for r in rep.itertuples() for s in range(r.start, r.end)}
    for x in variants:
        inst = x.motif.instances
        assert not any((r.seq_id, s) in claimed for r in inst.itertuples() for s in range(r.start, r.end))  # not YY2's sites
        factor = factor_of(data, x.motif)
        assert (factor == "YY2").mean() > 0.3 and (factor == "ZFP42").mean() < 0.05  # planted YY2 sites YY2's motif missed
    # the joined motif is rebuilt from the union of the sites (a few windows reach past a sequence's end)
    total = sum(len(x.motif.instances) for x in yy2[0].members)
    assert 0.95 * total < len(yy2[0].instances) <= total
    _, strict = run(("YY2", "ZFP42"), variant_pvalue=1e-4)  # the variants' TOMTOM p are above it: reported apart
    assert sorted(m.consensus for m in strict.motifs) == ["ACGGCGG", "ATGGCGG", "ATGGTGG", "CAAAATGGCTGCC"]


@pytest.mark.parametrize("pair", [("YY2", "ZFP42"), ("CTCF", "CTCFL")])
def test_distinct_factors_do_not_join_as_variants(pair):
    """The two factors' motifs given as motifs of their own (not parts of one): TOMTOM p between merge_pvalue and
    variant_pvalue, so the sites decide; the union of their windows is two populations, and both stay."""
    data, result = run(pair)
    params = MotifParams()
    pos, neg = encode(data.pos), encode(data.neg)
    background = base_frequencies(pos, neg)
    ids = [f"p{i}" for i in range(len(data.pos))]
    a, b = result.motifs
    p, _, _ = motif_similarity([a.ppm, b.ppm])
    assert params.merge_pvalue <= max(p[0, 1], p[1, 0]) < params.variant_pvalue
    build = partial(build_motif, pos=pos, pos_ids=ids, params=params, background=background)
    kept, dropped, splits = remove_redundant([a, b], pos, neg, background, ids, build, params)
    assert kept == [a, b] and dropped == [] and splits == []


def test_split_motifs_are_recounts_of_their_sites():
    """YY1 and ZFP42 differ only after the shared core: the reported matrices are the counts of the sites' own bases."""
    data, result = run(("YY1", "ZFP42"))
    for m in result.motifs:
        counts = np.zeros_like(m.counts)
        for r in m.instances.itertuples():
            site = data.pos[int(r.seq_id[1:])][r.start : r.end]
            for j, base in enumerate(site if r.strand == "+" else reverse_complement(site)):
                counts["ACGT".index(base), j] += 1
        assert m.counts == pytest.approx(counts)
    yy1, zfp42 = sorted(result.motifs, key=lambda m: m.ppm.shape[1])
    assert zfp42.consensus == "CAAAATGGCTGCC" and yy1.consensus == "CAAAATGG"
    # the extra columns: ZFP42's sites carry CTGCC after the core, YY1's random bases (no window column over 0.6)
    width = yy1.ppm.shape[1]
    at = [r.start - r.window_start if r.strand == "+" else r.window_end - r.end for r in yy1.instances.itertuples()]
    after = [r.window[a + width : a + width + 5] for r, a in zip(yy1.instances.itertuples(), at)]  # oriented windows
    freq = np.array([[sum(w[j] == b for w in after) / len(after) for b in "ACGT"] for j in range(5)])
    assert freq.max() < 0.6


def test_before_the_split_the_assembly_lumps_the_factors():
    data, keep = run(("YY1", "ZFP42"), remove_redundant=False)
    assert len(keep.motifs) == 1 and keep.splits == []  # what the split repairs: both factors in one assembled motif
    factor = factor_of(data, keep.motifs[0])
    assert min((factor == "YY1").mean(), (factor == "ZFP42").mean()) > 0.3


def test_one_factor_per_motif_is_not_split():
    data = make_planted(3000, 3000, hit_rate=0.9, seed=5)  # NRF1, CTCF, REST
    result = find_motifs(data.pos, data.scores, data.neg, MotifParams())
    assert result.splits == [] and len(result.motifs) == 3


def test_no_tomtom_without_matching_and_a_single_motif(tmp_path, monkeypatch):
    """--no-match with one assembled motif: nothing to compare, so TOMTOM is not run (it ran against JASPAR before)."""
    calls = []
    real = motif.tomtom.tomtom  # the one entry point (NumPy for few queries, memelite for many)

    def counted(queries, targets, *args, **kwargs):
        calls.append((len(queries), len(targets)))
        return real(queries, targets, *args, **kwargs)

    monkeypatch.setattr(motif.tomtom, "tomtom", counted)
    data = make_planted(1000, 1000, motifs=("REST",), hit_rate=0.9, seed=5)
    ids = [f"p{i}" for i in range(len(data.pos))]
    write_fasta(tmp_path / "pos.fa", ids, data.pos)
    write_fasta(tmp_path / "neg.fa", [f"n{i}" for i in range(len(data.neg))], data.neg)
    np.savez(tmp_path / "s.npz", ids=np.array(ids), lengths=np.full(len(ids), 100), scores=np.concatenate(data.scores))
    args = ["motifs", "--positives", str(tmp_path / "pos.fa"), "--negatives", str(tmp_path / "neg.fa")]
    args += ["--scores", str(tmp_path / "s.npz"), "--logos", "none"]
    assert explorer.cli.main([*args, "--out", str(tmp_path / "a"), "--no-match"]) == 0
    assert calls == []
    assert (tmp_path / "a" / "motifs.tsv").read_text().count("\n") == 2  # header + the one motif
    assert explorer.cli.main([*args, "--out", str(tmp_path / "b")]) == 0
    assert len(calls) == 1 and calls[0][0] == 1  # with matching: one TOMTOM call, the motif against JASPAR
