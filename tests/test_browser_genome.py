"""The Known motifs, Genome tracks, Embedding map and Compare models pages in a real browser (headless Chromium).

Downloads are parsed with the standard tools: pandas for TSV / BED column
checks, pyBigWig for the bigWig. Screenshots go where the other browser tests'
go (a temporary folder unless DNABERT_SCREENSHOTS=1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig
import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, shot, streamlit_server
from test_browser import TIMEOUT, assert_local, choose, idle, open_page, track_requests

from dnabert.checkpoint import DEMO_MODEL_DIR

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built"),
]
playwright = pytest.importorskip("playwright.sync_api")


def download(page, name: str) -> Path:
    with page.expect_download() as info:
        page.get_by_role("button", name=name, exact=True).click()
    return Path(info.value.path())


def test_genome_views(tmp_path):
    from conftest import make_tiny_model

    make_tiny_model(tmp_path / "models" / "tiny4", k=4, seed=1)  # a second model for the comparison
    models = f"{DEMO_MODEL_DIR.parent}:{tmp_path / 'models'}"
    with streamlit_server({"DNABERT_MODEL_DIRS": models}) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page = context.new_page()
        urls = track_requests(page)
        page.goto(url)
        idle(page)
        choose(page, "Input", "Example data")
        page.get_by_role("button", name="Load sequences").click()
        page.get_by_text("Input summary").wait_for(timeout=TIMEOUT)

        open_page(page, "Known motifs")
        page.get_by_role("button", name="Scan known motifs").click()
        idle(page)
        page.get_by_role("button", name="Motifs (TSV)").wait_for(timeout=TIMEOUT)
        assert page.locator(".js-plotly-plot").count() >= 1
        shot(page, "8_known_motifs")
        table = pd.read_csv(download(page, "Motifs (TSV)"), sep="\t")
        assert {"CTCF", "YY1"} <= set(table.head(3)["name"].str.upper())

        open_page(page, "Genome tracks")
        page.get_by_role("button", name="attention.bw").wait_for(timeout=TIMEOUT)
        shot(page, "9_genome_tracks")
        bw = pyBigWig.open(str(download(page, "attention.bw")))
        first = min(bw.chroms())
        assert bw.chroms()[first] == 100 and np.isfinite(bw.values(first, 0, 100)).all()  # no gap inside a sequence
        bw.close()
        for name in ("high_attention.bed", "known_sites.bed"):
            bed = pd.read_csv(download(page, name), sep="\t", skiprows=1, header=None)
            assert bed.shape[1] == 6 and (bed[2] > bed[1]).all() and bed[4].between(0, 1000).all()

        open_page(page, "Embedding map")
        page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT)
        assert page.locator(".js-plotly-plot canvas").count() >= 1  # WebGL scatter
        shot(page, "10_embedding_map")
        emb = pd.read_csv(download(page, "Download the map (CSV)"))
        assert len(emb) == 200 and emb[["x", "y"]].notna().all().all()

        open_page(page, "Compare models")
        page.get_by_role("button", name="Download the comparison (CSV)").wait_for(timeout=TIMEOUT)
        shot(page, "11_compare_models")
        comp = pd.read_csv(download(page, "Download the comparison (CSV)"))
        assert len(comp) == 200 and comp["pearson"].between(-1, 1).all()
        assert not page.get_by_text("Traceback").count()
        assert_local(urls)
        context.close()
        browser.close()
