"""``regions``, ``tracks`` and ``known-motifs`` end to end: files read back with pyBigWig / pandas and compared with the arrays."""

import numpy as np
import pandas as pd
import pyBigWig
import pytest

from dnabert.analysis.attribution import attribution_track
from dnabert.loading.checkpoint import DEMO_MODEL_DIR, load_model
from explorer.cli import main
from dnabert.analysis.inference import predict
from dnabert.sequences import read_sequences, reverse_complement

BED_COLUMNS = ["chrom", "start", "end", "name", "score", "strand"]


def read_bed(path):
    table = pd.read_csv(path, sep="\t", skiprows=1, header=None, names=BED_COLUMNS)
    assert (table["start"] >= 0).all() and (table["end"] > table["start"]).all()
    assert table["score"].between(0, 1000).all() and set(table["strand"]) <= {"+", "-", "."}
    return table


@pytest.fixture()
def genome(tmp_path):
    rng = np.random.default_rng(7)
    chroms = {"chr1": "".join(rng.choice(list("ACGT"), 400)), "chr2": "".join(rng.choice(list("ACGT"), 200))}
    (tmp_path / "ref.fa").write_text("".join(f">{c}\n{s}\n" for c, s in chroms.items()))
    (tmp_path / "peaks.bed").write_text("chr1\t20\t90\tp1\t0\t+\nchr1\t200\t260\tp2\t0\t-\nchr2\t10\t70\n")
    return tmp_path, chroms


def test_regions_then_tracks_put_attention_on_the_genome(tiny_model_dir, genome):
    tmp, chroms = genome
    fa = tmp / "peaks.fa"
    assert main(["regions", "--regions", str(tmp / "peaks.bed"), "--genome", str(tmp / "ref.fa"), "--out", str(fa)]) == 0
    data = read_sequences(fa)
    assert data.ids == ["p1::chr1:20-90(+)", "p2::chr1:200-260(-)", "chr2:10-70"]
    assert data.seqs[1] == reverse_complement(chroms["chr1"][200:260])
    out = tmp / "tracks"
    assert (
        main(["tracks", "--model", str(tiny_model_dir), "--input", str(fa), "--genome", str(tmp / "ref.fa"), "--out", str(out)])
        == 0
    )
    scores = predict(load_model(tiny_model_dir), data.seqs).scores
    bw = pyBigWig.open(str(out / "attention.bw"))
    assert bw.chroms() == {"chr1": 400, "chr2": 200}
    np.testing.assert_allclose(bw.values("chr1", 20, 90), scores[0], rtol=1e-5)
    np.testing.assert_allclose(bw.values("chr1", 200, 260), scores[1][::-1], rtol=1e-5)  # minus strand: reversed
    np.testing.assert_allclose(bw.values("chr2", 10, 70), scores[2], rtol=1e-5)
    assert np.isnan(bw.values("chr1", 90, 91)[0])
    bw.close()
    bg = pd.read_csv(out / "attention.bedGraph", sep="\t", skiprows=1, header=None, names=["chrom", "start", "end", "value"])
    assert bg["end"].sub(bg["start"]).sum() == 70 + 60 + 60
    regions = read_bed(out / "high_attention.bed")
    assert len(regions) > 0
    for r in regions.itertuples():  # every region lies inside a peak
        assert any(
            r.chrom == c and s <= r.start and r.end <= e for c, s, e in [("chr1", 20, 90), ("chr1", 200, 260), ("chr2", 10, 70)]
        )
    # the same tracks straight from --regions --genome
    out2 = tmp / "tracks2"
    args = ["tracks", "--model", str(tiny_model_dir), "--regions", str(tmp / "peaks.bed"), "--genome", str(tmp / "ref.fa")]
    assert main([*args, "--out", str(out2)]) == 0
    assert (out / "attention.bedGraph").read_text() == (out2 / "attention.bedGraph").read_text()


def test_scan_and_instances_tracks_without_coordinates(tiny_model_dir, tmp_path):
    rng = np.random.default_rng(3)
    seqs = {"long1": "".join(rng.choice(list("ACGT"), 130)), "long2": "".join(rng.choice(list("ACGT"), 90))}
    fa = tmp_path / "long.fa"
    fa.write_text("".join(f">{i}\n{s}\n" for i, s in seqs.items()))
    scan = tmp_path / "scan.tsv"
    model = ["--model", str(tiny_model_dir)]
    assert main(["scan", *model, "--input", str(fa), "--window", "40", "--stride", "25", "--out", str(scan)]) == 0
    instances = tmp_path / "instances.tsv"
    pd.DataFrame(
        {"motif": ["motif_1", "motif_2"], "seq_id": ["long1", "long2"], "start": [10, 50], "end": [22, 58], "strand": ["-", "+"]}
    ).to_csv(instances, sep="\t", index=False)
    out = tmp_path / "t"
    args = ["--input", str(fa), "--scan", str(scan), "--instances", str(instances), "--attribution", "gradient_x_input"]
    assert main(["tracks", *model, *args, "--out", str(out)]) == 0
    windows = pd.read_csv(scan, sep="\t")
    bw = pyBigWig.open(str(out / "scan_class1.bw"))
    assert bw.chroms() == {"long1": 130, "long2": 90}
    for rid, s in seqs.items():
        w = windows[windows["id"] == rid]
        direct = [w[(w["start"] <= j) & (j < w["end"])]["p_class1"].mean() for j in range(len(s))]
        np.testing.assert_allclose(bw.values(rid, 0, len(s)), direct, rtol=1e-5)
    bw.close()
    bed = read_bed(out / "motif_instances.bed")
    assert list(zip(bed["chrom"], bed["start"], bed["end"], bed["name"], bed["strand"])) == [
        ("long1", 10, 22, "motif_1", "-"),
        ("long2", 50, 58, "motif_2", "+"),
    ]
    scores = predict(load_model(tiny_model_dir), list(seqs.values())).scores
    means = np.array([scores[0][10:22].mean(), scores[1][50:58].mean()])
    np.testing.assert_array_equal(bed["score"], np.rint(1000 * means / means.max()).astype(int))
    assert (out / "chrom.sizes").read_text() == "long1\t130\nlong2\t90\n"
    bw = pyBigWig.open(str(out / "attribution.bw"))
    for rid, s in seqs.items():
        expected = attribution_track(load_model(tiny_model_dir), s, "gradient_x_input").track
        np.testing.assert_allclose(bw.values(rid, 0, len(s)), expected, rtol=1e-4, atol=1e-7)
    bw.close()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--regions", "peaks.bed", "--model", "demo"], "--regions needs --genome"),
        (["--input", "peaks.fa", "--scan", "missing.tsv", "--model", "demo"], "missing.tsv"),
        (["--input", "peaks.fa", "--instances", "peaks.bed", "--scan", "x"], "--instances needs attention"),
        (["--input", "peaks.fa"], "nothing to write"),
    ],
)
def test_tracks_bad_arguments(genome, capsys, extra, message, monkeypatch):
    tmp, _ = genome
    monkeypatch.chdir(tmp)
    main(["regions", "--regions", "peaks.bed", "--genome", "ref.fa", "--out", "peaks.fa"])
    if "--scan" in extra and "x" not in extra:
        extra = [*extra, "--model", "demo"]
    code = main(["tracks", *extra, "--out", "t"])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp / "t").exists()


def test_tracks_refuses_a_foreign_folder(tmp_path, capsys):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.docx").write_text("x")
    (tmp_path / "s.fa").write_text(">a\nACGTACGTACGT\n")
    assert main(["tracks", "--input", str(tmp_path / "s.fa"), "--model", "demo", "--out", str(tmp_path / "mine")]) == 2
    assert "already holds other files" in capsys.readouterr().err
    assert (tmp_path / "mine" / "thesis.docx").read_text() == "x"


@pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built")
def test_known_motifs_on_the_example_data_ranks_the_planted_motifs_first(tmp_path):
    out = tmp_path / "known"
    pos, neg = DEMO_MODEL_DIR / "example_positives.fa", DEMO_MODEL_DIR / "example_negatives.fa"
    assert main(["known-motifs", "--model", "demo", "--positives", str(pos), "--negatives", str(neg), "--out", str(out)]) == 0
    table = pd.read_csv(out / "known_motifs.tsv", sep="\t")
    top_enriched = set(table.nsmallest(3, "rank_enrichment")["name"].str.upper())
    top_attended = set(table.nsmallest(3, "rank_attention")["name"].str.upper())
    assert {"CTCF", "YY1"} <= top_enriched and {"CTCF", "YY1"} <= top_attended
    sites = pd.read_csv(out / "known_sites.tsv", sep="\t")
    bed = read_bed(out / "known_sites.bed")
    assert len(bed) == (sites["set"] == "pos").sum()
    assert set(bed["chrom"]) <= set(read_sequences(pos).ids)
    assert (out / "known_motifs.html").stat().st_size > 100_000
