"""End-to-end tests of the app in a real browser: Debian's headless Chromium driven by Playwright.

Flow: load the example data, see predictions, open one sequence's attention,
run motif discovery, download the MEME file (parsed with Biopython) and the
HTML report. Every request the page makes must go to 127.0.0.1. Two browser
contexts with different uploads each see only their own data. Screenshots of
every page go to a temporary folder, or to docs/screenshots/ with DNABERT_SCREENSHOTS=1.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from Bio import motifs as bio_motifs
from browser_support import TIMEOUT, CHROMIUM, assert_local, choose, idle, open_page, shot, streamlit_server, track_requests

from dnabert.loading.checkpoint import DEMO_MODEL_DIR

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built"),
]
playwright = pytest.importorskip("playwright.sync_api")
@pytest.fixture(scope="module")
def server():
    with streamlit_server() as url:
        yield url


def test_full_flow(server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    urls = track_requests(page)
    page.goto(server)
    idle(page)
    choose(page, "Input", "Example data")
    idle(page)
    page.get_by_role("button", name="Load sequences").click()
    idle(page)
    page.get_by_text("Input summary").wait_for(timeout=TIMEOUT)
    shot(page, "1_data")

    open_page(page, "Predict")
    page.get_by_text("Predicted positive").wait_for(timeout=TIMEOUT)
    shot(page, "2_predict")

    open_page(page, "Attention")
    page.get_by_text("high-attention region").first.wait_for(timeout=TIMEOUT)
    assert page.locator(".js-plotly-plot").count() >= 2
    shot(page, "3_attention")

    open_page(page, "Landscape")
    page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT)
    shot(page, "4_landscape")

    open_page(page, "Motifs")
    page.get_by_role("button", name="Find motifs").click()
    idle(page)
    page.get_by_role("button", name="MEME").wait_for(timeout=TIMEOUT)
    shot(page, "5_motifs")
    with page.expect_download() as info:
        page.get_by_role("button", name="MEME").click()
    meme = Path(info.value.path()).read_text()
    records = bio_motifs.parse(io.StringIO(meme), "minimal")
    assert len(records) >= 1 and all(m.length >= 5 for m in records)
    with page.expect_download() as info:
        page.get_by_role("button", name="Report (HTML)").click()
    report = tmp_path / "report.html"
    info.value.save_as(report)
    report_page = context.new_page()
    report_urls = track_requests(report_page)
    report_page.goto(report.as_uri())
    assert report_page.locator("img").count() >= 1
    assert not [u for u in report_urls if not u.startswith(("file:", "data:"))]

    open_page(page, "Variants")
    page.get_by_role("button", name="Run saturation mutagenesis").click()
    idle(page)
    page.get_by_text("Download all mutants (TSV)").wait_for(timeout=TIMEOUT)
    shot(page, "6_variants")

    open_page(page, "Models")
    page.get_by_text("Fine-tune a model").wait_for(timeout=TIMEOUT)
    shot(page, "7_models")
    assert not page.get_by_text("Traceback").count()
    assert_local(urls)
    context.close()


def test_two_sessions_see_only_their_own_data(server, browser):
    """Two browser contexts load different sequences at the same time; each one's results hold only its own."""
    sessions = []
    for name, seq in [
        ("alpha_only", "ACGTTGCAAGGCTTACGATCGATCGGGCGCCCCCTGGTGGCC"),
        ("beta_only", "TTGACCGGTACGTACGATCGATCGACTAGCTAGCAGCATCGA"),
    ]:
        context = browser.new_context(viewport={"width": 1300, "height": 900}, accept_downloads=True)
        page = context.new_page()
        urls = track_requests(page)
        page.goto(server)
        idle(page)
        choose(page, "Input", "Paste")
        page.get_by_label("Sequences (FASTA or one per line)").fill(f">{name}\n{seq}\n")
        page.get_by_role("button", name="Load sequences").click()
        page.get_by_text("Input summary").wait_for(timeout=TIMEOUT)
        sessions.append((name, context, page, urls))
    for name, context, page, urls in sessions:
        open_page(page, "Predict")
        button = page.get_by_role("button", name="Download predictions (CSV)")
        button.wait_for(timeout=TIMEOUT)
        with page.expect_download() as info:
            button.click()
        ids = [line.split(",")[0] for line in Path(info.value.path()).read_text().splitlines()[1:]]
        assert ids == [name]
        assert_local(urls)
        context.close()
