"""Run the app with `streamlit run` and drive it with Debian's Chromium through Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from viz.export import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (re-exported for the browser tests)

REPO = Path(__file__).resolve().parent.parent
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
TIMEOUT = 240_000  # ms; the first TOMTOM run on a fresh machine compiles for about a minute


def screenshot_dir() -> Path:
    """Where the browser tests write screenshots: docs/screenshots/ only when DNABERT_SCREENSHOTS=1 asks for it
    (to refresh the README's images), otherwise a temporary folder, so running the tests changes no tracked file."""
    if os.environ.get("DNABERT_SCREENSHOTS") == "1":
        return REPO / "docs" / "screenshots"
    return Path(tempfile.gettempdir()) / "dnabert-screenshots"


def shot(page, name: str) -> Path:
    """A full-length shot of the main area: the viewport is stretched to the page's height for the shot (Streamlit's
    main area scrolls inside the window, so a plain full-page screenshot shows only its top)."""
    folder = screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    main = page.get_by_test_id("stMain")
    size = page.viewport_size
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height), 8000))})
    page.wait_for_timeout(500)  # charts redraw at the new size
    path = folder / f"{name}.png"
    main.screenshot(path=str(path))
    page.set_viewport_size(size)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(env: dict[str, str] | None = None, timeout: float = 90):
    """Start ``streamlit run app.py`` on a free loopback port; yield its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=REPO,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(
                        f"streamlit did not start:\n{proc.stdout.read().decode() if proc.stdout else ''}"
                    ) from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def idle(page) -> None:
    """Wait until the script has finished its run (the running indicator has come and gone)."""
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=TIMEOUT)


def open_page(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    idle(page)


def choose(page, radio_label: str, option: str) -> None:
    """Click one option of the radio group labelled ``radio_label`` in the main area."""
    group = page.get_by_test_id("stMain").get_by_test_id("stRadio").filter(has_text=radio_label).first
    group.get_by_text(option, exact=True).click()
    idle(page)


def track_requests(page) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    return urls


def assert_local(urls: list[str]) -> None:
    hosts = {urlparse(u).hostname for u in urls if not u.startswith(("data:", "blob:", "about:"))}
    assert hosts <= {"127.0.0.1"}, f"requests left the machine: {sorted(hosts)}"
