"""Head grid, context plot and overview (plotly), and the offline bertviz head view."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from support import random_seqs

from dnabert.loading.checkpoint import load_model
from dnabert.errors import InputError
from dnabert.analysis.inference import attention_matrices
from viz.bertviz_offline import D3_JS, JQUERY_JS, head_view_html
from viz.heads import context_overview, context_plot, head_grid

CHROMIUM = Path("/usr/bin/chromium")


def random_attention(layers=2, heads=3, tokens=8, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.random((layers, heads, tokens, tokens)) ** 4
    return ["[CLS]"] + [f"K{i}" for i in range(tokens - 2)] + ["[SEP]"], (a / a.sum(-1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def model_attention(tiny_model_dir):
    lm = load_model(tiny_model_dir)
    return attention_matrices(lm, random_seqs(1, 40, 40, seed=3)[0])


def test_head_grid_shows_cls_and_query_rows_per_layer(model_attention):
    tokens, attn = model_attention
    fig = head_grid(tokens, attn, query=5, layer=-1)
    n_layers = attn.shape[0]
    assert len(fig.data) == 2 * n_layers
    for lay in range(n_layers):
        cls, query = fig.data[2 * lay], fig.data[2 * lay + 1]
        assert cls.name == f"layer {lay} from [CLS]" and query.name == f"layer {lay} from token 5"
        assert np.allclose(cls.z, attn[lay, :, 0, :]) and np.allclose(query.z, attn[lay, :, 5, :])
        assert cls.visible == (lay == n_layers - 1)
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == [f"layer {lay}" for lay in range(n_layers)]
    assert buttons[0].args[0]["visible"] == [True, True] + [False] * (2 * n_layers - 2)
    assert fig.layout.updatemenus[0].active == n_layers - 1
    assert tokens[5] in fig.layout.annotations[1].text


def test_context_plot_draws_exactly_the_links_above_threshold():
    tokens, attn = random_attention()
    layer, query = 1, 3
    for threshold in (0.2, 0.4, 0.6):
        fig = context_plot(tokens, attn, layer, query, threshold)
        links = [t for t in fig.data if t.name != "tokens"]
        expected = {(h, j) for h, j in zip(*np.nonzero(attn[layer, :, query, :] >= threshold)) if j != query}
        assert {(int(t.customdata[0][0]), int(t.customdata[0][1])) for t in links} == expected
        for t in links:
            h, j, w = t.customdata[0]
            assert np.isclose(w, attn[layer, int(h), query, int(j)])
            assert t.x[0] == query and t.x[-1] == j and t.line.width == pytest.approx(1 + 7 * w)
            assert t.legendgroup == f"head {int(h)}"
        assert f"{len(expected)} links" in fig.layout.title.text
    every = context_plot(tokens, attn, layer, query, 0.0)
    assert len(every.data) - 1 == attn.shape[1] * (len(tokens) - 1)  # threshold 0: every head to every other token


def test_context_plot_without_links_says_so():
    tokens = ["[CLS]", "A", "C", "[SEP]"]
    attn = np.full((1, 2, 4, 4), 0.25, dtype=np.float32)
    fig = context_plot(tokens, attn, 0, 1, threshold=0.4)
    assert [t.name for t in fig.data] == ["tokens"]
    assert "no attention >= 0.4" in fig.layout.annotations[0].text


def test_context_overview_rows_are_layers_times_heads():
    tokens, attn = random_attention(layers=2, heads=3)
    fig = context_overview(tokens, attn, query=2)
    (heat,) = fig.data
    assert list(heat.y) == ["L0 H0", "L0 H1", "L0 H2", "L1 H0", "L1 H1", "L1 H2"]
    assert np.allclose(heat.z[4], attn[1, 1, 2, :])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda t, a: head_grid(t, a, query=99), "token 99 does not exist"),
        (lambda t, a: head_grid(t, a, layer=5), "layer 5 does not exist"),
        (lambda t, a: head_grid(t[:-1], a), "covers 8 tokens but 7"),
        (lambda t, a: head_grid(t, a[0]), "shape"),
        (lambda t, a: head_grid(t, np.where(a > 0.5, np.nan, a)), "NaN"),
        (lambda t, a: context_plot(t, a, 0, 1, threshold=1.5), "threshold"),
        (lambda t, a: context_plot(t, a, 7, 1), "layer 7"),
        (lambda t, a: context_overview(t, a, -1), "token -1"),
        (lambda t, a: head_view_html(t, a, 9), "layer 9"),
        (lambda t, a: head_view_html(t, a, 0, max_tokens=5), "at most 5 tokens"),
    ],
)
def test_head_views_bad_input(call, message):
    tokens, attn = random_attention()
    with pytest.raises(InputError, match=message):
        call(tokens, attn)


def without_comments(html: str) -> str:
    """The page minus JS block comments and whole-line // comments (license headers, credits)."""
    return re.sub(r"^\s*//.*$", "", re.sub(r"/\*.*?\*/", "", html, flags=re.DOTALL), flags=re.MULTILINE)


def test_head_view_html_is_offline_and_holds_only_the_shown_layer(model_attention):
    tokens, attn = model_attention
    html = head_view_html(tokens, attn, layer=1)
    assert not re.findall(r"<(?:script|link|img|iframe)[^>]*\s(?:src|href)=", html)  # nothing loaded from a file or URL
    assert "require.config" not in html and "cdnjs" not in html
    urls = set(re.findall(r"https?://[^\s\"'<>)\\]+", without_comments(html)))
    assert {u.split("/")[2] for u in urls} <= {"www.w3.org"}  # only XML namespace names, never fetched
    assert JQUERY_JS.read_text() in html and D3_JS.read_text() in html  # inlined from the installed packages
    (payload,) = re.findall(r'"attn": (\[.*?\]\]\]\])', html)
    weights = np.array(json.loads(payload))
    assert weights.shape == (1, attn.shape[1], len(tokens), len(tokens))
    assert np.allclose(weights[0], attn[1], atol=5e-4)
    assert not re.search(r"\d\.\d{4,}", payload)  # rounded to 3 decimals
    assert '"include_layers": [1]' in html


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.is_file(), reason="needs Debian chromium")
def test_head_view_renders_in_an_offline_browser(model_attention):
    from playwright.sync_api import sync_playwright

    from viz.export import CHROMIUM_ARGS

    tokens, attn = model_attention
    html = head_view_html(tokens, attn, layer=0)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        requests, errors = [], []
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_content(html, wait_until="load")
        page.wait_for_selector("svg text")
        n_text = page.locator("svg text").count()
        n_lines = page.locator("svg line").count()
        layers = page.locator("#layer option").all_inner_texts()
        browser.close()
    assert requests == [] and errors == []
    assert n_text == 2 * len(tokens)  # left and right token columns
    assert n_lines == attn.shape[1] * len(tokens) ** 2  # one line per head and token pair
    assert layers == ["0"]
