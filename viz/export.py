"""Figures as files, offline: standalone HTML, and PNG through a local headless Chromium.

HTML: plotly.js is inlined (or written once next to the file), so the file
opens without a network. PNG: each figure is drawn by the plotly.js that ships
with the plotly package in a headless Chromium (Debian's ``chromium`` with
Playwright; no browser download, no network), with ``Plotly.toImage``.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import plotly
import plotly.graph_objects as go

from dnabert.errors import InputError
from dnabert.outputs import atomic_path

CHROMIUM = os.environ.get("DNABERT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def write_html(fig: go.Figure, path: str | Path, plotlyjs: str = "inline") -> Path:
    """Write ``fig`` as a standalone HTML file.

    Parameters
    ----------
    fig : go.Figure
    path : str or Path
    plotlyjs : {"inline", "directory"}
        ``"inline"``: plotly.js inside the file (about 4.7 MB, one file opens
        anywhere); ``"directory"``: the file loads ``plotly.min.js`` from its
        own folder, where plotly writes it once (for a folder of many figures).
    """
    if plotlyjs not in ("inline", "directory"):
        raise ValueError(f"plotlyjs must be 'inline' or 'directory', got {plotlyjs!r}")
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.write_html(tmp, include_plotlyjs=True if plotlyjs == "inline" else "directory", full_html=True)
    return path


def launch_chromium(playwright):
    """Debian's headless Chromium through Playwright, with this project's offline settings (:data:`CHROMIUM_ARGS`)."""
    if not Path(CHROMIUM).is_file():
        raise InputError(f"PNG export needs a local Chromium at {CHROMIUM} (Debian package 'chromium'; or set DNABERT_CHROMIUM)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def figures_to_png(figs: dict[str | Path, go.Figure], width: int = 1100, scale: float = 1.5) -> list[Path]:
    """Render plotly figures to PNG files in one headless Chromium.

    Parameters
    ----------
    figs : dict of path -> go.Figure
    width : int
        Image width in CSS pixels; the height is the figure's layout height (or 450).
    scale : float
        Pixel density (1.5 -> 1650 px wide).

    Returns
    -------
    list of Path
        The files written.
    """
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page()
        page.set_content('<html><body><div id="fig"></div></body></html>')
        page.add_script_tag(path=str(PLOTLY_JS))
        for path, fig in figs.items():
            spec = json.loads(fig.to_json())
            url = page.evaluate(
                """async ([spec, w, h, s]) => {
                    await Plotly.newPlot('fig', spec.data, spec.layout);
                    return await Plotly.toImage('fig', {format: 'png', width: w, height: h, scale: s});
                }""",
                [spec, width, fig.layout.height or 450, scale],
            )
            with atomic_path(path) as tmp:
                tmp.write_bytes(base64.b64decode(url.split(",", 1)[1]))
            written.append(Path(path))
        browser.close()
    return written


def html_to_png(html: str, path: str | Path, width: int = 1100) -> Path:
    """Screenshot of a self-contained HTML page (e.g. the bertviz head view) as a PNG file.

    The page may load nothing from the network: every request other than the
    page itself is aborted.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.route("**/*", lambda route: route.abort())
        page.set_content(html, wait_until="load")
        page.wait_for_timeout(500)
        with atomic_path(path) as tmp:
            tmp.write_bytes(page.screenshot(type="png", full_page=True))
        browser.close()
    return Path(path)
