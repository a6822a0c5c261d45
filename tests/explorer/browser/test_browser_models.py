"""Browser test of the Models page (issue 14): pick a model that lost to its k-mer baseline; the sidebar and
the page say so, and the page draws the model-vs-baseline bars and the training curves (plotly)."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, IDLE, streamlit_server

from dnabert_demo.synthetic import make_planted_dataset
from dnabert.loading.checkpoint import DEMO_MODEL_DIR
from dnabert.training.finetune import FinetuneSettings, finetune
from dnabert.training.tables import LabeledData
from dnabert.training.policy import ModelShape

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built"),
]
playwright = pytest.importorskip("playwright.sync_api")
TIMEOUT = 120_000  # ms


def labeled(data, name):
    return LabeledData(list(data.seqs), [str(y) for y in data.labels], list(data.ids), name)


def test_models_page_shows_curves_and_the_baseline_warning(tmp_path):
    root = tmp_path / "mymodels"
    train = make_planted_dataset(120, 120, length=60, motifs=("MA0139.2",), shuffled_fraction=0.0, seed=1)
    dev = make_planted_dataset(40, 40, length=60, motifs=("MA0139.2",), shuffled_fraction=0.0, seed=2)
    shape = ModelShape(layers=1, hidden=32, heads=2, intermediate=64, max_tokens=128)
    settings = FinetuneSettings(epochs=2, learning_rate=1e-12, threads=1, device="cpu", log_every=2)  # cannot learn
    finetune(labeled(train, "train"), root / "lost", dev=labeled(dev, "dev"), k=4, shape=shape, settings=settings)
    with streamlit_server(env={"DNABERT_MODEL_DIRS": str(root)}) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.wait_for_selector(IDLE, timeout=TIMEOUT)
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_test_id("stSelectbox").click()
        page.get_by_role("option", name="mymodels/lost").click()
        page.wait_for_timeout(300)
        page.wait_for_selector(IDLE, timeout=TIMEOUT)
        sidebar.get_by_text("than the k-mer baseline on the test split").first.wait_for(timeout=TIMEOUT)
        page.get_by_test_id("stSidebarNav").get_by_text("Models", exact=True).click()
        page.wait_for_timeout(300)
        page.wait_for_selector(IDLE, timeout=TIMEOUT)
        main = page.get_by_test_id("stMain")
        main.get_by_text("than the k-mer baseline on the test split").first.wait_for(timeout=TIMEOUT)
        charts = main.get_by_test_id("stPlotlyChart")
        charts.nth(1).wait_for(timeout=TIMEOUT)
        assert charts.count() == 2
        assert main.locator(".js-plotly-plot").nth(1).get_by_text("Dev AUROC").count() >= 1  # drawn, not only placed
        assert not page.get_by_text("Traceback").count()
        browser.close()
