"""The card's layout (``app.py`` beside ``pages/``) in a real browser: a fresh server's first request runs the app.

Streamlit runs a ``pages/`` folder beside the entry script as a legacy multipage app until ``st.navigation``
is first called, so without ``explorer.state``'s guard the first request of a new server to a page's address
shows a bare list of file names and no model picker.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import CHROMIUM, idle, streamlit_server

from dnabert.loading.checkpoint import DEMO_MODEL_DIR

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built"),
]


def test_a_fresh_servers_first_request_to_a_page_gets_the_apps_navigation_and_model_picker(browser):
    with streamlit_server() as url:
        page = browser.new_page()
        page.goto(url + "/models")  # the first script run of this server
        idle(page)
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_text("Model", exact=True).wait_for()  # the picker's label
        nav = page.get_by_test_id("stSidebarNav").inner_text().split("\n")
        assert "Data" in nav and "Compare models" in nav, nav  # the app's page titles, not file names
        assert "home" not in nav and "app" not in nav, nav
        assert page.get_by_test_id("stMain").get_by_text("Fine-tune a model").count() >= 1
        page.close()
