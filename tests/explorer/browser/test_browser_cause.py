"""The cause check and the variant explanation in a real browser (Chromium, Playwright): Motifs, Known motifs, Variants.

On the demo model (a teaching model trained on planted CTCF and YY1 sites) and its example data: the motif table
downloaded from the Motifs page carries the verdicts, the Known motifs page checks chosen motifs, and the Variants
page lists the CTCF site a deletion destroys. Each result is read from its download (the tables are drawn on a canvas).
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from browser_support import CHROMIUM, IDLE, shot, streamlit_server

from dnabert.loading.checkpoint import DEMO_MODEL_DIR

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built"),
]
playwright = pytest.importorskip("playwright.sync_api")
TIMEOUT = 480_000  # ms: TOMTOM's first compile, and a shared machine


def idle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=TIMEOUT)


def open_page(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    idle(page)


def download_table(page, button: str) -> pd.DataFrame:
    target = page.get_by_role("button", name=button)
    target.wait_for(timeout=TIMEOUT)
    with page.expect_download(timeout=TIMEOUT) as info:
        target.click()
    return pd.read_csv(io.StringIO(Path(info.value.path()).read_text()), sep="\t", keep_default_na=False)


def test_cause_check_and_variant_explanation_pages(browser, tmp_path):
    with streamlit_server() as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page = context.new_page()
        page.goto(url)
        idle(page)
        page.get_by_test_id("stMain").get_by_test_id("stRadio").filter(has_text="Input").first.get_by_text(
            "Example data", exact=True
        ).click()
        idle(page)
        page.get_by_role("button", name="Load sequences").click()
        page.get_by_text("Input summary").wait_for(timeout=TIMEOUT)

        open_page(page, "Motifs")
        page.get_by_role("button", name="Find motifs").click()
        idle(page)
        table = download_table(page, "Motif table (TSV)")
        assert {"insertion_effect", "ablation_effect", "verdict"} <= set(table.columns)
        assert (table["verdict"] == "the model uses it").any()
        page.get_by_text("verdict: does the model's prediction depend on the motif?").wait_for(timeout=TIMEOUT)
        shot(page, "cause_motifs")

        open_page(page, "Known motifs")
        page.get_by_role("button", name="Scan known motifs").click()
        idle(page)
        page.get_by_role("button", name="Run cause check").click()
        idle(page)
        checked = download_table(page, "Cause check (TSV)")
        assert len(checked) == 5 and set(checked["verdict"]) <= {"the model uses it", "no effect found", "not testable"}
        assert page.get_by_text("dnabert cause").count()  # the command-line twin
        shot(page, "cause_known")

        sites = pd.read_csv(DEMO_MODEL_DIR / "example_sites.tsv", sep="\t")
        ctcf = sites[sites["motif"] == "CTCF"].iloc[0]
        middle = (ctcf.start + ctcf.end) // 2
        variants = tmp_path / "variants.tsv"
        variants.write_text(f"id\tstart\tend\talt\n{ctcf.id}\t{middle - 3}\t{middle + 3}\t\n")
        open_page(page, "Variants")
        page.get_by_role("tab", name="Variant list").click()
        page.get_by_test_id("stFileUploaderDropzoneInput").last.set_input_files(str(variants))
        idle(page)
        page.get_by_role("button", name="Score variants").click()
        idle(page)
        scored = download_table(page, "Download (TSV)")
        assert "CTCF MA0139.2" in scored.loc[0, "motifs_destroyed"]
        changes = download_table(page, "Motif changes (TSV)")
        row = changes[changes["motif_id"] == "MA0139.2"].iloc[0]
        assert (row["change"], row["site_start"], row["site_end"]) == ("destroyed", ctcf.start, ctcf.end)
        shot(page, "cause_variants")
        assert not page.get_by_text("Traceback").count()
        context.close()
