"""Motif files: MEME minimal round trip through Biopython and memelite, JASPAR and TRANSFAC exports."""

import io

import numpy as np
import pytest
from Bio import motifs as bio_motifs
from memelite.io import read_meme as memelite_read

from motif.meme import MotifFileError, format_counts, format_meme, read_meme


def example():
    rng = np.random.default_rng(3)
    counts = [rng.integers(0, 50, (4, w)).astype(float) + 1 for w in (6, 11)]
    ppms = [c / c.sum(axis=0) for c in counts]
    return counts, ppms


def test_meme_round_trip_biopython_and_memelite(tmp_path):
    _, ppms = example()
    text = format_meme(
        ["motif_1", "motif_2"], ppms, [143, 7], [1.5e-40, 0.002], np.array([0.3, 0.2, 0.2, 0.3]), ["ACGTAC", "GGGCGCATGCG"]
    )
    path = tmp_path / "m.meme"
    path.write_text(text)
    with open(path) as h:
        parsed = bio_motifs.parse(h, "minimal")
    assert [m.name for m in parsed] == ["motif_1", "motif_2"]
    assert [m.num_occurrences for m in parsed] == [143, 7]
    assert [m.evalue for m in parsed] == pytest.approx([1.5e-40, 0.002])
    assert parsed.background == pytest.approx({"A": 0.3, "C": 0.2, "G": 0.2, "T": 0.3})
    for m, ppm, n in zip(parsed, ppms, [143, 7]):  # Biopython reads counts: round(p x nsites)
        assert np.array([m.counts[b] for b in "ACGT"]).tolist() == np.round(ppm * n).tolist()
    via_memelite = memelite_read(str(path))
    assert list(via_memelite) == ["motif_1 ACGTAC", "motif_2 GGGCGCATGCG"]
    for got, ppm in zip(via_memelite.values(), ppms):
        assert got == pytest.approx(ppm, abs=1e-6)
    names, read = read_meme(path)
    assert names == list(via_memelite) and read[1] == pytest.approx(ppms[1], abs=1e-6)


def test_meme_with_no_motif_is_still_valid(tmp_path):
    path = tmp_path / "empty.meme"
    path.write_text(format_meme([], [], [], [], np.full(4, 0.25)))
    with open(path) as h:
        assert len(bio_motifs.parse(h, "minimal")) == 0
    assert memelite_read(str(path)) == {}


@pytest.mark.parametrize("fmt", ["jaspar", "transfac"])
def test_count_exports_parse_back(fmt):
    counts, _ = example()
    text = format_counts(["motif_1", "motif_2"], counts, fmt, ["c1", "c2"])
    parsed = list(bio_motifs.parse(io.StringIO(text), fmt))
    assert len(parsed) == 2
    for m, c in zip(parsed, counts):
        assert np.array([m.counts[b] for b in "ACGT"]) == pytest.approx(c)


def test_read_meme_errors(tmp_path):
    with pytest.raises(MotifFileError, match="no such motif file"):
        read_meme(tmp_path / "missing.meme")
    (tmp_path / "x.meme").write_text("hello\n")
    with pytest.raises(MotifFileError, match="no MOTIF found"):
        read_meme(tmp_path / "x.meme")
    (tmp_path / "bad.meme").write_text("MOTIF a\nletter-probability matrix: alength= 4 w= 2\n0.1 0.2 x 0.7\n")
    with pytest.raises(MotifFileError, match="not a readable MEME"):
        read_meme(tmp_path / "bad.meme")


# Issue 26: MEME files written as the MEME suite documents the minimal format (version, alphabet, strands,
# background, MOTIF id [name], letter-probability matrix), with each alphabet form the format allows.
MINIMAL = """MEME version 5

{alphabet}

strands: + -

Background letter frequencies
A 0.30 C 0.20 G 0.20 T 0.30

MOTIF short1 tiny
letter-probability matrix: alength= 4 w= 3 nsites= 10 E= 0
0.7 0.1 0.1 0.1
0.1 0.7 0.1 0.1
0.1 0.1 0.1 0.7
URL http://example.org/short1

"""
DNA_LIKE = """ALPHABET "DNA" DNA-LIKE
A "Adenine" CC0000 ~ T "Thymine" 008000
C "Cytosine" 0000CC ~ G "Guanine" FFB300
N "Any base" = ACGT
X = ACGT
U = T
END ALPHABET"""
RNA_LIKE = """ALPHABET "RNA" RNA-LIKE
A "Adenine" CC0000
C "Cytosine" 0000CC
G "Guanine" FFB300
U "Uracil" 008000
N "Any base" = ACGU
END ALPHABET"""


@pytest.mark.parametrize("alphabet", ["ALPHABET= ACGT", DNA_LIKE, ""])
def test_dna_meme_files_in_every_documented_form_are_read(tmp_path, alphabet):
    path = tmp_path / "dna.meme"
    path.write_text(MINIMAL.format(alphabet=alphabet))
    names, ppms = read_meme(path)
    assert names == ["short1 tiny"]
    np.testing.assert_allclose(ppms[0], [[0.7, 0.1, 0.1], [0.1, 0.7, 0.1], [0.1, 0.1, 0.1], [0.1, 0.1, 0.7]])


@pytest.mark.parametrize(
    "alphabet, what",
    [("ALPHABET= ACGU", "RNA"), (RNA_LIKE, "RNA"), ("ALPHABET= ACDEFGHIKLMNPQRSTVWY", "protein")],
)
def test_rna_and_protein_alphabets_are_refused(tmp_path, alphabet, what):
    path = tmp_path / "other.meme"
    text = MINIMAL.format(alphabet=alphabet)
    if what == "protein":  # a protein matrix has 20 columns
        text = text.replace("alength= 4", "alength= 20").replace("0.7 0.1 0.1 0.1", " ".join(["0.05"] * 20))
    path.write_text(text)
    with pytest.raises(MotifFileError, match=f"the motifs' alphabet is {what} .*only DNA motifs"):
        read_meme(path)
