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
