"""Readers refuse odd input with a clear error instead of a traceback or a silently wrong answer (issue 11)."""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path

import numpy as np
import pytest

import dnabert.limits
from explorer.cli import main
from dnabert.errors import InputError
from dnabert.outputs import load_attention_npz, write_attention_npz
from dnabert.sequences import normalize_sequence, parse_sequences, read_sequences
from dnabert.analysis.variants import read_variant_list, resolve_class
from dnabert.genome.vcf import open_genome, parse_record, reference_window
from motif.scores import load_scores

SEQS = {"a": "ACGTACGTACGTAGCTAGCT", "b": "TTGACGATCGATCGGGATCG"}


@pytest.mark.parametrize("pos", ["²", "١٢", "1²"])  # superscript two, Arabic-Indic digits
def test_vcf_pos_must_be_ascii_digits(pos):
    with pytest.raises(InputError, match=f"POS '{pos}' is not a positive integer"):
        parse_record(f"chr1\t{pos}\t.\tA\tC\t.\t.\t.", 3, "calls.vcf")


@pytest.mark.parametrize("start, end", [("²", "3"), ("1", "٣")])
def test_variant_list_coordinates_must_be_ascii_digits(start, end):
    with pytest.raises(InputError, match="must be non-negative integers"):
        read_variant_list(f"a\t{start}\t{end}\tG\n".encode(), list(SEQS), list(SEQS.values()), name="v.tsv")


def test_class_index_must_be_ascii_digits():
    with pytest.raises(InputError):
        resolve_class(["neg", "pos"], "¹")


def test_alleles_are_reported_as_typed():
    with pytest.raises(InputError, match="ALT 'ſ' has letters other than A, C, G, T"):
        parse_record("chr1\t5\t.\tA\tſ\t.\t.\t.", 3, "calls.vcf")
    with pytest.raises(InputError, match="alt 'x' has letters other than"):
        read_variant_list(b"a\t1\t2\tx\n", list(SEQS), list(SEQS.values()), name="v.tsv")


@pytest.mark.parametrize("letter", ["ſ", "ß", "ﬀ", "ａ"])  # long s -> S, sharp s -> SS, ligature, fullwidth a
def test_unicode_letters_are_rejected_not_folded_into_iupac(letter):
    with pytest.raises(InputError, match=f"character '{letter}' \\(U\\+{ord(letter):04X}\\) at position 4"):
        normalize_sequence(f"ACGT{letter}ACGT", "r1")


def test_non_nucleotide_characters_are_shown_as_typed():
    with pytest.raises(InputError, match="character 'x' at position 4"):
        parse_sequences(b">r\nACGTxACGT\n")
    assert normalize_sequence("acgun") == "ACGTN"  # lowercase and U still read as documented


def test_genome_with_duplicate_contigs_is_refused(tmp_path):
    (tmp_path / "g.fa").write_text(">chr1\nACGTACGTAC\n>chr1\nTTTTTTTT\n")
    with pytest.raises(InputError, match="contig 'chr1' occurs more than once"):
        open_genome(tmp_path / "g.fa")


def test_genome_with_a_byte_order_mark_is_refused(tmp_path):
    (tmp_path / "g.fa").write_bytes(b"\xef\xbb\xbf>chr1\nACGTACGTAC\n")
    with pytest.raises(InputError, match="byte order mark"):
        open_genome(tmp_path / "g.fa")


def test_a_stale_fai_index_is_refused_not_trusted(tmp_path):
    fasta = tmp_path / "g.fa"
    fasta.write_text(">chr1\nACGTACGTAC\nGG\n>chr2\nCCCCAAAA\n")
    genome = open_genome(fasta)
    assert reference_window(genome, "chr2", 0, 8, 8)[0] == "CCCCAAAA"
    genome.close()
    time.sleep(0.01)
    fasta.write_text(">chr1\nACGTACGTACGGGGG\n>chr2\nTTTTAAAA\n")  # edited; the index now describes another file
    os.utime(fasta.with_name("g.fa.fai"))  # and looks newer (a copy, a restore), so pyfaidx would trust it
    with pytest.raises(InputError, match="does not match .*delete g.fa.fai"):
        open_genome(fasta)
    fasta.with_name("g.fa.fai").unlink()
    assert reference_window(open_genome(fasta), "chr2", 0, 8, 8)[0] == "TTTTAAAA"


def npz(tmp_path: Path, **arrays) -> Path:
    path = tmp_path / "scores.npz"
    np.savez(path, **arrays)
    return path


GOOD = {"ids": np.array(["a", "b"]), "lengths": np.array([20, 20]), "scores": np.zeros(40, np.float32)}
BAD_NPZ = {
    "object ids": ({**GOOD, "ids": np.array(["a", "b"], dtype=object)}, "Object arrays cannot be loaded"),
    "0-d ids": ({**GOOD, "ids": np.array("a")}, "'ids' must be a 1-D array of strings"),
    "numeric ids": ({**GOOD, "ids": np.array([1, 2])}, "'ids' must be a 1-D array of strings"),
    "duplicate ids": ({**GOOD, "ids": np.array(["a", "a"])}, "sequence id 'a' occurs more than once"),
    "complex scores": ({**GOOD, "scores": np.zeros(40, np.complex64)}, "'scores' must be a 1-D array of real numbers"),
    "float lengths": ({**GOOD, "lengths": np.array([20.0, 20.0])}, "'lengths' must be a 1-D array of non-negative integers"),
}


@pytest.mark.parametrize("case", list(BAD_NPZ))
def test_attention_npz_arrays_are_checked(tmp_path, capsys, case):
    arrays, message = BAD_NPZ[case]
    path = npz(tmp_path, **arrays)
    with pytest.raises(InputError, match=message):
        load_attention_npz(path)
    with pytest.raises(InputError, match=message):
        load_scores(path, list(SEQS.values()), list(SEQS))
    (tmp_path / "pos.fa").write_text("".join(f">{i}\n{s}\n" for i, s in SEQS.items()))
    rc = main(
        ["motifs", "--positives", str(tmp_path / "pos.fa"), "--scores", str(path), "--no-match", "--out", str(tmp_path / "m")]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err and message in err


def test_a_good_attention_npz_still_loads(tmp_path):
    path = tmp_path / "ok.npz"
    write_attention_npz(
        path, list(SEQS), list(SEQS.values()), [np.arange(20.0), np.ones(20)], "last", "DNABERT-1", "overlapping 6-mers"
    )
    ids, tracks = load_attention_npz(path)
    assert ids == ["a", "b"] and np.array_equal(tracks[0], np.arange(20.0))


def test_complex_atten_npy_is_refused(tmp_path):
    np.save(tmp_path / "atten.npy", np.zeros((2, 20), np.complex128))
    with pytest.raises(InputError, match="real numbers"):
        load_scores(tmp_path / "atten.npy", list(SEQS.values()), list(SEQS))


def test_cli_gzip_input_stops_at_the_limit_while_streaming(tmp_path, monkeypatch, capsys):
    # 8 MB of sequence compresses to a few kB; the limit is 1 MB
    with gzip.open(tmp_path / "bomb.fa.gz", "wb") as fh:
        fh.write(b">big\n")
        for _ in range(8):
            fh.write(b"ACGT" * 2**18)
    assert (tmp_path / "bomb.fa.gz").stat().st_size < 100_000
    monkeypatch.setattr(dnabert.limits, "MAX_INPUT_MB", 1)
    with pytest.raises(InputError, match="decompresses to more than the limit of 1 MB"):
        read_sequences(tmp_path / "bomb.fa.gz")
    rc = main(["predict", "--input", str(tmp_path / "bomb.fa.gz"), "--out", str(tmp_path / "p.tsv")])
    err = capsys.readouterr().err
    assert rc == 2 and "error:" in err and "DNABERT_MAX_INPUT_MB" in err
    # a plain file over the limit too, before it is read
    (tmp_path / "big.fa").write_bytes(b">big\n" + b"ACGT" * 2**19)
    with pytest.raises(InputError, match="over the limit of 1 MB"):
        read_sequences(tmp_path / "big.fa")


def test_saturation_mutagenesis_has_a_length_cap(tmp_path, monkeypatch, capsys, tiny_model_dir):
    monkeypatch.setattr(dnabert.limits, "MAX_SATURATION_LENGTH", 30)
    (tmp_path / "in.fa").write_text(">short\n" + "ACGT" * 5 + "\n>long\n" + "ACGT" * 10 + "\n")
    rc = main(["mutate", "--model", str(tiny_model_dir), "--input", str(tmp_path / "in.fa"), "--out", str(tmp_path / "m.tsv")])
    err = capsys.readouterr().err
    assert rc == 2 and "sequence 'long' is 40 bp" in err and "limited to 30 bp" in err
    assert not (tmp_path / "m.tsv").exists()
