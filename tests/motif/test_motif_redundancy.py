"""One motif per factor (issue 19): merging similar motifs, dropping fragments, re-tested enrichment, outputs."""

import re
from functools import partial

import numpy as np
import pandas as pd
import pytest
from consensus_fixtures import planted_consensus
from motif_fixtures import PLANTED, make_planted, tomtom_warm  # noqa: F401 (tomtom_warm: session fixture)
from numpy.lib.stride_tricks import sliding_window_view
from scipy.stats import false_discovery_control, hypergeom

import explorer.cli
from dnabert.errors import InputError
from dnabert.sequences import reverse_complement
from dnabert_demo.synthetic import write_fasta
from motif.encoding import encode
from motif.jaspar import load_jaspar
from motif.merge import Group
from motif.output import DROPPED_COLUMNS, MERGED_COLUMNS, write_results
from motif.pipeline import MotifParams, base_frequencies, build_motif, find_motifs
from motif.pwm import log_odds, pvalue_threshold
from motif.redundancy import _on_sites, motif_similarity, remove_redundant

pytestmark = pytest.mark.usefixtures("tomtom_warm")

PAD = 60


@pytest.fixture(scope="module")
def issue():
    """The issue's planted set, 10k + 10k, run with and without the redundancy stage."""
    data = planted_consensus(10_000)
    ids = [f"p{i}" for i in range(len(data.pos))]
    before = find_motifs(data.pos, data.scores, data.neg, MotifParams(remove_redundant=False), pos_ids=ids)
    after = find_motifs(data.pos, data.scores, data.neg, MotifParams(), pos_ids=ids)
    return data, before, after


def on_planted_site(data, instances, min_overlap=8):
    """Which instances overlap their sequence's planted site by at least ``min_overlap`` bases, shape (m,), bool."""
    seq = np.array([int(s[1:]) for s in instances["seq_id"]])
    site_start = data.starts[seq]
    site_end = site_start + len(data.consensus)
    overlap = np.minimum(instances["end"].to_numpy(), site_end) - np.maximum(instances["start"].to_numpy(), site_start)
    return overlap >= min_overlap


def test_factor_reported_twice_becomes_one_motif(issue):
    data, before, after = issue
    on_site = [m for m in before.motifs if on_planted_site(data, m.instances).mean() > 0.5]
    assert len(on_site) >= 2  # the failure: the planted factor more than once, at other offsets / strands
    assert len(after.motifs) == 1
    motif = after.motifs[0]
    assert on_planted_site(data, motif.instances).mean() > 0.95
    assert len(motif.members) >= 2 and motif.members[0].motif.key == on_site[0].key
    assert {x.orientation for x in motif.members[1:]} == {"+", "-"}  # members on both strands
    assert all(x.tomtom_p < MotifParams().merge_pvalue for x in motif.members[1:])
    assert len(motif.instances) > len(on_site[0].instances)  # the members' sites joined the representative's


def test_edge_fragments_dropped_with_reason(issue):
    data, before, after = issue
    kept_keys = {x.motif.key for x in after.motifs[0].members}
    fragments = [m for m in before.motifs if m.key not in kept_keys]
    assert len(fragments) >= 3  # the failure: short motifs beside the planted sites
    dropped_keys = {d.motif.key for d in after.dropped}
    assert {m.key for m in fragments} <= dropped_keys and kept_keys | dropped_keys == {m.key for m in before.motifs}
    # an assembled motif both merged and dropped was split: its sites on the planted sites joined motif_1, the rest was dropped
    assert kept_keys & dropped_keys == {x.motif.key for x in after.splits}
    for d in after.dropped:
        assert d.stronger is after.motifs[0]
        assert d.share >= MotifParams().overlap_fraction and d.p_left >= MotifParams().q_cutoff
        assert d.reason.startswith("fragment of motif_1: masking its sites that overlap sites of motif_1 removes")
        assert on_planted_site(data, d.motif.instances).mean() < 0.5  # beside the sites, not on them


def test_five_bp_edge_fragments_are_dropped(issue):
    """The issue's 5-bp case: words made of a site's last (first) bases and the next random ones, instances off the sites."""
    data, _, after = issue
    params = MotifParams()
    pos, neg = encode(data.pos), encode(data.neg)
    background = base_frequencies(pos, neg)
    ids = [f"p{i}" for i in range(len(data.pos))]
    strong = after.motifs[0]
    fragments = []
    for word in ("CAGGA", "TACCG"):  # ...GGCAG|GA and TA|CCGCG...
        seq, start = [], []
        for i, s in enumerate(data.pos):
            site = range(data.starts[i] - 5, data.starts[i] + len(data.consensus))
            j = s.find(word)
            if j >= 0 and j not in site:
                seq.append(i)
                start.append(j)
        seq, start = np.array(seq), np.array(start)
        fragment = build_motif(
            Group(word, seq, start, start + 5, np.ones(len(seq), dtype=np.int64)), pos, ids, params, background
        )
        assert fragment.consensus == word
        on = sum(word in s or reverse_complement(word) in s for s in data.pos)
        off = sum(word in s or reverse_complement(word) in s for s in data.neg)
        assert hypergeom.sf(on - 1, 2 * len(pos), len(pos), on + off) < 1e-5  # enriched, by the sites' edges
        fragments.append(fragment)
    build = partial(build_motif, pos=pos, pos_ids=ids, params=params, background=background)
    kept, dropped, splits = remove_redundant([strong, *fragments], pos, neg, background, ids, build, params)
    assert splits == []
    assert len(kept) == 1 and kept[0] is strong
    assert len(dropped) == 2 and all(d.motif is f and d.stronger is strong for d, f in zip(dropped, fragments))


def test_site_overlap_against_brute_force():
    rng = np.random.default_rng(0)
    sites, other = np.sort(rng.choice(500, 80, replace=False)), np.sort(rng.choice(500, 30, replace=False))
    brute = [any(t < s + 6 and s < t + 9 for t in other) for s in sites]  # [s, s + 6) against [t, t + 9)
    assert _on_sites(sites, 6, other, 9).tolist() == brute
    assert not _on_sites(sites, 6, other[:0], 9).any()


def test_similar_jaspar_factors_stay_apart():
    db = load_jaspar()
    pairs = [("MA0139.2", "MA1102.3"), ("MA0748.3", "MA1651.2"), ("MA0035.5", "MA0036.4")]  # CTCF/CTCFL, YY2/ZFP42, GATA1/2
    for a, b in pairs:
        p, _, _ = motif_similarity([db.ppm(a), db.ppm(b)])
        assert max(p[0, 1], p[1, 0]) > MotifParams().merge_pvalue, (a, b)
        assert p[0, 0] < 1e-10 and p[1, 1] < 1e-10


def test_distinct_planted_factors_not_merged(monkeypatch):
    monkeypatch.setitem(PLANTED, "CTCFL", "MA1102.3")
    data = make_planted(3000, 3000, motifs=("CTCF", "CTCFL"), hit_rate=0.9, seed=5)
    db = load_jaspar()
    before = find_motifs(data.pos, data.scores, data.neg, MotifParams(remove_redundant=False), db)
    after = find_motifs(data.pos, data.scores, data.neg, MotifParams(), db)
    assert len(before.motifs) == 2 and len(after.motifs) == 2 and after.dropped == []
    assert len(after.splits) == 1  # the assembly lumped CTCFL with most CTCF sites (tests/motif/test_motif_split.py)
    top = after.matches[after.matches["rank"] == 1]
    assert sorted(top["target_name"].str.upper()) == ["CTCF", "CTCFL"]  # one motif each (CTCF: MA0139 or MA1930)


def recount(data, motif, window_size=24):
    """Counts (4, window) of the union of the members' sites moved into the representative's frame, from strings."""
    width = motif.members[0].motif.ppm.shape[1]
    left = (window_size - width) // 2
    windows = set()
    for x in motif.members:
        w = x.motif.ppm.shape[1]
        for r in x.motif.instances.itertuples():
            padded = "N" * PAD + data.pos[int(r.seq_id[1:])] + "N" * PAD
            context = padded[r.start : r.end + 2 * PAD]  # the member's site at PAD on the + strand
            if r.strand == "-":
                context = reverse_complement(context)  # ... and on the read strand (symmetric padding)
            if x.orientation == "-":
                context = reverse_complement(context)  # the representative faces the member's reverse complement
            at = PAD + x.offset  # representative column 0 faces member column offset (memelite)
            assert len(context) == w + 2 * PAD
            window = context[at - left : at - left + window_size]
            if "N" not in window:  # windows crossing a sequence end are dropped
                windows.add((r.seq_id, window))
    counts = np.zeros((4, window_size))
    for _, window in windows:
        for j, b in enumerate(window):
            counts["ACGT".index(b), j] += 1
    return windows, counts


def test_merged_matrix_is_a_recount_of_the_realigned_windows(issue):
    data, _, after = issue
    motif = after.motifs[0]
    windows, counts = recount(data, motif)
    assert set(zip(motif.instances["seq_id"], motif.instances["window"])) == windows
    first = motif.instances.iloc[0]
    a = first["start"] - first["window_start"] if first["strand"] == "+" else first["window_end"] - first["end"]
    assert motif.counts == pytest.approx(counts[:, a : a + motif.ppm.shape[1]])


def sequences_with_site(seqs, ppm, background, site_pvalue=1e-4):
    """Sequences with a site (both strands) at the pipeline's threshold, counted with a sliding window."""
    pwm = log_odds(ppm, background)
    threshold = pvalue_threshold(pwm, background, site_pvalue)
    w = pwm.shape[1]
    codes = np.array([["ACGT".index(b) for b in s] for s in seqs])  # (n, L)
    views = sliding_window_view(codes, w, axis=1)  # (n, L - w + 1, w)
    forward = pwm[views, np.arange(w)].sum(axis=2)
    reverse = pwm[::-1, ::-1][views, np.arange(w)].sum(axis=2)
    return int((np.maximum(forward, reverse) >= threshold - 1e-9).any(axis=1).sum())


@pytest.mark.parametrize("case", ["merged", "dropped"])
def test_retested_enrichment_is_a_direct_hypergeometric_and_bh(case, issue):
    """After a merge (the issue's set) and after a drop (three planted factors, 4 motifs -> 3)."""
    if case == "merged":
        data, before, after = issue
    else:
        data = make_planted(10_000, 10_000, hit_rate=0.7, seed=2)
        before = find_motifs(data.pos, data.scores, data.neg, MotifParams(remove_redundant=False))
        after = find_motifs(data.pos, data.scores, data.neg, MotifParams())
        assert len(after.dropped) == 1 and len(after.motifs) == len(before.motifs) - 1
    n = len(data.pos)
    p = []
    for m in after.motifs:
        assert m.n_pos == sequences_with_site(data.pos, m.ppm, after.background)
        assert m.n_neg == sequences_with_site(data.neg, m.ppm, after.background)
        p.append(hypergeom.sf(m.n_pos - 1, 2 * n, n, m.n_pos + m.n_neg))
        assert m.log10_p == pytest.approx(hypergeom.logsf(m.n_pos - 1, 2 * n, n, m.n_pos + m.n_neg) / np.log(10))
    assert [m.p for m in after.motifs] == pytest.approx(p, rel=1e-9, abs=1e-300)
    assert [m.q for m in after.motifs] == pytest.approx(false_discovery_control(p), rel=1e-9, abs=1e-300)


def test_merge_history_and_dropped_tables_written(issue, tmp_path):
    _, _, after = issue
    out = write_results(after, tmp_path / "out")
    merged = pd.read_csv(out / "merged.tsv", sep="\t")
    dropped = pd.read_csv(out / "dropped.tsv", sep="\t")
    assert merged.columns.tolist() == MERGED_COLUMNS and dropped.columns.tolist() == DROPPED_COLUMNS
    members = after.motifs[0].members
    assert merged["member"].tolist() == [x.motif.consensus for x in members]
    assert merged["instances"].tolist() == [len(x.motif.instances) for x in members]
    assert set(merged["motif"]) == {"motif_1"} and np.isnan(merged["tomtom_p"][0])
    assert dropped["consensus"].tolist() == [d.motif.consensus for d in after.dropped]
    assert set(dropped["fragment_of"]) == {"motif_1"} and dropped["reason"].str.startswith("fragment of motif_1").all()
    report = (out / "report.html").read_text()
    assert "merged from:" in report and f"{len(after.dropped)} motif(s) dropped as fragments" in report
    assert all(x.motif.consensus in report for x in members)


def test_cli_switch_and_parameters(tmp_path):
    n = 3000
    data = planted_consensus(n)
    ids = [f"p{i}" for i in range(n)]
    write_fasta(tmp_path / "pos.fa", ids, data.pos[:n])
    write_fasta(tmp_path / "neg.fa", [f"n{i}" for i in range(n)], data.neg[:n])
    np.savez(tmp_path / "s.npz", ids=np.array(ids), lengths=np.full(n, 100), scores=np.concatenate(data.scores[:n]))
    args = ["motifs", "--positives", str(tmp_path / "pos.fa"), "--negatives", str(tmp_path / "neg.fa")]
    args += ["--scores", str(tmp_path / "s.npz"), "--no-match"]
    assert explorer.cli.main([*args, "--out", str(tmp_path / "a"), "--merge-pvalue", "1e-7", "--overlap-fraction", "0.8"]) == 0
    assert explorer.cli.main([*args, "--out", str(tmp_path / "b"), "--keep-redundant"]) == 0
    one = pd.read_csv(tmp_path / "a" / "motifs.tsv", sep="\t")
    every = pd.read_csv(tmp_path / "b" / "motifs.tsv", sep="\t")
    dropped = pd.read_csv(tmp_path / "a" / "dropped.tsv", sep="\t")
    assert len(one) == 1 and len(dropped) >= 1 and len(every) == len(one) + len(dropped)
    assert pd.read_csv(tmp_path / "b" / "dropped.tsv", sep="\t").empty
    report = (tmp_path / "a" / "report.html").read_text()
    assert "<th>merge_pvalue</th><td>1e-07</td>" in report and "<th>overlap_fraction</th><td>0.8</td>" in report


def test_regions_mode_is_untouched(issue):
    data, _, _ = issue
    n = 2000
    result = find_motifs(data.pos[:n], data.scores[:n], data.neg[:n], MotifParams(mode="regions"))
    off = find_motifs(data.pos[:n], data.scores[:n], data.neg[:n], MotifParams(mode="regions", remove_redundant=False))
    assert "redundancy" not in result.timings and result.dropped == []
    assert [m.consensus for m in result.motifs] == [m.consensus for m in off.motifs]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("merge_pvalue", 0.0, "merge_pvalue must be in (0.0, 1.0]"),
        ("overlap_fraction", 1.5, "overlap_fraction must be in (0.0, 1.0]"),
        ("variant_pvalue", 0.0, "variant_pvalue must be in (0.0, 1.0]"),
    ],
)
def test_invalid_parameters_are_named(field, value, message):
    with pytest.raises(InputError, match=re.escape(message)):
        MotifParams(**{field: value}).check()
