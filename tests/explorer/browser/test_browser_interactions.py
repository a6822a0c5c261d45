"""An interaction redraws only what depends on it, in a real browser (headless Chromium).

On the Attention page, switching the aggregation changes the track and nothing in
the head views; picking another layer changes the head views and not the track.
Each plotly chart's drawing node is marked in the page and Plotly's own
``plotly_afterplot`` event (fired by every draw, new or updated) is counted: an
unrelated chart must keep its node and not be drawn again, while the chart that
depends on the choice must be (so the check can fail).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import CHROMIUM, streamlit_server
from browser_support import TIMEOUT, choose, idle, open_page

from dnabert.loading.checkpoint import DEMO_MODEL_DIR

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(not (DEMO_MODEL_DIR / "config.json").is_file(), reason="demo model not built"),
]
playwright = pytest.importorskip("playwright.sync_api")

CHARTS = ("attention_track_chart", "head_grid_chart")  # keyed charts: Streamlit gives their containers st-key-<key>

MARK = """keys => keys.map(key => {
  const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  if (!gd) return false;
  gd.dataset.probe = key;
  gd.__draws = 0;
  gd.on("plotly_afterplot", () => (gd.__draws += 1));
  return true;
})"""

STATE = """keys => Object.fromEntries(keys.map(key => {
  const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  return [key, {same: !!gd && gd.dataset.probe === key, draws: gd ? gd.__draws : null}];
}))"""


@pytest.fixture(scope="module")
def page(browser):
    with streamlit_server() as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(url)
        idle(page)
        choose(page, "Input", "Example data")
        page.get_by_role("button", name="Load sequences").click()
        page.get_by_text("Input summary").wait_for(timeout=TIMEOUT)
        open_page(page, "Attention")
        for key in CHARTS:
            page.locator(f".st-key-{key} .js-plotly-plot").wait_for(timeout=TIMEOUT)
        yield page
        assert not page.get_by_text("Traceback").count()
        context.close()


def marked(page) -> None:
    page.wait_for_timeout(1000)  # drawing done
    assert page.evaluate(MARK, list(CHARTS)) == [True, True]


def test_aggregation_switch_does_not_redraw_the_head_views(page):
    marked(page)
    choose(page, "Aggregation", "mean")
    page.locator(".st-key-attention_track_chart .gtitle", has_text="mean attention").wait_for(timeout=TIMEOUT)
    page.wait_for_timeout(1000)
    state = page.evaluate(STATE, list(CHARTS))
    track, grid = state["attention_track_chart"], state["head_grid_chart"]
    assert not track["same"] or track["draws"] > 0  # the track changed: a new node or a new drawing
    assert grid == {"same": True, "draws": 0}  # the head grid: the same node, not drawn again


def test_layer_choice_does_not_redraw_the_track(page):
    marked(page)
    box = page.get_by_test_id("stMain").get_by_test_id("stSelectbox").filter(has_text="Layer").first.get_by_role("combobox")
    box.click()
    box.fill("layer 0")
    page.get_by_role("option").get_by_text("layer 0", exact=True).click()
    idle(page)
    page.locator(".st-key-head_grid_chart .updatemenu-header", has_text="layer 0").first.wait_for(timeout=TIMEOUT)  # its layer menu
    page.wait_for_timeout(1000)
    state = page.evaluate(STATE, list(CHARTS))
    track, grid = state["attention_track_chart"], state["head_grid_chart"]
    assert not grid["same"] or grid["draws"] > 0
    assert track == {"same": True, "draws": 0}
