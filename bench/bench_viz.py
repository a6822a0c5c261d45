"""Cost of the attention landscape for 10,000 sequences x 500 bp: build time and serialized size.

Compared in the same process, on the same random tracks (a planted peak in
half of them, two classes, probabilities):

* ``binned``: :func:`viz.landscape.attention_landscape` as the app uses it
  (rows binned to at most 500, float32 heatmap);
* ``un-binned``: the same function with ``max_rows=None`` (every sequence a row);
* ``naive``: a plotly heatmap of the raw float64 matrix passed as nested
  lists, the way one would write it without thinking about size.

Size = the figure's JSON (what Streamlit or an HTML export ships to the
browser). With ``--browser``, also the time headless Chromium takes to draw
each figure (``Plotly.newPlot``), i.e. how interactive it stays.

Run: ``python -m bench.bench_viz [--browser]``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from viz.landscape import attention_landscape

N, LENGTH = 10_000, 500


def data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    tracks = rng.gamma(2.0, 1.0, size=(N, LENGTH)).astype(np.float32)
    positive = rng.random(N) < 0.5
    peaks = rng.integers(0, LENGTH - 12, N)
    for i in np.flatnonzero(positive):
        tracks[i, peaks[i] : peaks[i] + 12] += 10
    tracks /= np.linalg.norm(tracks, axis=1, keepdims=True)
    probs = np.clip(0.7 * positive + 0.3 * rng.random(N), 0, 1)
    return tracks, probs, np.where(positive, "positive", "negative")


def naive(tracks: np.ndarray) -> go.Figure:
    return go.Figure(go.Heatmap(z=tracks.astype(np.float64).tolist()))


def timed(build, repeats: int = 3) -> tuple[float, go.Figure, float, int]:
    """Best build time (s), the figure, best JSON time (s), JSON size (bytes)."""
    build_s, json_s = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fig = build()
        build_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        text = fig.to_json()
        json_s.append(time.perf_counter() - t0)
    return min(build_s), fig, min(json_s), len(text)


def browser_draw_seconds(figs: dict[str, go.Figure]) -> dict[str, float]:
    """Seconds headless Chromium spends in ``Plotly.newPlot`` per figure (page and JSON loading excluded)."""
    from playwright.sync_api import sync_playwright

    from viz.export import PLOTLY_JS, launch_chromium

    out = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        shutil.copy(PLOTLY_JS, Path(tmp) / "plotly.min.js")
        browser = launch_chromium(p)
        page = browser.new_page()
        for name, fig in figs.items():
            html = Path(tmp) / f"{name}.html"
            html.write_text(
                '<html><body><div id="fig"></div><script src="plotly.min.js"></script><script>'
                f"const spec = {fig.to_json()}; const t0 = performance.now();"
                "Plotly.newPlot('fig', spec.data, spec.layout).then(() => { window.drawn = (performance.now() - t0) / 1000; });"
                "</script></body></html>"
            )
            page.goto(html.as_uri())
            page.wait_for_function("window.drawn !== undefined", timeout=600_000)
            out[name] = page.evaluate("window.drawn")
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--browser", action="store_true", help="also time drawing in headless Chromium")
    args = parser.parse_args()
    tracks, probs, classes = data()
    runs = {
        "binned": lambda: attention_landscape(tracks, probs, classes, sort="probability"),
        "un-binned": lambda: attention_landscape(tracks, probs, classes, sort="probability", max_rows=None),
        "naive": lambda: naive(tracks),
    }
    print(f"attention landscape, {N} sequences x {LENGTH} bp (best of 3)")
    results = {name: timed(build, repeats=1 if name == "naive" else 3) for name, build in runs.items()}
    base_build, _, _, base_size = results["binned"]
    for name, (build_s, fig, json_s, size) in results.items():
        rows = len(fig.data[-1].z)
        print(
            f"  {name:10s} build {build_s:6.2f} s ({build_s / base_build:5.1f}x)  to_json {json_s:6.2f} s  "
            f"size {size / 1e6:7.1f} MB ({size / base_size:5.1f}x)  heatmap rows {rows}"
        )
    if args.browser:
        draw = browser_draw_seconds({name: fig for name, (_, fig, _, _) in results.items()})
        for name, seconds in draw.items():
            print(f"  {name:10s} draw in Chromium {seconds:6.2f} s ({seconds / draw['binned']:5.1f}x)")


if __name__ == "__main__":
    main()
