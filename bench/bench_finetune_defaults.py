"""The Models page's and the command line's default fine-tuning: the same settings, the same run, the same verdict.

Usage::

    python bench/bench_finetune_defaults.py              # 1000 rows of 101 bp (CTCF-like sizes), from the demo model
    python bench/bench_finetune_defaults.py --n 300      # a quick look

One labelled table (:func:`dnabert_demo.synthetic.make_planted_dataset`: half the
rows with a planted CTCF site, negatives half background, half shuffled
positives). The command line's defaults are the options of
``dnabert finetune --model demo --train T --out O`` with nothing else; the
page's are its widgets' defaults (the declared fields,
:mod:`dnabert.training.settings`). The two settings objects are checked
equal, then both runs are timed in this process, interleaved (CLI, page):
``dnabert finetune`` through its entry point (console captured) and the
page's call (:func:`dnabert.training.seeds.finetune_seeds` with the widgets'
settings). Prints the seconds of each and their ratio, and checks that the
console, ``metrics.json`` and the Models page (AppTest) state the same
verdict and interval. The demo model is a teaching model; so are these numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="rows (half positive)")
    ap.add_argument("--length", type=int, default=101)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    import torch
    from streamlit.testing.v1 import AppTest

    from dnabert_demo.synthetic import make_planted_dataset, write_table
    from dnabert.training.settings import FinetuneSettings
    from dnabert.training.seeds import finetune_seeds
    from dnabert.training.tables import read_labeled
    from dnabert.training.summary import verdict_line
    from explorer.cli import build_parser, main as cli_main
    from explorer.cli.params import settings_from_args

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        data = make_planted_dataset(args.n // 2, args.n - args.n // 2, length=args.length, motifs=("MA0139.2",), seed=11)
        write_table(work / "table.tsv", data)
        argv = ["finetune", "--model", "demo", "--train", str(work / "table.tsv"), "--out", str(work / "cli")]
        parsed = build_parser().parse_args(argv)
        cli_settings = settings_from_args(FinetuneSettings, parsed)
        page_settings = FinetuneSettings()  # every page widget starts at its field's default
        assert cli_settings == page_settings, (cli_settings, page_settings)
        print(f"settings: the CLI's and the page's defaults are equal ({parsed.recipe} recipe): {page_settings}")

        t0 = time.perf_counter()
        console = io.StringIO()
        with contextlib.redirect_stderr(console):
            assert cli_main([*argv, "--threads", str(args.threads)]) == 0
        t_cli = time.perf_counter() - t0
        t0 = time.perf_counter()
        (work / "root").mkdir()
        finetune_seeds(read_labeled(work / "table.tsv"), work / "root" / "page", model="demo", settings=page_settings,
                       log=lambda _: None)  # fmt: skip
        t_page = time.perf_counter() - t0

        rec_cli = json.loads((work / "cli" / "metrics.json").read_text())
        rec_page = json.loads((work / "root" / "page" / "metrics.json").read_text())
        line = verdict_line(rec_cli)
        assert line in console.getvalue() or line.split(": ", 1)[1] in console.getvalue(), "console and metrics.json differ"
        os.environ["DNABERT_MODEL_DIRS"] = str(work / "root")
        at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "explorer" / "app.py"), default_timeout=300).run()
        at.selectbox(key="model_name").set_value("root/page").run()
        at.switch_page("../pages/models.py").run()
        shown = " ".join(e.value for e in [*at.success, *at.warning])
        page_line = verdict_line(rec_page)
        assert page_line.split(": ", 1)[1] in shown, "Models page and metrics.json differ"
        print(f"rows: {args.n} of {args.length} bp; train / dev / test {rec_cli['n_train']} / {rec_cli['n_dev']} / {rec_cli['n_test']}")
        print(f"CLI default:  {t_cli:7.1f} s, {rec_cli['steps']} steps; {line}")
        print(f"page default: {t_page:7.1f} s, {rec_page['steps']} steps; {page_line}")
        print(f"page / CLI time: {t_page / t_cli:.2f}; same verdict and interval: {rec_cli['comparison'] == rec_page['comparison']}")
        print("console, metrics.json and the Models page state the same verdict and interval: yes")


if __name__ == "__main__":
    main()
