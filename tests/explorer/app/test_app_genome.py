"""AppTests of the Genome tracks and Known motifs pages (demo model, example data)."""

import io

import numpy as np
import pandas as pd
import pyBigWig
import pytest

from support import app

from dnabert.loading.checkpoint import DEMO_MODEL_DIR

pytestmark = pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built")

LOCATED = (
    ">chr1:1000-1061(-)\n"
    + "ACGTTGCAAGGCTTACGATCGATCGGGCGCCCCCTGGTGGCCAGCTAGCTAGCTTTACGAT"
    + "\n>plain\nTTGACCGGTACGTACGATCGATCGACTAGCTAGCAGCATCGACGACTGCATGCATGCAGT\n"
)



def test_tracks_page_writes_bigwig_on_genome_coordinates(tmp_path):
    at = app().run()
    at.radio(key="pos_source").set_value("Paste").run()
    at.text_area(key="positives_text").input(LOCATED)
    at.button[0].click().run()
    at.switch_page("../pages/tracks.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "1 of 2 sequences carry genome coordinates" in at.caption[0].value
    regions = at.dataframe[0].value
    assert set(regions["chrom"]) <= {"chr1", "plain"} and (regions["end"] > regions["start"]).all()
    files = at.session_state["tracks_files"][1]  # what the download buttons serve
    assert sorted(b.proto.label for b in at.get("download_button")) == sorted(files)
    assert {"attention.bedGraph", "attention.bw", "high_attention.bed", "chrom.sizes"} <= set(files)
    (tmp_path / "a.bw").write_bytes(files["attention.bw"])
    bw = pyBigWig.open(str(tmp_path / "a.bw"))
    assert bw.chroms() == {"chr1": 1061, "plain": 60}
    graph = pd.read_csv(io.BytesIO(files["attention.bedGraph"]), sep="\t", skiprows=1, header=None)
    chr1 = graph[graph[0] == "chr1"]
    np.testing.assert_allclose(bw.values("chr1", 1000, 1061), np.repeat(chr1[3], chr1[2] - chr1[1]), rtol=1e-5)


def test_known_motifs_page_ranks_planted_motifs_and_lists_sites():
    at = app().run()
    at.radio(key="pos_source").set_value("Example data").run()
    at.button[0].click().run()
    at.switch_page("../pages/known_motifs.py").run()
    assert "Scan known motifs" in at.info[-1].value
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    assert {"CTCF", "YY1"} <= set(table.head(3)["name"].str.upper())
    assert {"CTCF", "YY1"} <= set(table.nsmallest(3, "rank_attention")["name"].str.upper())
    sites = at.dataframe[1].value
    assert len(sites) > 50 and sites["attention"].notna().any()
    at.switch_page("../pages/tracks.py").run()
    assert not at.exception and not at.error
    assert "known_sites.bed" in at.session_state["tracks_files"][1]
