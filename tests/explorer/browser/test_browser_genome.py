"""The Known motifs, Genome tracks, Embedding map (with its selection), Compare models and Scan pages in a real
browser (headless Chromium), one test per view on one shared server.

Downloads are parsed with the standard tools: pandas for TSV / BED column
checks, pyBigWig for the bigWig. Screenshots go where the other browser tests'
go (a temporary folder unless DNABERT_SCREENSHOTS=1).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig
import pytest
from browser_support import TIMEOUT, CHROMIUM, assert_local, choose, idle, open_page, shot, streamlit_server, track_requests

from dnabert.loading.checkpoint import DEMO_MODEL_DIR

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built"),
]
playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One app server for every view, with a second model (for the comparison) next to the demo model."""
    from support import make_tiny_model

    models = tmp_path_factory.mktemp("models")
    make_tiny_model(models / "tiny4", k=4, seed=1)
    with streamlit_server({"DNABERT_MODEL_DIRS": f"{DEMO_MODEL_DIR.parent}:{models}"}) as url:
        yield url


@pytest.fixture
def page(server, browser):
    """A new browser session on the app (its own Streamlit session); no request may leave the machine."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    urls = track_requests(page)
    page.goto(server)
    idle(page)
    yield page
    assert not page.get_by_text("Traceback").count()
    assert_local(urls)
    context.close()


def load_example(page) -> None:
    choose(page, "Input", "Example data")
    page.get_by_role("button", name="Load sequences").click()
    page.get_by_text("Input summary").wait_for(timeout=TIMEOUT)


def download(page, name: str) -> Path:
    idle(page)  # a download button reruns the page; during a rerun its old and new buttons are both on it
    with page.expect_download() as info:
        page.get_by_role("button", name=name, exact=True).click()
    return Path(info.value.path())


def test_known_motifs_view(page):
    load_example(page)
    open_page(page, "Known motifs")
    page.get_by_role("button", name="Scan known motifs").click()
    idle(page)
    page.get_by_role("button", name="Motifs (TSV)").wait_for(timeout=TIMEOUT)
    page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT)
    shot(page, "8_known_motifs")
    table = pd.read_csv(download(page, "Motifs (TSV)"), sep="\t")
    assert {"CTCF", "YY1"} <= set(table.head(3)["name"].str.upper())
    open_page(page, "Genome tracks")  # the sites as BED
    bed = pd.read_csv(download(page, "known_sites.bed"), sep="\t", skiprows=1, header=None)
    assert bed.shape[1] == 6 and (bed[2] > bed[1]).all() and bed[4].between(0, 1000).all()


NO_SITE_MEME = (  # the documented minimal MEME format; 4-wide motifs: best FIMO p-value 4^-4 > 1e-4, so no site
    "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\nBackground letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n\n"
    + "".join(
        f"MOTIF {name}\nletter-probability matrix: alength= 4 w= 4 nsites= 20 E= 0\n"
        + "".join(" ".join("0.97" if r == c else "0.01" for c in range(4)) + "\n" for r in order)
        + "\n"
        for name, order in (("short ACGT", range(4)), ("lonely", range(3, -1, -1)))
    )
)


def test_known_motifs_with_an_uploaded_meme_file(page):
    """Issue 26: a MEME file whose motifs have no site in the sequences gives a table of zeros (it failed); an RNA
    file is refused with one line, and the page stays usable."""
    load_example(page)
    open_page(page, "Known motifs")
    upload = page.get_by_test_id("stMain").locator('input[type="file"]')
    rna = NO_SITE_MEME.replace("ALPHABET= ACGT", "ALPHABET= ACGU").encode()
    upload.set_input_files(files=[{"name": "rna.meme", "mimeType": "text/plain", "buffer": rna}])
    idle(page)
    page.get_by_role("button", name="Scan known motifs").click()
    page.get_by_text("the motifs' alphabet is RNA").wait_for(timeout=TIMEOUT)
    upload.set_input_files(files=[{"name": "mine.meme", "mimeType": "text/plain", "buffer": NO_SITE_MEME.encode()}])
    idle(page)
    page.get_by_role("button", name="Scan known motifs").click()
    idle(page)
    table = pd.read_csv(download(page, "Motifs (TSV)"), sep="\t")
    expected = [["short", "ACGT", 0, 0], ["lonely", "lonely", 0, 0]]
    assert table[["motif_id", "name", "n_pos", "n_neg"]].to_numpy().tolist() == expected
    assert pd.read_csv(download(page, "Sites (TSV)"), sep="\t").empty
    assert page.get_by_text("0 sites in positives").count()


def test_genome_tracks_view(page):
    load_example(page)
    open_page(page, "Genome tracks")
    page.get_by_role("button", name="attention.bw").wait_for(timeout=TIMEOUT)
    shot(page, "9_genome_tracks")
    bw = pyBigWig.open(str(download(page, "attention.bw")))
    first = min(bw.chroms())
    assert bw.chroms()[first] == 100 and np.isfinite(bw.values(first, 0, 100)).all()  # no gap inside a sequence
    bw.close()
    bed = pd.read_csv(download(page, "high_attention.bed"), sep="\t", skiprows=1, header=None)
    assert bed.shape[1] == 6 and (bed[2] > bed[1]).all() and bed[4].between(0, 1000).all()


def test_embedding_map_view_and_its_selection_narrows_the_landscape(page):
    load_example(page)
    open_page(page, "Embedding map")
    plot = page.locator(".js-plotly-plot").first
    plot.wait_for(timeout=TIMEOUT)
    assert plot.locator("canvas").count() >= 1  # WebGL scatter
    shot(page, "10_embedding_map")
    emb = pd.read_csv(download(page, "Download the map (CSV)"))
    assert len(emb) == 200 and emb[["x", "y"]].notna().all().all()

    # a box over the left half of the plot area selects the sequences whose x is left of the middle
    plot.hover()
    box_tool = plot.locator('[data-title="Box Select"]')
    if box_tool.count():
        box_tool.first.click()
    area = plot.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(area["x"] + 2, area["y"] + 2)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2, steps=8)
    page.mouse.move(area["x"] + area["width"] / 2, area["y"] + area["height"] - 2, steps=8)
    page.mouse.up()
    idle(page)
    note = page.get_by_text(re.compile(r"\d+ of 200 positives selected"))
    note.wait_for(timeout=TIMEOUT)
    n = int(re.search(r"(\d+) of 200", note.inner_text()).group(1))
    assert 0 < n < 200
    open_page(page, "Landscape")
    page.get_by_text(f"Showing {n} of 200 sequences selected on the Embedding map.").wait_for(timeout=TIMEOUT)
    assert page.locator(".gtitle", has_text=f"attention, {n} sequences").count() == 1
    shot(page, "10b_landscape_of_a_selection")
    page.get_by_role("button", name="Clear selection").click()
    idle(page)
    assert page.locator(".gtitle", has_text="attention, 200 sequences").count() == 1


def test_compare_models_view(page):
    load_example(page)
    open_page(page, "Compare models")
    page.get_by_role("button", name="Download the comparison (CSV)").wait_for(timeout=TIMEOUT)
    shot(page, "11_compare_models")
    comp = pd.read_csv(download(page, "Download the comparison (CSV)"))
    assert len(comp) == 200 and comp["pearson"].between(-1, 1).all()


def test_scan_view(page):
    seq = "".join(np.random.default_rng(3).choice(list("ACGT"), 640))
    open_page(page, "Scan")
    page.get_by_label("FASTA or a plain sequence").fill(f">chr3:2000-2640\n{seq}")
    page.get_by_label("FASTA or a plain sequence").blur()
    idle(page)
    page.get_by_role("spinbutton", name="Window (bp)").fill("160")
    page.get_by_role("spinbutton", name="Stride (bp)").fill("60")
    page.get_by_role("button", name="Scan", exact=True).click()
    idle(page)
    page.get_by_role("button", name="scan_positive.bw").wait_for(timeout=TIMEOUT)
    page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT)  # plotly draws after the rest of the page
    assert page.locator(".js-plotly-plot").count() == 1
    shot(page, "12_scan")
    windows = pd.read_csv(download(page, "scan.tsv"), sep="\t")
    assert list(windows["start"]) == [0, 60, 120, 180, 240, 300, 360, 420, 480] and windows["end"].iloc[-1] == 640
    bw = pyBigWig.open(str(download(page, "scan_positive.bw")))
    assert bw.chroms() == {"chr3": 2640}
    values = np.array(bw.values("chr3", 2000, 2640))
    # the first 60 bases lie in the first window only; base 60 in the first two
    np.testing.assert_allclose(values[:60], windows["p_positive"].iloc[0], rtol=1e-4)
    np.testing.assert_allclose(values[60], windows["p_positive"].iloc[:2].mean(), rtol=1e-4)
    bw.close()
    graph = pd.read_csv(download(page, "scan_positive.bedGraph"), sep="\t", skiprows=1, header=None)
    assert graph.shape[1] == 4 and (graph[0] == "chr3").all() and graph[1].min() == 2000 and graph[2].max() == 2640
