"""Coordinates through every result (issue 16): ``--regions`` / ``--genome`` on every command reading sequences,
genome columns in the tables of ``predict``, ``attention``, ``scan``, ``embed``, ``compare`` and ``motifs``, and
``attention --compare``.

Expected coordinates are computed here by direct arithmetic on the BED lines (a minus-strand region [A, B):
sequence offsets [s, e) lie at genome [B - e, B - s)), and checked against the genome's bases; correlations
against scipy.
"""

import numpy as np
import pandas as pd
import pyBigWig
import pytest
from support import make_tiny_model, random_seqs
from motif_fixtures import make_planted
from scipy.stats import pearsonr, spearmanr

from dnabert.loading.checkpoint import load_model
from dnabert.genome.coordinates import GENOME_COLUMNS, MAX_POSITION
from dnabert.analysis.inference import predict
from dnabert.outputs import load_attention_npz
from dnabert.sequences import reverse_complement
from explorer.cli import main

BED = [("chr1", 20, 90, "p1", "+"), ("chr1", 200, 260, "p2", "-"), ("chr2", 10, 70, "p3", ".")]


@pytest.fixture()
def genome(tmp_path):
    rng = np.random.default_rng(11)
    chroms = {"chr1": "".join(rng.choice(list("ACGT"), 400)), "chr2": "".join(rng.choice(list("ACGT"), 200))}
    (tmp_path / "ref.fa").write_text("".join(f">{c}\n{s}\n" for c, s in chroms.items()))
    (tmp_path / "peaks.bed").write_text("".join(f"{c}\t{s}\t{e}\t{n}\t0\t{st}\n" for c, s, e, n, st in BED))
    seqs = [chroms[c][s:e] if st != "-" else reverse_complement(chroms[c][s:e]) for c, s, e, _, st in BED]
    return tmp_path, chroms, seqs


def located(tmp):
    return ["--regions", str(tmp / "peaks.bed"), "--genome", str(tmp / "ref.fa")]


def genome_interval(region, s, e):
    """Sequence offsets [s, e) of a BED region -> genome [start, end), by direct arithmetic."""
    _, a, b, _, strand = region
    return (b - e, b - s) if strand == "-" else (a + s, a + e)


def check_bed_columns(table, insertions=False):
    """The genome columns of a result table: BED-style types and ranges (rows without coordinates are empty).

    ``insertions``: an insertion is the empty interval at its insertion point (end == start).
    """
    assert list(table.columns[-4:]) == GENOME_COLUMNS
    rows = table.dropna(subset=["chrom"])
    span = rows["chrom_end"] - rows["chrom_start"]
    assert (rows["chrom_start"] >= 0).all() and ((span >= 0) if insertions else (span > 0)).all()
    assert set(rows["chrom_strand"]) <= {"+", "-", "."}
    return rows


def test_predict_and_attention_from_regions(tiny_model_dir, genome):
    tmp, chroms, seqs = genome
    model = ["--model", str(tiny_model_dir)]
    assert main(["predict", *model, *located(tmp), "--out", str(tmp / "p.tsv")]) == 0
    table = pd.read_csv(tmp / "p.tsv", sep="\t")
    check_bed_columns(table)
    assert table["id"].tolist() == ["p1", "p2", "p3"]
    assert table[GENOME_COLUMNS].values.tolist() == [[c, s, e, st] for c, s, e, _, st in BED]
    np.testing.assert_allclose(table["p_class1"], predict(load_model(tiny_model_dir), seqs).probs[:, 1], rtol=1e-5)

    out, tsv = tmp / "a.npz", tmp / "a.tsv"
    assert main(["attention", *model, *located(tmp), "--out", str(out), "--tsv", str(tsv)]) == 0
    ids, tracks = load_attention_npz(out)
    scores = predict(load_model(tiny_model_dir), seqs).scores
    for got, want in zip(tracks, scores):
        np.testing.assert_allclose(got, want, rtol=1e-5)
    with np.load(out) as z:
        assert z["chrom"].tolist() == ["chr1", "chr1", "chr2"] and z["chrom_strand"].tolist() == ["+", "-", "."]
        assert z["chrom_start"].tolist() == [20, 200, 10] and z["chrom_end"].tolist() == [90, 260, 70]
    long = check_bed_columns(pd.read_csv(tsv, sep="\t"))
    assert len(long) == sum(len(s) for s in seqs)
    for i, region in enumerate(BED):
        part = long[long["id"] == ids[i]]
        expected = [genome_interval(region, p, p + 1) for p in part["position"]]
        assert list(zip(part["chrom_start"], part["chrom_end"])) == expected
        genome_bases = [chroms[region[0]][s] for s, _ in expected]
        if region[4] == "-":  # the sequence reads the other strand
            genome_bases = [reverse_complement(b) for b in genome_bases]
        assert "".join(genome_bases) == "".join(part["base"])
        assert (part["chrom_strand"] == region[4]).all()


def test_scan_windows_on_the_genome(tiny_model_dir, genome):
    tmp, chroms, seqs = genome
    out = tmp / "scan.tsv"
    args = ["scan", "--model", str(tiny_model_dir), *located(tmp), "--window", "30", "--stride", "20", "--out", str(out)]
    assert main(args) == 0
    table = check_bed_columns(pd.read_csv(out, sep="\t"))
    assert len(table) == len(pd.read_csv(out, sep="\t"))  # every window located
    for row in table.itertuples():
        region = BED[["p1", "p2", "p3"].index(row.id)]
        assert (row.chrom_start, row.chrom_end) == genome_interval(region, row.start, row.end)
        piece = chroms[row.chrom][row.chrom_start : row.chrom_end]
        want = seqs[["p1", "p2", "p3"].index(row.id)][row.start : row.end]
        assert (reverse_complement(piece) if region[4] == "-" else piece) == want


def test_mutate_saturation_and_variant_list_on_the_genome(tiny_model_dir, genome):
    tmp, chroms, seqs = genome
    out = tmp / "sat.tsv"
    assert main(["mutate", "--model", str(tiny_model_dir), *located(tmp), "--out", str(out)]) == 0
    table = check_bed_columns(pd.read_csv(out, sep="\t"))
    assert len(table) == 3 * sum(len(s) for s in seqs)
    for row in table.itertuples():
        region = BED[["p1", "p2", "p3"].index(row.id)]
        assert (row.chrom, row.chrom_start, row.chrom_end) == (region[0], *genome_interval(region, row.position, row.position + 1))
        base = chroms[row.chrom][row.chrom_start]
        assert (reverse_complement(base) if row.chrom_strand == "-" else base) == row.ref != row.alt
    variants = tmp / "variants.tsv"
    variants.write_text("id\tstart\tend\talt\np2\t5\t8\tA\np2\t10\t10\tGG\np1\t3\t4\t-\n")
    assert main(["mutate", "--model", str(tiny_model_dir), *located(tmp), "--variants", str(variants), "--out", str(out)]) == 0
    table = check_bed_columns(pd.read_csv(out, sep="\t"), insertions=True).set_index(["id", "position"])
    assert table.loc[("p2", 5), ["chrom_start", "chrom_end", "chrom_strand"]].tolist() == [260 - 8, 260 - 5, "-"]
    assert table.loc[("p1", 3), ["chrom_start", "chrom_end", "chrom_strand"]].tolist() == [23, 24, "+"]
    # an insertion before sequence offset 10 of the minus-strand p2 [200, 260): the empty interval at 250
    assert table.loc[("p2", 10), ["chrom_start", "chrom_end"]].tolist() == [250, 250]


def test_headers_with_and_without_coordinates(tiny_model_dir, tmp_path):
    seqs = random_seqs(3, 40, 40, seed=4)
    fa = tmp_path / "mixed.fa"
    fa.write_text(f">chr3:1000-1040(-)\n{seqs[0]}\n>plain\n{seqs[1]}\n>peak::chr4:7-47\n{seqs[2]}\n")
    model = ["--model", str(tiny_model_dir)]
    assert main(["predict", *model, "--input", str(fa), "--out", str(tmp_path / "p.tsv")]) == 0
    table = pd.read_csv(tmp_path / "p.tsv", sep="\t")
    check_bed_columns(table)
    assert table.loc[1, GENOME_COLUMNS].isna().all()  # no coordinates: empty cells
    assert table.loc[0, GENOME_COLUMNS].tolist() == ["chr3", 1000, 1040, "-"]
    assert table.loc[2, GENOME_COLUMNS].tolist() == ["chr4", 7, 47, "."]
    # no sequence with coordinates: no genome columns at all, the table as before
    plain = tmp_path / "plain.fa"
    plain.write_text(f">a\n{seqs[0]}\n>b\n{seqs[1]}\n")
    assert main(["predict", *model, "--input", str(plain), "--out", str(tmp_path / "q.tsv")]) == 0
    assert pd.read_csv(tmp_path / "q.tsv", sep="\t").columns.tolist() == ["id", "length", "p_class0", "p_class1", "predicted"]
    assert main(["attention", *model, "--input", str(plain), "--out", str(tmp_path / "q.npz")]) == 0
    with np.load(tmp_path / "q.npz") as z:
        assert "chrom" not in z.files
    # embed keeps them too
    assert main(["embed", *model, "--input", str(fa), "--out", str(tmp_path / "e.tsv")]) == 0
    emb = pd.read_csv(tmp_path / "e.tsv", sep="\t")
    pd.testing.assert_frame_equal(emb[GENOME_COLUMNS], table[GENOME_COLUMNS])


def test_attention_compare_writes_both_tracks_and_their_correlation(tiny_model_dir, genome):
    tmp, _, seqs = genome
    other = make_tiny_model(tmp / "k4", k=4, seed=9)  # another k: per-nucleotide tracks still pair up
    out = tmp / "cmp.npz"
    args = ["attention", "--model", str(tiny_model_dir), "--compare", str(other), *located(tmp)]
    assert main([*args, "--out", str(out), "--tsv", str(tmp / "cmp.tsv")]) == 0
    _, a = load_attention_npz(tmp / "cmp_A.npz")
    ids, b = load_attention_npz(tmp / "cmp_B.npz")
    want_a, want_b = predict(load_model(tiny_model_dir), seqs), predict(load_model(other), seqs)
    for got, want in [*zip(a, want_a.scores), *zip(b, want_b.scores)]:
        np.testing.assert_allclose(got, want, rtol=1e-5)
    table = check_bed_columns(pd.read_csv(tmp / "cmp_correlation.tsv", sep="\t"))
    assert table["id"].tolist() == ids == ["p1", "p2", "p3"]
    assert table[GENOME_COLUMNS].values.tolist() == [[c, s, e, st] for c, s, e, _, st in BED]
    np.testing.assert_allclose(table["pearson"], [pearsonr(x, y).statistic for x, y in zip(a, b)], rtol=1e-4)
    np.testing.assert_allclose(table["spearman"], [spearmanr(x, y).statistic for x, y in zip(a, b)], rtol=1e-4)
    np.testing.assert_allclose(table["B_p_class1"], want_b.probs[:, 1], rtol=1e-5)
    long = check_bed_columns(pd.read_csv(tmp / "cmp.tsv", sep="\t"))
    np.testing.assert_allclose(long["score_A"], np.concatenate(a), rtol=1e-5)
    np.testing.assert_allclose(long["score_B"], np.concatenate(b), rtol=1e-5)
    # the compare command runs the same comparison
    assert main(["compare", "--model", str(tiny_model_dir), "--compare", str(other), *located(tmp), "--out", str(tmp / "c.tsv")]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp / "c.tsv", sep="\t"), pd.read_csv(tmp / "cmp_correlation.tsv", sep="\t"))


def test_motif_instances_on_the_genome(tmp_path):
    """Planted positives laid into a genome (every other one reverse-complemented), read back with --regions."""
    data = make_planted(120, 120, motifs=("NRF1",), seed=3)
    chrom, regions = "", {}
    for i, seq in enumerate(data.pos):
        strand = "-" if i % 2 else "+"
        start = len(chrom) + 5
        chrom += "A" * 5 + (reverse_complement(seq) if strand == "-" else seq)
        regions[f"pos{i}"] = ("chrG", start, start + len(seq), f"pos{i}", strand)
    names = list(regions)
    (tmp_path / "g.fa").write_text(f">chrG\n{chrom}\n")
    (tmp_path / "pos.bed").write_text("".join(f"{c}\t{a}\t{b}\t{n}\t0\t{st}\n" for c, a, b, n, st in regions.values()))
    np.savez(tmp_path / "att.npz", ids=np.array(names), lengths=[len(s) for s in data.pos], scores=np.concatenate(data.scores))
    out = tmp_path / "motifs"
    args = ["motifs", "--scores", str(tmp_path / "att.npz"), "--regions", str(tmp_path / "pos.bed"), "--genome"]
    assert main([*args, str(tmp_path / "g.fa"), "--no-match", "--logos", "none", "--out", str(out)]) == 0
    inst = check_bed_columns(pd.read_csv(out / "instances.tsv", sep="\t"))
    assert len(inst) > 50 and len(inst) == len(pd.read_csv(out / "instances.tsv", sep="\t"))
    for row in inst.itertuples():
        region_strand = regions[row.seq_id][4]
        assert (row.chrom_start, row.chrom_end) == genome_interval(regions[row.seq_id], row.start, row.end)
        flipped = {"+": "-", "-": "+"}[row.strand] if region_strand == "-" else row.strand
        assert row.chrom_strand == flipped
        piece = chrom[row.chrom_start : row.chrom_end]
        assert (reverse_complement(piece) if row.chrom_strand == "-" else piece) == row.site  # the site on its strand


@pytest.mark.parametrize(
    "bed, extra, message",
    [
        ("chr1\t350\t450\n", [], "ends past the end of chr1 (400 bp)"),
        ("chrX\t0\t50\n", [], "on 'chrX', which"),
        ("chr1\t50\t20\n", [], "line 1: need 0 <= start < end"),
        ("chr1\t10\t60\n", ["--input", "x.fa"], "--regions needs --genome"),
        (None, ["--input", "PLAIN"], "--genome is read only with --regions"),
    ],
)
@pytest.mark.parametrize("command", ["predict", "attention", "scan", "embed", "mutate"])
def test_bad_regions_are_one_error_line(tiny_model_dir, genome, capsys, command, bed, extra, message):
    tmp, _, seqs = genome
    (tmp / "plain.fa").write_text(f">s\n{seqs[0]}\n")
    extra = [str(tmp / "plain.fa") if a == "PLAIN" else a for a in extra]
    if bed is not None:
        (tmp / "bad.bed").write_text(bed)
        extra = ["--regions", str(tmp / "bad.bed"), *extra]
    args = [command, "--model", str(tiny_model_dir), *extra, "--genome", str(tmp / "ref.fa"), "--out", str(tmp / "o")]
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in err, err
    assert not (tmp / "o").exists()


def test_no_sequences_and_compare_with_ray(tiny_model_dir, genome, capsys):
    tmp, _, _ = genome
    capsys.readouterr()
    assert main(["predict", "--model", str(tiny_model_dir), "--out", str(tmp / "o.tsv")]) == 2
    assert capsys.readouterr().err.strip().endswith("\nerror: give the sequences: a FASTA file, or --regions with --genome")
    args = ["attention", "--model", str(tiny_model_dir), "--compare", "demo", *located(tmp), "--engine", "ray"]
    assert main([*args, "--out", str(tmp / "o.npz")]) == 2
    assert capsys.readouterr().err.strip() == "error: --compare works with the local engine only; drop --engine ray"


@pytest.mark.parametrize("start", [2**63, 2**63 - 10, 2**40, MAX_POSITION - 39])
def test_header_coordinates_past_the_bigwig_limit_are_one_error_line(tiny_model_dir, tmp_path, capsys, start):
    """Issue 26: a header at 2^63 gave OverflowError, one at 2^40 a bigWig RuntimeError; both are refused up front
    (the largest coordinate bigWig holds is 2^32 - 1: a region ending exactly there is written)."""
    seq = random_seqs(1, 40, 40, seed=8)[0]
    fa = tmp_path / "far.fa"
    fa.write_text(f">chr1:{start}-{start + 40}\n{seq}\n")
    capsys.readouterr()
    code = main(["tracks", "--model", str(tiny_model_dir), "--input", str(fa), "--out", str(tmp_path / "t")])
    err = capsys.readouterr().err
    if start + 40 <= MAX_POSITION:
        assert code == 0, err
        with pyBigWig.open(str(tmp_path / "t" / "attention.bw")) as bw:
            assert bw.chroms("chr1") == start + 40
            assert np.isfinite(bw.values("chr1", start, start + 40)).all()
        return
    assert code == 2 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1] == (
        f"error: {fa}: record 'chr1:{start}-{start + 40}' (record 1) names a region ending at {start + 40:,}, past the "
        "largest coordinate genome-browser files hold (4,294,967,295, bigWig's 32-bit positions); fix the header or "
        "remove the coordinates."
    )
    assert not (tmp_path / "t").exists()


def test_bed_end_past_the_bigwig_limit_is_refused(genome, capsys):
    tmp, _, _ = genome
    (tmp / "far.bed").write_text(f"chr1\t10\t{2**64}\n")
    capsys.readouterr()
    assert main(["regions", "--regions", str(tmp / "far.bed"), "--genome", str(tmp / "ref.fa"), "--out", str(tmp / "o.fa")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"line 1: end {2**64:,} is past the largest coordinate" in err, err
