"""VCF + reference FASTA: strict reading, windows, REF checks, streaming chunks, the CLI."""

import gzip

import pandas as pd
import pytest
from support import random_seqs

from dnabert.analysis.variants import Edit, apply_edit
from dnabert.genome.vcf import VcfError, open_genome, read_vcf, reference_window, vcf_chunks
from explorer.cli import main

HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
CHR1, CHR2 = random_seqs(2, 300, 300, seed=11)
CHR1 = CHR1[:9] + "A" + CHR1[10:99] + "A" + CHR1[100:]  # known bases at POS 10 and 100
WIDTH = 60


@pytest.fixture()
def genome(tmp_path):
    path = tmp_path / "ref.fa"
    lines = [CHR1[i : i + 70] for i in range(0, len(CHR1), 70)]
    path.write_text(">chr1 test contig\n" + "\n".join(lines).lower() + f"\n>chr2\n{CHR2[:50]}\n")
    return path


def write_vcf(tmp_path, *records, name="calls.vcf"):
    path = tmp_path / name
    path.write_text(HEADER + "".join("\t".join(map(str, r)) + "\t.\t.\t.\n" for r in records))
    return path


def alt_of(base):
    return "A" if base != "A" else "C"


def test_multi_allelic_records_and_window_sequences(tmp_path, genome):
    snv, dele, ins = 150, 100, 200  # 0-based positions
    vcf = write_vcf(
        tmp_path,
        ("chr1", snv + 1, "rs1", CHR1[snv], f"{alt_of(CHR1[snv])},{alt_of(alt_of(CHR1[snv]))}"),
        ("chr1", dele + 1, ".", CHR1[dele : dele + 4].lower(), CHR1[dele]),
        ("chr1", ins + 1, ".", CHR1[ins], CHR1[ins] + "GGT"),
    )
    (chunk,) = vcf_chunks(vcf, genome, WIDTH)
    assert chunk.ids == ["rs1", "rs1", f"chr1:{dele + 1}", f"chr1:{ins + 1}"] and chunk.positions == [snv, snv, dele, ins]
    assert chunk.refs[2] == CHR1[dele : dele + 4] and chunk.alts[1] == alt_of(alt_of(CHR1[snv])) and chunk.padded == []
    windows = [apply_edit(chunk.contexts[e.seq], e)[:WIDTH] for e in chunk.edits]
    assert [chunk.contexts[e.seq][:WIDTH] for e in chunk.edits][0] == CHR1[snv - 29 : snv + 31]  # SNV in the middle
    assert windows[0] == CHR1[snv - 29 : snv] + alt_of(CHR1[snv]) + CHR1[snv + 1 : snv + 31]
    a = dele - 28  # REF of 4 bp centred: 28 bases on its left
    assert chunk.contexts[1][:WIDTH] == CHR1[a : a + WIDTH]
    assert windows[2] == CHR1[a : dele + 1] + CHR1[dele + 4 : a + WIDTH + 3]  # deletion pulls in 3 more bases
    assert windows[3] == (CHR1[ins - 29 : ins + 1] + "GGT" + CHR1[ins + 1 :])[:WIDTH]  # insertion cut on the right
    assert all(len(w) == WIDTH for w in windows)


def test_gzipped_vcf_and_streamed_chunks(tmp_path, genome):
    body = HEADER + "".join(f"chr1\t{p}\t.\t{CHR1[p - 1]}\t{alt_of(CHR1[p - 1])}\t.\t.\t.\n" for p in (40, 80, 120, 160, 200))
    path = tmp_path / "calls.vcf.gz"
    path.write_bytes(gzip.compress(body.encode()))
    chunks = list(vcf_chunks(path, genome, WIDTH, chunk=2))
    assert [len(c.edits) for c in chunks] == [2, 2, 1] and chunks[2].positions == [199]
    assert chunks[1].edits[0] == Edit(0, 29, 30, alt_of(CHR1[119]))  # window indices restart per chunk


def test_variant_near_contig_end_is_padded_with_n(tmp_path, genome):
    vcf = write_vcf(tmp_path, ("chr2", 3, ".", CHR2[2], alt_of(CHR2[2])))
    (chunk,) = vcf_chunks(vcf, genome, WIDTH)
    window, padded = reference_window(open_genome(genome), "chr2", 2, 3, WIDTH)
    assert padded and chunk.padded == ["chr2:3"]
    assert chunk.contexts[0] == window == "N" * 27 + CHR2[:33]
    assert reference_window(open_genome(genome), "chr2", 47, 48, WIDTH) == (CHR2[18:50] + "N" * 28, True)


@pytest.mark.parametrize(
    "record, message",
    [
        ("chr1\t10\t.\tG\tT\t.\t.\t.", "line 3: REF 'G' at chr1:10 does not match .* which has"),
        ("chrX\t10\t.\tA\tT\t.\t.\t.", "line 3: contig 'chrX' is not in .*chr1, chr2"),
        ("chr1\tten\t.\tA\tT\t.\t.\t.", "line 3: POS 'ten' is not a positive integer"),
        ("chr1\t10\t.\tA\tT", "line 3: 5 tab-separated field"),
        ("chr1\t10\t.\tA\t<DEL>\t.\t.\t.", "line 3: ALT '<DEL>' is a symbolic allele"),
        ("chr1\t10\t.\tA\tT,*\t.\t.\t.", "line 3: ALT '\\*' is a symbolic allele"),
        ("chr1\t10\t.\tA\tR\t.\t.\t.", "line 3: ALT 'R' has letters other than"),
        ("chr1\t10\t.\tA\t.\t.\t.\t.", "line 3: ALT is '.'"),
        ("chr2\t49\t.\tAAAAA\tA\t.\t.\t.", "line 3: REF at chr2:49 runs past the end"),
        ("chr1\t100\t.\tA\t" + "C" * 31 + "\t.\t.\t.", "line 3: an allele of 31 bp is longer than half"),
    ],
)
def test_bad_records_are_reported_with_line_number(tmp_path, genome, record, message):
    path = tmp_path / "bad.vcf"
    path.write_text(HEADER + record + "\n")
    with pytest.raises(VcfError, match=message):
        list(vcf_chunks(path, genome, WIDTH))


@pytest.mark.parametrize(
    "text, message",
    [
        (HEADER, "has no variant records"),
        ("chr1\t10\t.\tA\tT\t.\t.\t.\n", "line 1: a record before the #CHROM header"),
        ("##fileformat=VCFv4.2\n#CHROM POS ID REF ALT\n", "line 2: the header line must begin"),
        ("##fileformat=VCFv4.2\n", "no '#CHROM POS ID REF ALT ...' header line"),
    ],
)
def test_bad_files(tmp_path, text, message):
    path = tmp_path / "bad.vcf"
    path.write_text(text)
    with pytest.raises(VcfError, match=message):
        list(read_vcf(path))


def test_missing_genome_and_bad_fasta(tmp_path):
    with pytest.raises(VcfError, match="no such file"):
        open_genome(tmp_path / "none.fa")
    bad = tmp_path / "bad.fa"
    bad.write_text(">a\nACGT\nACGTAC\nAC\n")
    with pytest.raises(VcfError, match="cannot index"):
        open_genome(bad)


def test_cli_mutate_vcf(tiny_model_dir, tmp_path, genome, capsys):
    vcf = write_vcf(
        tmp_path,
        ("chr1", 151, "rs1", CHR1[150], ",".join(b for b in "ACGT" if b != CHR1[150])),
        ("chr2", 2, ".", CHR2[1], alt_of(CHR2[1])),
    )
    out = tmp_path / "vcf.tsv"
    args = [
        "mutate",
        "--model",
        str(tiny_model_dir),
        "--vcf",
        str(vcf),
        "--genome",
        str(genome),
        "--width",
        str(WIDTH),
        "--out",
        str(out),
    ]
    assert main([*args, "--attention-change", "--both-strands"]) == 0
    table = pd.read_csv(out, sep="\t")
    assert list(table.columns[:3]) == ["id", "chrom", "position"] and "attn_change" in table.columns
    assert sorted(zip(table["chrom"], table["position"])) == [("chr1", 150)] * 3 + [("chr2", 1)]
    assert "padded with N" in capsys.readouterr().err
    vcf.write_text(HEADER + f"chr1\t5\t.\t{alt_of(CHR1[4])}\tG\t.\t.\t.\n")
    assert main(args) == 2
    assert "line 3: REF" in capsys.readouterr().err
    assert main([*args, "--width", "9999"]) == 2
