"""Coordinates (headers, BED + genome) and genome-browser exports, checked against hand-computed examples."""

import numpy as np
import pandas as pd
import pyBigWig
import pytest

from dnabert.genome.coordinates import (
    Interval,
    coordinates_from_ids,
    genome_positions,
    parse_region,
    read_bed,
    sequences_from_genome,
    to_genome,
)
from dnabert.errors import InputError
from dnabert.genome.tracks import bed6, chrom_sizes, per_base_table, window_mean, write_bed, write_bedgraph, write_bigwig
from dnabert.sequences import SequenceSet, reverse_complement


def test_parse_region_forms():
    assert parse_region("chr1:1000-2000") == Interval("chr1", 1000, 2000, ".")
    assert parse_region("chr1:1,000-2,000(-)") == Interval("chr1", 1000, 2000, "-")
    assert parse_region("peak7::chrX:5-10(+)") == Interval("chrX", 5, 10, "+")
    assert parse_region("seq1") is None
    assert parse_region("chr1:2000-1000") is None
    assert str(Interval("chr1", 5, 10, "-")) == "chr1:5-10(-)"


def test_coordinates_from_ids_bed_and_one_based_and_mismatch():
    data = SequenceSet(ids=["chr1:100-110(-)", "chr2:5-14", "plain"], seqs=["A" * 10, "C" * 10, "G" * 7])
    coords, notes = coordinates_from_ids(data)
    assert coords == [Interval("chr1", 100, 110, "-"), Interval("chr2", 4, 14, "."), None]
    assert "1-based" in notes[0]
    with pytest.raises(InputError, match=r"record 'chr1:0-50' \(record 1\) names a 50-bp region but its sequence is 10 bp"):
        coordinates_from_ids(SequenceSet(ids=["chr1:0-50"], seqs=["A" * 10]))


def test_positions_and_features_on_the_minus_strand():
    minus = Interval("chr1", 100, 110, "-")
    np.testing.assert_array_equal(genome_positions(minus, 10), np.arange(109, 99, -1))
    np.testing.assert_array_equal(genome_positions(Interval("chr1", 100, 110, "+"), 3), [100, 101, 102])
    np.testing.assert_array_equal(genome_positions(None, 3), [0, 1, 2])
    coords = [minus, Interval("chr2", 50, 60, "+"), None]
    # bases 2,3,4 of the minus sequence are genome bases 107,106,105 -> [105, 108), strand flipped
    chrom, s, e, strand = to_genome(coords, ["a", "b", "c"], [0, 1, 2, 0], [2, 2, 2, 0], [5, 5, 5, 10], ["+", "-", "+", "."])
    assert list(chrom) == ["chr1", "chr2", "c", "chr1"]
    assert list(s) == [105, 52, 2, 100] and list(e) == [108, 55, 5, 110]
    assert list(strand) == ["-", "-", "+", "."]


def test_window_mean_matches_a_direct_loop():
    rng = np.random.default_rng(0)
    starts = np.array([0, 3, 5, 20])
    ends = np.array([6, 9, 12, 25])
    values = rng.random(4)
    got = window_mean(30, starts, ends, values)
    for j in range(30):
        cover = [v for s, e, v in zip(starts, ends, values) if s <= j < e]
        if cover:
            assert got[j] == pytest.approx(np.mean(cover))
        else:
            assert np.isnan(got[j])


def test_per_base_table_averages_overlaps_and_merges_runs():
    coords = [Interval("chr1", 10, 14, "+"), Interval("chr1", 12, 16, "-"), None]
    tracks = [np.array([1.0, 1.0, 2.0, 4.0]), np.array([1.0, 2.0, 3.0, 4.0]), np.array([5.0, 5.0, np.nan])]
    table = per_base_table(coords, ["a", "b", "s3"], tracks)
    # chr1: 10,11 -> 1; 12 -> (2 + 4) / 2 = 3 (minus: base 3 of b is at 12); 13 -> (4 + 3) / 2; 14 -> 2; 15 -> 1
    expected = pd.DataFrame(
        {
            "chrom": ["chr1"] * 5 + ["s3"],
            "start": [10, 12, 13, 14, 15, 0],
            "end": [12, 13, 14, 15, 16, 2],
            "value": [1.0, 3.0, 3.5, 2.0, 1.0, 5.0],
        }
    )
    pd.testing.assert_frame_equal(table.reset_index(drop=True), expected, check_dtype=False)
    assert chrom_sizes(table, {"chr1": 1000}) == {"chr1": 1000, "s3": 2}


def test_bigwig_and_bedgraph_read_back(tmp_path):
    rng = np.random.default_rng(1)
    coords = [Interval("chr2", 1000, 1100, "-"), Interval("chr1", 5, 55, "+"), None]
    tracks = [rng.random(100).astype(np.float32), rng.random(50).astype(np.float32), rng.random(30).astype(np.float32)]
    ids = ["x", "y", "noco"]
    table = per_base_table(coords, ids, tracks)
    sizes = chrom_sizes(table, {"chr1": 5000, "chr2": 8000})
    write_bigwig(tmp_path / "a.bw", table, sizes)
    write_bedgraph(tmp_path / "a.bedGraph", table, "attention")
    bw = pyBigWig.open(str(tmp_path / "a.bw"))
    assert bw.chroms() == {"chr1": 5000, "chr2": 8000, "noco": 30}
    np.testing.assert_allclose(bw.values("chr2", 1000, 1100), tracks[0][::-1], rtol=1e-6)
    np.testing.assert_allclose(bw.values("chr1", 5, 55), tracks[1], rtol=1e-6)
    np.testing.assert_allclose(bw.values("noco", 0, 30), tracks[2], rtol=1e-6)
    assert np.isnan(bw.values("chr1", 4, 5)[0])
    bw.close()
    bg = pd.read_csv(tmp_path / "a.bedGraph", sep="\t", skiprows=1, header=None, names=["chrom", "start", "end", "value"])
    assert (bg["end"] > bg["start"]).all()
    chr1 = bg[bg["chrom"] == "chr1"]
    np.testing.assert_allclose(chr1["value"].to_numpy(), tracks[1], rtol=1e-5)
    assert list(chr1["start"]) == list(range(5, 55))


def test_bed6_scores_and_sorting(tmp_path):
    table = bed6(["chr2", "chr1", "chr1"], [10, 30, 5], [20, 40, 9], ["a", "b", "c"], [0.5, 2.0, 1.0], ["+", "-", "."])
    assert list(table["name"]) == ["c", "b", "a"]
    assert list(table["score"]) == [500, 1000, 250]
    write_bed(tmp_path / "f.bed", table, "motifs")
    back = pd.read_csv(tmp_path / "f.bed", sep="\t", skiprows=1, header=None)
    assert back.shape == (3, 6)
    assert back[4].between(0, 1000).all() and set(back[5]) <= {"+", "-", "."}


def test_sequences_from_genome_reads_regions_and_reverse_complements(tmp_path):
    rng = np.random.default_rng(2)
    chr1 = "".join(rng.choice(list("ACGT"), 300))
    chr2 = "".join(rng.choice(list("ACGT"), 100))
    (tmp_path / "ref.fa").write_text(f">chr1 first\n{chr1[:150]}\n{chr1[150:]}\n>chr2\n{chr2}\n")
    (tmp_path / "peaks.bed").write_text("track name=x\nchr1\t10\t40\tp1\t0\t+\nchr1\t100\t130\t.\t0\t-\nchr2\t0\t20\n")
    data, coords = sequences_from_genome(tmp_path / "peaks.bed", tmp_path / "ref.fa")
    assert data.ids == ["p1", "chr1:100-130(-)", "chr2:0-20"]
    assert data.seqs == [chr1[10:40], reverse_complement(chr1[100:130]), chr2[:20]]
    assert coords[1] == Interval("chr1", 100, 130, "-")
    # the ids written as headers parse back to the same coordinates
    again, _ = coordinates_from_ids(data)
    assert again[1:] == [Interval("chr1", 100, 130, "-"), Interval("chr2", 0, 20, ".")]


@pytest.mark.parametrize(
    "bed, message",
    [
        ("chr9\t0\t10\n", "on 'chr9', which"),
        ("chr2\t90\t120\n", "ends past the end of chr2 (100 bp)"),
        ("chr1\t10\n", "line 1: a BED line needs at least chrom, start, end"),
        ("chr1\tten\t20\n", "line 1: start 'ten'"),
        ("chr1\t20\t10\n", "need 0 <= start < end"),
        ("chr1\t0\t10\tn\t0\tx\n", "strand (column 6)"),
    ],
)
def test_bad_regions_are_named(tmp_path, bed, message):
    (tmp_path / "ref.fa").write_text(">chr1\n" + "A" * 100 + "\n>chr2\n" + "C" * 100 + "\n")
    (tmp_path / "r.bed").write_text(bed)
    with pytest.raises(InputError) as e:
        sequences_from_genome(tmp_path / "r.bed", tmp_path / "ref.fa")
    assert message in str(e.value)


def test_read_bed_empty_file(tmp_path):
    (tmp_path / "e.bed").write_text("# nothing\n")
    with pytest.raises(InputError, match="no region found"):
        read_bed(tmp_path / "e.bed")
