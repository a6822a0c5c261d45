"""The evidence views in a real browser (headless Chromium): deletion curves on the Attention page, then motifs
from every kind of evidence and their agreement table on the Motifs page; both downloads parsed with pandas.

A few example sequences only: ISM scores 3 mutants per base. The Motifs page reuses the evidence the Attention
page computed (same sequences, cached in the session).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from browser_support import CHROMIUM, shot, streamlit_server
from browser_support import TIMEOUT, assert_local, choose, idle, open_page, track_requests

from dnabert.loading.checkpoint import DEMO_MODEL_DIR
from dnabert.analysis.faithfulness import AREA_COLUMNS
from dnabert.sequences import read_sequences
from motif.agreement import AGREEMENT_COLUMNS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built"),
]
playwright = pytest.importorskip("playwright.sync_api")
N_SEQS = 4


def download(page, button: str) -> Path:
    with page.expect_download() as info:
        page.get_by_role("button", name=button).click()
    return Path(info.value.path())


def test_deletion_curves_and_agreement(browser):
    pos = read_sequences(DEMO_MODEL_DIR / "example_positives.fa")
    with streamlit_server() as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page = context.new_page()
        urls = track_requests(page)
        page.goto(url)
        idle(page)
        choose(page, "Input", "Paste")
        page.get_by_label("Sequences (FASTA or one per line)").fill(
            "".join(f">{i}\n{s}\n" for i, s in zip(pos.ids[:N_SEQS], pos.seqs[:N_SEQS]))
        )
        page.get_by_role("button", name="Load sequences").click()
        page.get_by_text("Input summary").wait_for(timeout=TIMEOUT)

        open_page(page, "Attention")
        page.get_by_role("button", name="Compute deletion curves").click()
        idle(page)
        page.get_by_role("button", name="Areas (TSV)").wait_for(timeout=TIMEOUT)
        assert page.get_by_text("python -m dnabert faithfulness").count()
        shot(page, "attention_deletion_curves")
        areas = pd.read_csv(download(page, "Areas (TSV)"), sep="\t")
        assert list(areas.columns) == AREA_COLUMNS and areas["ranking"].tolist() == ["attention", "attribution", "ism", "random"]
        assert (areas["n_sequences"] == N_SEQS).all()
        curves = pd.read_csv(download(page, "Deletion curves (TSV)"), sep="\t")
        assert set(curves["id"]) == set(pos.ids[:N_SEQS])

        open_page(page, "Motifs")
        page.get_by_test_id("stSelectbox").filter(has_text="Evidence").click()
        page.get_by_role("option", name="all", exact=True).click()
        page.get_by_role("button", name="Find motifs").click()
        idle(page)
        page.get_by_role("button", name="Agreement (TSV)").wait_for(timeout=TIMEOUT)
        assert page.get_by_text("--evidence all").count()
        shot(page, "motifs_agreement")
        agreement = pd.read_csv(download(page, "Agreement (TSV)"), sep="\t")
        assert list(agreement.columns) == AGREEMENT_COLUMNS
        assert not page.get_by_text("Traceback").count()
        assert_local(urls)
        context.close()
