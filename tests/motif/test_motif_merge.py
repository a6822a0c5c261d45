"""Grouping candidates: the original greedy merge and the k-mer assembly."""

import numpy as np

from dnabert.sequences import reverse_complement
from motif.candidates import kmers_in_regions
from motif.encoding import encode, kmer_index, string_codes
from motif.merge import assemble, extend_seed, greedy_merge
from motif.regions import Regions

MOTIF = "GATTACAGGCTA"


def test_greedy_merge_shifts_longer_candidates_into_the_shorter_key():
    words = ["CCGTACGT", "GTACG", "TTTTTTT"]
    regions = Regions(seq=np.array([0, 1, 2, 3]), start=np.array([10, 3, 0, 20]), end=np.array([18, 8, 7, 28]))
    groups = greedy_merge(words, regions, np.array([0, 1, 2, 0]), min_len=5)
    assert [g.key for g in groups] == ["GTACG", "TTTTTTT"]
    gtacg = groups[0]
    # CCGTACGT contains GTACG at offset 2: its regions shrink to the key's frame
    assert sorted(zip(gtacg.seq.tolist(), gtacg.start.tolist(), gtacg.end.tolist())) == [(0, 12, 17), (1, 3, 8), (3, 22, 27)]
    assert (gtacg.strand == 1).all()


def test_greedy_merge_keeps_unalignable_candidates_apart():
    regions = Regions(seq=np.array([0, 1]), start=np.array([0, 0]), end=np.array([6, 6]))
    groups = greedy_merge(["AAAAAA", "CCCCCC"], regions, np.array([0, 1]), min_len=5)
    assert [g.key for g in groups] == ["AAAAAA", "CCCCCC"]


def planted_sites(n=60, seed=0, mutate_every=5):
    """n random 60-bp sequences with MOTIF on a random strand (every 5th with one mismatch); regions = site +- 2."""
    rng = np.random.default_rng(seed)
    seqs, starts, strands = [], [], []
    for i in range(n):
        s = list("".join(rng.choice(list("ACGT"), 60)))
        site = list(MOTIF)
        if i % mutate_every == 0:
            site[5] = "T"  # GATTATAGGCTA
        site = "".join(site)
        strand = 1 if rng.random() < 0.5 else -1
        at = int(rng.integers(10, 38))
        s[at : at + 12] = site if strand > 0 else reverse_complement(site)
        seqs.append("".join(s))
        starts.append(at)
        strands.append(strand)
    regions = Regions(seq=np.arange(n), start=np.array(starts) - 2, end=np.array(starts) + 14)
    return seqs, regions, np.array(starts), np.array(strands)


def test_assemble_joins_shifted_and_reverse_complement_fragments_into_one_motif():
    seqs, regions, starts, strands = planted_sites()
    pos = encode(seqs)
    fragments = ["GATTACAG", reverse_complement("TACAGGCT"), "CAGGCTA", "ATTAC", reverse_complement("GGCTA")]
    canonical = [min(f, reverse_complement(f)) for f in fragments]
    ks = np.array([len(f) for f in canonical])
    values = np.array([kmer_index(string_codes(f), len(f))[0] for f in canonical])
    labels = regions.labels(pos)
    occurrences = {k: kmers_in_regions(kmer_index(pos.codes, k, canonical=True), labels, k) for k in set(ks.tolist())}
    groups = assemble(pos, regions, occurrences, ks, values, canonical, background=np.full(4, 0.25))
    assert len(groups) == 1
    g = groups[0]
    assert sorted(g.seq.tolist()) == list(range(60))  # every site, the mismatched ones included
    order = np.argsort(g.seq)
    assert (g.end - g.start)[order].tolist() == [12] * 60  # the full motif, not a fragment
    assert g.start[order].tolist() == starts.tolist()
    relative = g.strand[order] * strands  # one orientation for all sites
    assert len(set(relative.tolist())) == 1


def test_extend_seed_follows_the_most_significant_longer_kmer():
    words = ["ACGTA", "TTACGTA", "CACGTA", "GACGTA", "ACGTAC"]  # significance order
    ks = np.array([len(w) for w in words])
    alive = np.ones(5, dtype=bool)
    # ACGTA -> CACGTA (first 6-mer containing it) -> TTACGTA? no: it does not contain CACGTA
    assert extend_seed(0, alive, ks, words, both_strands=False) == 2
    assert alive.tolist() == [False, True, False, True, True]
    alive = np.ones(5, dtype=bool)
    assert words[extend_seed(0, alive, ks, ["ACGTA", "TTACGTA", "TACGTA", "GACGTA", "ACGTAC"], both_strands=False)] == "TTACGTA"
