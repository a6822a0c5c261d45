import gzip
import re
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnabert.sequences import (
    SequenceError,
    dinucleotide_shuffle,
    parse_sequences,
    read_sequences,
    reverse_complement,
    shuffled_negatives,
)

FASTA = ">s1 first\nACGTACGT\nACGT\n>s2\nGGGGCCCC\n"


def test_fasta_multiline_and_ids():
    data = parse_sequences(FASTA)
    assert data.ids == ["s1", "s2"]
    assert data.seqs == ["ACGTACGTACGT", "GGGGCCCC"]
    assert data.notes == []


def test_gzip_crlf_bom_plain_text(tmp_path):
    p = tmp_path / "x.fa.gz"
    p.write_bytes(gzip.compress(FASTA.encode()))
    assert read_sequences(p).seqs == ["ACGTACGTACGT", "GGGGCCCC"]
    assert parse_sequences(("\ufeff" + FASTA).replace("\n", "\r\n").encode("utf-8")).seqs == ["ACGTACGTACGT", "GGGGCCCC"]
    plain = parse_sequences("ACGTAC\n\nttgca\r\nACGU\n")
    assert plain.ids == ["seq1", "seq2", "seq3"]
    assert plain.seqs == ["ACGTAC", "TTGCA", "ACGT"]
    assert any("upper-cased" in n for n in plain.notes) and any("read as T" in n for n in plain.notes)


def test_iupac_and_n_kept():
    assert parse_sequences(">a\nACGNNNRYKM\n").seqs == ["ACGNNNRYKM"]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x00\x01\x02binary", "binary"),
        (b"%PDF-1.4 stuff", "PDF"),
        (b">a\nACGT\n>b\n>c\nACGT\n", "record 'b' (record 2) has no sequence"),
        (b">a\nACGTXACGT\n", "record 'a': character 'X' at position 4"),
        (b"ACGT\nAC-GT\n", "record 'line 2': character '-' at position 2"),
        (gzip.compress(FASTA.encode())[:20], "truncated or corrupt"),
        (b"\xff\xfe\xfa\x80", "not UTF-8"),
        (b'{"a": 1}', "unrecognised format"),
    ],
)
def test_bad_input_messages(data, message):
    with pytest.raises(SequenceError, match=re.escape(message)):
        parse_sequences(data, "in.fa")


def test_duplicate_and_missing_ids_are_made_unique_and_reported():
    data = parse_sequences(">a\nACGT\n>a\nACGA\n>\nACGC\n>a_2\nACGG\n")
    assert len(data.ids) == 4 and len(set(data.ids)) == 4
    assert data.ids[0] == "a" and data.ids[3] == "a_2"
    assert data.ids[2] == "seq3"
    assert any("duplicate" in n for n in data.notes)
    assert any("without an id" in n for n in data.notes)


def test_missing_file():
    with pytest.raises(SequenceError, match="no such file"):
        read_sequences("/nonexistent/x.fa")


def test_reverse_complement():
    assert reverse_complement("AACGTN") == "NACGTT"
    assert reverse_complement("ACGRY") == "RYCGT"


@settings(max_examples=60, deadline=None)
@given(seq=st.text(alphabet="ACGT", min_size=0, max_size=200), seed=st.integers(0, 2**16))
def test_dinucleotide_shuffle_preserves_counts(seq, seed):
    out = dinucleotide_shuffle(seq, np.random.default_rng(seed))
    assert len(out) == len(seq)
    assert Counter(zip(out, out[1:])) == Counter(zip(seq, seq[1:]))
    if seq:
        assert out[0] == seq[0] and out[-1] == seq[-1]
    assert reverse_complement(reverse_complement(seq)) == seq


def test_shuffle_is_seeded_and_shuffles():
    seqs = ["".join(np.random.default_rng(i).choice(list("ACGT"), 100)) for i in range(5)]
    assert shuffled_negatives(seqs, seed=3) == shuffled_negatives(seqs, seed=3)
    assert shuffled_negatives(seqs, seed=3) != shuffled_negatives(seqs, seed=4)
    assert sum(a != b for a, b in zip(seqs, shuffled_negatives(seqs))) == 5


@settings(max_examples=60, deadline=None)
@given(
    records=st.lists(
        st.tuples(st.text("abcxyz0123_", min_size=1, max_size=8), st.text("ACGTNacgtn", min_size=1, max_size=80)),
        min_size=1,
        max_size=10,
    )
)
def test_fasta_parser_fuzz(records):
    text = "".join(f">{rid}\n{seq}\n" for rid, seq in records)
    data = parse_sequences(text)
    assert len(data) == len(records)
    assert data.seqs == [s.upper() for _, s in records]
    assert len(set(data.ids)) == len(records)
