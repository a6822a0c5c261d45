"""Coordinates in the app (issue 16) and the motif run's instances.bed.

FASTA headers ``chrom:start-end(strand)`` give the Predict table, the Motifs page's instances (and its
instances.tsv / instances.bed / zip) and the Known-motifs sites the genome columns the command line writes.
Expected positions are direct arithmetic on the headers (a minus-strand region [A, B): sequence offsets
[s, e) lie at [B - e, B - s)); BED rows are checked against the bases of the genome / the sequences, and
BED scores against a relative PWM score recomputed here base by base.
"""

import io
import math
import zipfile

import numpy as np
import pandas as pd
import pytest

from support import app, paste
from motif_fixtures import make_planted
from streamlit.testing.v1 import AppTest

from dnabert_demo.synthetic import write_fasta
from dnabert.loading.checkpoint import DEMO_MODEL_DIR
from dnabert.genome.coordinates import GENOME_COLUMNS
from dnabert.genome.tracks import BED6_COLUMNS
from dnabert.sequences import read_sequences, reverse_complement
from explorer.cli import main
from motif.jaspar import jaspar_matrix
from motif.meme import format_meme

pytestmark = pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built")

SEQS = [
    "ACGTTGCAAGGCTTACGATCGATCGGGCGCCCCCTGGTGGCCAGCTAGCTAGCTTTACGAT",
    "TTGACCGGTACGTACGATCGATCGACTAGCTAGCAGCATCGACGACTGCATGCATGCAGT",
    "GGGCCCGGGTACGTAGCTAGCTAGCTAGCGATCGCGCGATATATCGCGCGCGATCGATCG",
    "ATATATCGCGCGCGATCGATCGACGTTGCAAGGCTTACGATCGATCGGGCGCCCCCTGGT",
]
HEADERS = ["chr1:1000-1061(+)", "chr2:5000-5060(-)", "chrX:7-67", "plain"]  # the last has no coordinates



def header_interval(header: str):
    """``chrom:A-B[(s)]`` -> (chrom, A, B, strand), by hand."""
    strand = header[-2] if header.endswith(")") else "."
    chrom, span = header.split("(")[0].split(":")
    start, end = span.split("-")
    return chrom, int(start), int(end), strand


def on_genome(header: str, s: int, e: int, strand: str):
    """Sequence offsets [s, e) on ``strand`` of the sequence with ``header`` -> genome (start, end, strand)."""
    _, a, b, region_strand = header_interval(header)
    if region_strand == "-":
        return b - e, b - s, {"+": "-", "-": "+"}.get(strand, strand)
    return a + s, a + e, strand


def read_bed6(data: bytes) -> pd.DataFrame:
    """A BED6 file (one track line) read with pandas, column types and ranges checked."""
    text = data.decode()
    assert text.startswith("track ")
    bed = pd.read_csv(io.StringIO(text), sep="\t", skiprows=1, header=None, names=BED6_COLUMNS, dtype={"chrom": str})
    assert bed.shape[1] == 6 and not bed.isna().any().any()
    assert bed["start"].dtype.kind == "i" and bed["end"].dtype.kind == "i" and bed["score"].dtype.kind == "i"
    assert ((bed["start"] >= 0) & (bed["start"] < bed["end"])).all()
    assert bed["score"].between(0, 1000).all() and set(bed["strand"]) <= {"+", "-"}
    return bed


def relative_score(site: str, ppm: np.ndarray, background: np.ndarray) -> float:
    """(s - min) / (max - min) of a site under log2(ppm / background), column by column."""
    score = low = high = 0.0
    for j, base in enumerate(site):
        column = [math.log2(ppm[b, j] / background[b]) for b in range(4)]
        score += column["ACGT".index(base)]
        low, high = low + min(column), high + max(column)
    return (score - low) / (high - low)


def check_instance_bed(bed: pd.DataFrame, result, placed: dict[str, tuple]) -> None:
    """Every instance of ``result`` is one BED row at ``placed[seq_id](start, end, strand)``, scored by its relative PWM score."""
    want = []
    for m in result.motifs:
        for row in m.instances.itertuples():
            chrom, start, end, strand = placed[row.seq_id](row.start, row.end, row.strand)
            want.append((chrom, start, end, m.id, round(1000 * relative_score(row.site, m.ppm, result.background)), strand))
    got = sorted(map(tuple, bed[BED6_COLUMNS].values.tolist()))
    want = sorted(want)
    assert len(got) == len(want) > 20
    assert [g[:4] + g[5:] for g in got] == [w[:4] + w[5:] for w in want]
    assert max(abs(g[4] - w[4]) for g, w in zip(got, want)) <= 1  # rounding of x.5


def test_predict_and_attention_pages_show_header_coordinates():
    at = paste(app().run(), "".join(f">{h}\n{s}\n" for h, s in zip(HEADERS, SEQS)))
    assert not at.exception and not at.error
    at.switch_page("../pages/predict.py").run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table.columns[-4:]) == GENOME_COLUMNS and table["id"].tolist() == HEADERS
    for row, header in zip(table.itertuples(), HEADERS):
        if header == "plain":
            assert pd.isna(row.chrom) and pd.isna(row.chrom_start) and pd.isna(row.chrom_end) and pd.isna(row.chrom_strand)
        else:
            assert (row.chrom, row.chrom_start, row.chrom_end, row.chrom_strand) == header_interval(header)
    at.switch_page("../pages/attention.py").run()  # its downloads carry the same columns
    assert not at.exception and not at.error


def test_data_page_refuses_a_header_region_of_the_wrong_length():
    at = paste(app().run(), f">chr1:100-150\n{SEQS[1]}\n")
    assert not at.exception
    assert any("names a 50-bp region but its sequence is 60 bp" in e.value for e in at.error)
    assert "positives" not in at.session_state


def example_on_genome() -> tuple[AppTest, str, list[str]]:
    """The example positives laid into a genome chrG, every other one on the minus strand, pasted with region headers.

    Returns the app (data loaded), chrG and the headers.
    """
    data = read_sequences(DEMO_MODEL_DIR / "example_positives.fa")
    chrom, headers = "", []
    for i, seq in enumerate(data.seqs):
        start = len(chrom) + 7
        strand = "-" if i % 2 else "+"
        chrom += "C" * 7 + (reverse_complement(seq) if strand == "-" else seq)
        headers.append(f"chrG:{start}-{start + len(seq)}({strand})")
    at = paste(app().run(), "".join(f">{h}\n{s}\n" for h, s in zip(headers, data.seqs)))
    assert not at.exception and not at.error
    return at, chrom, headers


def test_motifs_page_places_instances_on_the_genome():
    at, chrom, headers = example_on_genome()
    at.switch_page("../pages/motifs.py").run()
    at.selectbox(key="motif_database").set_value("none")
    at.button[0].click().run()
    assert not at.exception and not at.error
    _, runs, _, drawn = at.session_state["motif_result"]  # (key, run per evidence kind, agreement, files per kind)
    result, (files, zipped) = runs["attention"], drawn["attention"]
    shown = at.dataframe[-1].value  # the instances of the chosen motif
    assert list(shown.columns[-4:]) == GENOME_COLUMNS and len(shown) == len(result.motifs[0].instances)

    tsv = pd.read_csv(io.BytesIO(files["instances.tsv"]), sep="\t")
    assert list(tsv.columns[-4:]) == GENOME_COLUMNS and not tsv[GENOME_COLUMNS].isna().any().any()
    for row in tsv.itertuples():
        assert (row.chrom_start, row.chrom_end, row.chrom_strand) == on_genome(row.seq_id, row.start, row.end, row.strand)

    bed = read_bed6(files["instances.bed"])
    with zipfile.ZipFile(io.BytesIO(zipped)) as z:
        assert z.read("motifs/instances.bed") == files["instances.bed"]
    for row in bed.itertuples():  # the genome's bases, read on the row's strand, are a site of the motif
        piece = chrom[row.start : row.end]
        site = reverse_complement(piece) if row.strand == "-" else piece
        assert site in set(tsv.loc[tsv["motif"] == row.name, "site"])
    check_instance_bed(bed, result, {h: lambda s, e, st, h=h: ("chrG", *on_genome(h, s, e, st)) for h in headers})


def test_known_motifs_page_lists_sites_on_the_genome():
    """CTCF and YY1 (planted in the example data) as an uploaded MEME file; the sites of the top motif on chrG."""
    at, chrom, headers = example_on_genome()
    ids = ["MA0139.2", "MA0095.2"]
    meme = format_meme(ids, [jaspar_matrix(i, "JASPAR2024")[1] for i in ids], [20, 20], [1.0, 1.0], np.full(4, 0.25))
    at.switch_page("../pages/known_motifs.py").run()
    at.file_uploader(key="known_meme").upload("planted.meme", meme.encode())
    at.button[0].click().run()
    assert not at.exception and not at.error
    sites = at.dataframe[-1].value  # the sites of the motif chosen (the top one)
    assert list(sites.columns[-4:]) == GENOME_COLUMNS and len(sites) > 20
    seq_of = dict(zip(headers, read_sequences(DEMO_MODEL_DIR / "example_positives.fa").seqs))
    for row in sites.itertuples():
        assert row.chrom == "chrG"
        assert (row.chrom_start, row.chrom_end, row.chrom_strand) == on_genome(row.seq_id, row.start, row.end, row.strand)
        piece, genome_piece = seq_of[row.seq_id][row.start : row.end], chrom[row.chrom_start : row.chrom_end]
        on_strand = reverse_complement(piece) if row.strand == "-" else piece
        assert on_strand == (reverse_complement(genome_piece) if row.chrom_strand == "-" else genome_piece)


def test_motif_run_writes_instances_bed_with_and_without_coordinates(tmp_path):
    """``dnabert motifs`` on planted data: half the positives with region headers, half without."""
    data = make_planted(300, 300, motifs=("NRF1",), seed=5)
    chrom, ids = "", []
    for i, seq in enumerate(data.pos):
        if i % 2:
            ids.append(f"p{i}")
            continue
        start, strand = len(chrom) + 3, "-" if i % 4 else "+"
        chrom += "A" * 3 + (reverse_complement(seq) if strand == "-" else seq)
        ids.append(f"chrQ:{start}-{start + len(seq)}({strand})")
    write_fasta(tmp_path / "pos.fa", ids, data.pos)
    np.savez(tmp_path / "att.npz", ids=np.array(ids), lengths=[len(s) for s in data.pos], scores=np.concatenate(data.scores))
    out = tmp_path / "motifs"
    args = ["motifs", "--scores", str(tmp_path / "att.npz"), "--positives", str(tmp_path / "pos.fa"), "--no-match"]
    assert main([*args, "--logos", "none", "--out", str(out)]) == 0
    bed = read_bed6((out / "instances.bed").read_bytes())
    tsv = pd.read_csv(out / "instances.tsv", sep="\t")
    assert set(tsv["chrom"].dropna()) == {"chrQ"} and tsv["chrom"].isna().any()
    seq_of = dict(zip(ids, data.pos))
    for row in bed.itertuples():
        piece = chrom[row.start : row.end] if row.chrom == "chrQ" else seq_of[row.chrom][row.start : row.end]
        site = reverse_complement(piece) if row.strand == "-" else piece
        assert site in set(tsv.loc[tsv["motif"] == row.name, "site"])
    assert {"chrQ"} < set(bed["chrom"]) <= {"chrQ", *ids}
    # the same rows, placed by hand: located sequences on the genome, the others on their own offsets
    want = []
    for r in tsv.itertuples():
        start, end, strand = (
            on_genome(r.seq_id, r.start, r.end, r.strand) if r.seq_id.startswith("chrQ") else (r.start, r.end, r.strand)
        )
        want.append(("chrQ" if r.seq_id.startswith("chrQ") else r.seq_id, start, end, r.motif, strand))
    got = [(r.chrom, r.start, r.end, r.name, r.strand) for r in bed.itertuples()]
    assert sorted(got) == sorted(want) and len(got) > 50
