"""In a real browser: a DNABERT-2-layout model chosen in the sidebar's picker, its predictions and attention (Chromium + Playwright)."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, TIMEOUT, idle, streamlit_server

from dnabert.loading.checkpoint import DEMO_MODEL_DIR, load_model
from dnabert.sequences import read_sequences

from family_fixtures import make_dnabert2

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built"),
]
playwright = pytest.importorskip("playwright.sync_api")
def test_a_dnabert2_model_picked_in_the_sidebar(tmp_path):
    root = tmp_path / "zoo"
    make_dnabert2(root / "dnabert2_tiny", alibi_starting_size=40)
    with streamlit_server({"DNABERT_MODEL_DIRS": str(root)}) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        hosts: list[str] = []
        page.on("request", lambda r: hosts.append(r.url))
        page.goto(url)
        idle(page)
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_test_id("stSelectbox").first.click()
        page.get_by_role("option", name="zoo/dnabert2_tiny").click()
        idle(page)
        sidebar.get_by_text("DNABERT-2 · BPE · window 38 tokens").wait_for(timeout=TIMEOUT)

        group = page.get_by_test_id("stMain").get_by_test_id("stRadio").filter(has_text="Input").first
        group.get_by_text("Example data", exact=True).click()
        idle(page)
        page.get_by_role("button", name="Load sequences").click()
        idle(page)
        page.get_by_text("Input summary").wait_for(timeout=TIMEOUT)

        page.get_by_test_id("stSidebarNav").get_by_text("Predict", exact=True).click()
        idle(page)
        page.get_by_role("button", name="Download predictions (CSV)").wait_for(timeout=TIMEOUT)

        page.get_by_test_id("stSidebarNav").get_by_text("Attention", exact=True).click()
        idle(page)
        page.get_by_text("high-attention region").first.wait_for(timeout=TIMEOUT)
        page.get_by_text("tokens (BPE, as the model sees them)").first.wait_for(timeout=TIMEOUT)
        assert page.locator(".js-plotly-plot").count() >= 2
        lm = load_model(root / "dnabert2_tiny")
        first = read_sequences(DEMO_MODEL_DIR / "example_positives.fa").seqs[0]
        piece = lm.tokenizer.token_strings(lm.tokenizer.tokenize(first)[0][:1])[0]
        idle(page)
        box = page.get_by_test_id("stSelectbox").filter(has_text="Selected token")
        combo = box.get_by_role("combobox")
        combo.click()
        combo.press_sequentially("(bp 0)", delay=50)  # type to search the tokens, as a user would
        page.wait_for_timeout(1500)  # the drop-down options render
        assert f"1: {piece} (bp 0)" in page.get_by_role("option").all_inner_texts()  # a BPE piece as the model sees it
        page.keyboard.press("Escape")
        assert not page.get_by_text("Traceback").count()
        assert not page.get_by_test_id("stException").count()
        assert {h.split("/")[2].split(":")[0] for h in hosts if h.startswith("http")} <= {"127.0.0.1"}
        browser.close()
