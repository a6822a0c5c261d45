"""Every interaction a user repeats in the app, timed in a real browser from the click to the idle page.

    python -m bench.bench_interactions [--repeats 5] [--busy 2] [--baseline REV]

Starts the real app (as ``dnabert app`` does, headless, on a free loopback port)
and drives it with Debian's Chromium through Playwright: load the example data
(200 + 200 x 100 bp, the demo model, a teaching model), then, each ``--repeats``
times:

* Attention: switch the aggregation (mean, rollout, last in turn), pick another
  sequence, pick another layer of the head views;
* Motifs (after one *Find motifs*): pick another motif;
* Landscape: sort the rows another way;
* Embedding map: select points with a box (the selection narrows the Landscape,
  Motifs and Predict pages), then clear it.

Timed inside the page (``performance.now()``): from the user's input event (the
``pointerup`` of the click, the mouse release of the box) to the last change of
the app's DOM before it has been quiet for 0.3 s with the script not running, so
the time includes the server's rerun, the transfer and the browser's drawing.

During the runs ``--busy`` processes spin on the CPU (started and stopped by the
benchmark), as on a shared 2-core machine. Each interaction's median is printed
against the target of 0.5 s, with the reason for a miss. ``--baseline REV``
also starts the app of an earlier git revision (exported with ``git archive``
into a temporary folder) and runs the same interactions on it, interleaved
(repeat by repeat), printing both medians and their ratio.
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.5
QUIET_MS = 300  # the page counts as idle after this long without a DOM change and with the script not running
TIMEOUT_S = 240  # a single wait (Find motifs on a busy machine included)
VERBOSE = False
WIRES: dict = {}  # page -> its Wire
SENT: dict = {}  # (page, interaction) -> (bytes the server sent, whether the whole page reran) of each timed interaction
APP = '[data-testid="stApp"]'
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'

PROBE = """() => {
  if (window.__bench) return;
  const b = (window.__bench = {input: 0, last: 0});
  for (const type of ["pointerup", "keyup"]) window.addEventListener(type, () => (b.input = performance.now()), true);
  new MutationObserver(() => (b.last = performance.now())).observe(document.querySelector('APP'), {
    subtree: true, childList: true, attributes: true, characterData: true,
  });
}""".replace("'APP'", repr(APP))

REASONS = {  # what each interaction must redraw (the rest of its page stays as drawn unless the whole page reruns)
    "aggregation": "redraws the track in the new mode and the downloads and command line that name the mode",
    "sequence": "reruns the whole page, since every section shows the chosen sequence: the track, the window's attention "
    "(one forward pass), head grid, context plot, all-heads view and bertviz page",
    "layer": "redraws the head views of the new layer (grid, context plot, all heads, bertviz page)",
    "motif": "redraws the motif's logos (two PNGs), matches, members and instances",
    "sorting": "rebuilds and redraws the landscape (200 x 100 heatmap with the mean profiles)",
    "map selection": "redraws the selection's banner (the map stays)",
    "clear selection": "redraws the selection's banner (the map stays)",
}


@contextmanager
def busy_processes(n: int):
    """``n`` processes spinning on the CPU until the block ends."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True) for _ in range(n)]
    try:
        yield
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


class Wire:
    """What the server sends a page over its websocket: finished script runs (whole page or fragment) and bytes."""

    def __init__(self, page):
        self.finished = 0
        self.bytes = 0
        self.whole = 0  # finished runs of the whole page (the others reran fragments only)
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if isinstance(payload, str):
            return
        self.bytes += len(payload)
        msg = ForwardMsg()
        msg.ParseFromString(payload)
        if msg.WhichOneof("type") == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            self.finished += 1
            self.whole += msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY


def act(page, action) -> None:
    """Do ``action`` and wait until the run it starts has finished and the page is idle (not timed)."""
    runs = WIRES[page].finished
    action()
    settle(page, runs, since=0.0)


def settle(page, runs_before: int, since: float | None = None) -> float:
    """Seconds from the last input event (or ``since``, ms) to the last DOM change, once the run the input started has
    finished (``runs_before``: finished runs counted before the input) and the page is idle."""
    deadline = time.time() + TIMEOUT_S
    while time.time() < deadline:
        s = page.evaluate(
            f"""() => ({{now: performance.now(), last: window.__bench.last, input: window.__bench.input,
                  state: document.querySelector('{APP}').dataset.testScriptState}})"""
        )
        start = s["input"] if since is None else since
        ran = WIRES[page].finished > runs_before
        if ran and s["state"] == "notRunning" and s["last"] > start and s["now"] - s["last"] >= QUIET_MS:
            return (s["last"] - start) / 1000
        page.wait_for_timeout(50)
    raise TimeoutError("the page did not become idle")


def open_page(page, title: str) -> None:
    if VERBOSE:
        print(f"  {title}", file=sys.stderr, flush=True)
    act(page, lambda: page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click())


def radio(page, label: str, option: str) -> None:
    group = page.get_by_test_id("stMain").get_by_test_id("stRadio").filter(has_text=label).first
    group.get_by_text(option, exact=True).click()


def select(page, label: str, option: str) -> None:
    """Pick ``option`` of the select box labelled ``label``: type it into the box, click it in the list."""
    box = page.get_by_test_id("stMain").get_by_test_id("stSelectbox").filter(has_text=label).first.get_by_role("combobox")
    box.click()
    box.fill(option)
    page.get_by_role("option").get_by_text(option, exact=True).first.click()


def options(page, label: str, n: int) -> list[str]:
    """The first ``n`` options of a select box (opened with the arrow key, closed again)."""
    box = page.get_by_test_id("stMain").get_by_test_id("stSelectbox").filter(has_text=label).first.get_by_role("combobox")
    box.click()
    box.press("ArrowDown")
    opts = page.get_by_role("option")
    opts.first.wait_for()
    names = [opts.nth(i).inner_text() for i in range(min(n, opts.count()))]
    page.keyboard.press("Escape")
    page.wait_for_timeout(200)
    return names


def other(choices: list[str], current: str, r: int) -> str:
    """One of ``choices`` that is not the current value (a page's widgets are back at their defaults when it is
    opened again), picked by round."""
    rest = [c for c in choices if c.split() != current.split()]  # the page may show runs of spaces as one
    return rest[r % len(rest)]


def radio_value(page, label: str) -> str:
    group = page.get_by_test_id("stMain").get_by_test_id("stRadio").filter(has_text=label).first
    return group.locator("label").filter(has=page.locator("input:checked")).first.inner_text().strip()


def select_value(page, label: str) -> str:
    box = page.get_by_test_id("stMain").get_by_test_id("stSelectbox").filter(has_text=label).first.get_by_role("combobox")
    return box.input_value()


def box_select(page) -> None:
    """Drag a box over the left half of the embedding map."""
    plot = page.locator(".js-plotly-plot").first
    plot.hover()
    tool = plot.locator('[data-title="Box Select"]')
    if tool.count():
        tool.first.click()
    area = plot.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(area["x"] + 2, area["y"] + 2)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] / 2, area["y"] + area["height"] - 2, steps=6)
    page.mouse.up()
    page.mouse.move(1, 1)  # no hover label drawn while timing


def timed(page, what: str, action) -> float:
    page.evaluate(PROBE)
    wire = WIRES[page]
    runs, sent, whole = wire.finished, wire.bytes, wire.whole
    action()
    seconds = settle(page, runs)
    SENT.setdefault((page, what), []).append((wire.bytes - sent, wire.whole > whole))
    if VERBOSE:
        print(f"    {what}: {seconds:.2f} s, {(wire.bytes - sent) / 1e3:.0f} kB sent", file=sys.stderr, flush=True)
    if page.get_by_text("Traceback").count():
        raise RuntimeError("the page shows a traceback")
    return seconds


def session(browser, url: str):
    """A new browser session with the example positives and negatives loaded."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    WIRES[page] = Wire(page)
    page.goto(url)
    page.wait_for_selector(IDLE, timeout=TIMEOUT_S * 1000)
    page.evaluate(PROBE)
    for kind, button in (("Input", "Load sequences"), ("Negatives", "Load negatives")):
        act(page, lambda kind=kind: radio(page, kind, "Example data"))
        act(page, lambda button=button: page.get_by_role("button", name=button).click())
    page.get_by_text("Input summary").wait_for(timeout=TIMEOUT_S * 1000)
    return context, page


def run_round(page, r: int) -> dict[str, float]:
    """One of each interaction; the option picked depends on the round, so every click changes something."""
    from dnabert.loading.checkpoint import DEMO_MODEL_DIR, load_model
    from dnabert.sequences import read_sequences

    t: dict[str, float] = {}
    page.evaluate(PROBE)
    open_page(page, "Attention")
    modes = ["mean", "rollout", "last"]
    t["aggregation"] = timed(page, "aggregation", lambda: radio(page, "Aggregation", other(modes, radio_value(page, "Aggregation"), r)))
    seqs = read_sequences(DEMO_MODEL_DIR / "example_positives.fa").ids[:6]
    t["sequence"] = timed(page, "sequence", lambda: select(page, "Sequence", other(seqs, select_value(page, "Sequence"), r)))
    layers = [f"layer {i}" for i in range(load_model(DEMO_MODEL_DIR).model.config.num_hidden_layers)]
    t["layer"] = timed(page, "layer", lambda: select(page, "Layer", other(layers, select_value(page, "Layer"), r)))

    open_page(page, "Motifs")
    if not page.get_by_role("button", name="MEME").count():
        act(page, lambda: page.get_by_role("button", name="Find motifs").click())
        page.get_by_role("button", name="MEME").wait_for(timeout=TIMEOUT_S * 1000)
    motifs = options(page, "Motif", 4)
    if len(motifs) > 1:
        t["motif"] = timed(page, "motif", lambda: select(page, "Motif", other(motifs, select_value(page, "Motif"), r)))

    open_page(page, "Landscape")
    sorts = ["predicted class", "position of the maximum", "input order", "predicted probability"]
    t["sorting"] = timed(page, "sorting", lambda: select(page, "Sort rows by", other(sorts, select_value(page, "Sort rows by"), r)))

    open_page(page, "Embedding map")
    page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_S * 1000)
    t["map selection"] = timed(page, "map selection", lambda: box_select(page))
    page.get_by_text("positives selected").first.wait_for(timeout=TIMEOUT_S * 1000)
    t["clear selection"] = timed(page, "clear selection", lambda: page.get_by_role("button", name="Clear selection").click())
    return t


def export(rev: str, folder: Path) -> Path:
    """The tree of git revision ``rev`` in ``folder`` (demo model and example data are tracked files)."""
    data = subprocess.run(["git", "archive", "--format=tar", rev], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="times each interaction is timed (default 5)")
    parser.add_argument("--busy", type=int, default=2, help="busy background processes during the runs (default 2)")
    parser.add_argument("--baseline", metavar="REV", help="also time the app of this git revision, interleaved")
    parser.add_argument("--verbose", action="store_true", help="print every step and time")
    args = parser.parse_args()
    global VERBOSE
    VERBOSE = args.verbose
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from bench.bench_first_click import app_server

    from dnabert.loading.checkpoint import DEMO_MODEL_DIR
    from viz.export import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists() or not (DEMO_MODEL_DIR / "config.json").is_file():
        sys.exit(f"needs Debian's chromium at {CHROMIUM} and the demo model in {DEMO_MODEL_DIR}")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    with tempfile.TemporaryDirectory(prefix="bench-interactions-") as tmp, ExitStack() as stack:
        tmp = Path(tmp)
        trees = {"this tree": ROOT}
        if args.baseline:
            trees = {f"baseline {args.baseline}": export(args.baseline, tmp / "baseline"), **trees}
        urls = {name: stack.enter_context(app_server(env, tmp / f"app{i}.log", tree, 180))[0] for i, (name, tree) in enumerate(trees.items())}
        p = stack.enter_context(sync_playwright())
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        stack.callback(browser.close)
        pages = {name: session(browser, url)[1] for name, url in urls.items()}
        for page in pages.values():
            run_round(page, 0)  # warm-up: every model pass, Find motifs and first drawing (not counted)
        times: dict[str, dict[str, list[float]]] = {name: {} for name in pages}
        loads = []
        with busy_processes(args.busy):
            for r in range(1, args.repeats + 1):
                for name, page in pages.items():
                    for what, s in run_round(page, r).items():
                        times[name].setdefault(what, []).append(s)
                loads.append(os.getloadavg()[0])
                print(f"round {r}: " + "; ".join(
                    f"{name}: " + ", ".join(f"{w} {v[-1]:.2f}" for w, v in times[name].items()) for name in pages), flush=True)  # fmt: skip
    med = {name: {w: statistics.median(v) for w, v in t.items()} for name, t in times.items()}
    sent = {(name, w): statistics.median(b for b, _ in SENT[pages[name], w][1:]) / 1e3 for name in pages for w in times[name]}
    whole = {(name, w): any(f for _, f in SENT[pages[name], w][1:]) for name in pages for w in times[name]}
    load = f"load average {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} CPUs"
    print(f"\nclick to idle page, headless Chromium, example data (200 + 200 x 100 bp, demo model), median of {args.repeats}, "
          f"{args.busy} busy processes; {load}")  # fmt: skip
    names = list(pages)
    print(f"  {'interaction':16s}" + "".join(f"{n[:24]:>25s} {'kB sent':>8s} {'reran':>9s}" for n in names)
          + ("   ratio" if len(names) == 2 else "") + f"   target {TARGET_S} s")  # fmt: skip
    missed = []
    for what in med["this tree"]:
        cells = "".join(
            f"{med[n].get(what, float('nan')):23.2f} s {sent.get((n, what), float('nan')):8.0f} {'page' if whole.get((n, what)) else 'fragment':>9s}"
            for n in names
        )
        ratio = f"{med[names[0]][what] / med['this tree'][what]:7.1f}x" if len(names) == 2 and what in med[names[0]] else ""
        ok = med["this tree"][what] < TARGET_S
        print(f"  {what:16s}{cells}{ratio}   {'met' if ok else 'MISSED'}")
        if not ok:
            missed.append(what)
    for what in missed:
        print(f"  {what}: {med['this tree'][what]:.2f} s > {TARGET_S} s; {'the whole page' if whole['this tree', what] else 'a fragment'} "
              f"reran and {sent['this tree', what]:.0f} kB were sent: it {REASONS[what]} ({load}; a run that sends a few kB "
              "and still takes seconds waits for the CPU, not for work)")  # fmt: skip
    if not missed:
        print(f"  every interaction under {TARGET_S} s at the median")

if __name__ == "__main__":
    main()
