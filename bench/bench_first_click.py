"""The first *Find motifs* in the app, a minute after it opened, against the same click with TOMTOM cold.

    python -m bench.bench_first_click [--wait 60] [--rounds 2]

Each run starts the real app (``streamlit run app.py``, headless, on a free
loopback port) and drives it with Debian's Chromium through Playwright as a user
would: open the app, load the example sequences and the example negatives on
the Data page, then go to the Motifs page and press *Find motifs* with the
default parameters. Timed: from the click until the motif table is on the page
(and until the page's script has finished).

* warm: TOMTOM was compiled once on this machine (numba's disk cache is filled,
  as after ``python -m motif.warmup`` or any earlier run), and the click comes
  ``--wait`` seconds after the app was opened, so the app's background warm-up
  (:mod:`motif.warmup`) has loaded the compiled code.
* cold (baseline): a new empty numba cache and no wait: the click compiles TOMTOM.

Warm and cold runs alternate, ``--rounds`` of each. Every run is a new app
process on a new port with a temporary numba cache folder (``NUMBA_CACHE_DIR``)
and a temporary ``HOME`` shared by the runs (primed once: matplotlib's font
cache), so the user's own caches are neither used nor changed. Needs the demo
model, Playwright (``pip install playwright``) and Debian's chromium
(``apt-get install chromium``); a cold run takes minutes.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from explorer.cli.app import streamlit_command

ROOT = Path(__file__).resolve().parent.parent
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
TIMEOUT_MS = 1_200_000  # a cold TOMTOM compile on a busy 2-core machine takes minutes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def app_server(env: dict[str, str], log: Path):
    """The app as ``dnabert app`` starts it, on a free port in its own process group (its warm-up child included);
    yield the URL."""
    port = free_port()
    cmd = streamlit_command(port, ["--server.headless", "true", "--browser.gatherUsageStats", "false"])
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"the app did not start; see {log}:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the app and the warm-up process it started
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def idle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)


def choose(page, radio_label: str, option: str) -> None:
    group = page.get_by_test_id("stMain").get_by_test_id("stRadio").filter(has_text=radio_label).first
    group.get_by_text(option, exact=True).click()
    idle(page)


def first_click(browser, url: str, wait: float) -> dict:
    """Open the app, load the example data, wait until ``wait`` s after opening, press Find motifs; seconds to the table."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(url)
        opened = time.perf_counter()
        idle(page)
        choose(page, "Input", "Example data")
        page.get_by_role("button", name="Load sequences").click()
        idle(page)
        page.get_by_text("Input summary").wait_for(timeout=TIMEOUT_MS)
        choose(page, "Negatives", "Example data")
        page.get_by_role("button", name="Load negatives").click()
        idle(page)
        loaded = time.perf_counter() - opened
        page.get_by_test_id("stSidebarNav").get_by_text("Motifs", exact=True).click()
        idle(page)
        page.wait_for_timeout(max(0.0, wait - (time.perf_counter() - opened)) * 1000)
        main = page.get_by_test_id("stMain")
        page.get_by_role("button", name="Find motifs").click()
        t0 = time.perf_counter()
        main.get_by_test_id("stDataFrame").first.wait_for(timeout=TIMEOUT_MS)
        table = time.perf_counter() - t0
        idle(page)
        done = time.perf_counter() - t0
        if main.get_by_text("Traceback").count() or not main.get_by_role("button", name="MEME").count():
            raise RuntimeError("the Motifs page did not show a result")
        return {"table": table, "done": done, "loaded": loaded, "clicked_after": t0 - opened}
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", type=float, default=60.0, help="seconds between opening the app and the warm click")
    parser.add_argument("--rounds", type=int, default=2, help="warm and cold runs each, alternating")
    parser.add_argument("--logs", type=Path, help="keep the apps' logs in this folder (default: a temporary folder)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from dnabert.checkpoint import DEMO_MODEL_DIR
    from viz.export import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists() or not (DEMO_MODEL_DIR / "config.json").is_file():
        sys.exit(f"needs Debian's chromium at {CHROMIUM} and the demo model in {DEMO_MODEL_DIR}")
    with tempfile.TemporaryDirectory(prefix="bench-first-click-") as tmp:
        tmp = Path(tmp)
        logs = args.logs or tmp
        logs.mkdir(parents=True, exist_ok=True)
        home, warm_cache = tmp / "home", tmp / "numba-warm"
        home.mkdir()
        base_env = {**os.environ, "HOME": str(home), "HF_HUB_OFFLINE": "1"}
        base_env.pop("MPLCONFIGDIR", None)
        base_env.pop("XDG_CACHE_HOME", None)
        base_env.pop("XDG_CONFIG_HOME", None)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import matplotlib.pyplot"], cwd=ROOT, env=base_env, check=True)
        subprocess.run([sys.executable, "-m", "motif.warmup"], cwd=ROOT, env={**base_env, "NUMBA_CACHE_DIR": str(warm_cache)},
                       check=True, capture_output=True)  # fmt: skip
        print(f"set-up (TOMTOM compiled once into the warm cache, font cache): {time.perf_counter() - t0:.0f} s", flush=True)
        runs: dict[str, list[dict]] = {"warm": [], "cold": []}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for r in range(args.rounds):
                    for kind in ("warm", "cold"):
                        cache = warm_cache if kind == "warm" else Path(tempfile.mkdtemp(prefix="numba-cold-", dir=tmp))
                        env = {**base_env, "NUMBA_CACHE_DIR": str(cache)}
                        with app_server(env, logs / f"app_{kind}_{r + 1}.log") as url:
                            run = first_click(browser, url, args.wait if kind == "warm" else 0.0)
                        runs[kind].append(run)
                        print(f"round {r + 1} {kind}: table after {run['table']:.1f} s, page done after {run['done']:.1f} s "
                              f"(clicked {run['clicked_after']:.0f} s after opening)", flush=True)  # fmt: skip
            finally:
                browser.close()
    med = {(kind, what): statistics.median(r[what] for r in runs[kind]) for kind in runs for what in ("table", "done")}
    print(f"\nfirst Find motifs on the example data (200 + 200 x 100 bp, demo model), median of {args.rounds}; "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"  {'':36s} {'motif table s':>14s} {'page done s':>12s}")
    print(
        f"  {f'warm, clicked {args.wait:g} s after opening':36s} {med['warm', 'table']:14.1f} {med['warm', 'done']:12.1f}  (target < 10 s)"
    )
    print(f"  {'cold TOMTOM cache, no wait':36s} {med['cold', 'table']:14.1f} {med['cold', 'done']:12.1f}")
    print(
        f"  cold / warm: {med['cold', 'table'] / med['warm', 'table']:.0f}x to the table, {med['cold', 'done'] / med['warm', 'done']:.0f}x to the end"
    )


if __name__ == "__main__":
    main()
