"""Switching the attention aggregation in the app: one predict per switch vs one pass for all modes, then cache hits.

    OMP_WAIT_POLICY=PASSIVE python -m bench.bench_aggregation [--rounds 5] [--threads 2]

Input: the app's example data (the 200 positives shipped with the demo model,
the file the Data page loads) and the demo model (a teaching model), as the app
runs them (batches of 32). Per round, interleaved:

* old: one :func:`dnabert.analysis.inference.predict` per switch (``last``, ``mean``,
  ``rollout``), what the app did before every mode came from one pass;
* new: the app's own code path, :func:`explorer.state.run_prediction` run
  without a Streamlit server (its session cache is then a plain in-process
  ``st.session_state``): the first call computes all three modes in one pass
  (:func:`dnabert.analysis.inference.predict_modes`), every switch after it is a cache hit.

Prints wall-clock and CPU seconds (medians over rounds) and the ratios.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import streamlit as st
import torch

from dnabert.loading.checkpoint import DEMO_MODEL_DIR
from dnabert.analysis.inference import predict
from dnabert.options import ATTENTION_MODES
from dnabert.sequences import read_sequences
from explorer import state

SWITCHES = ("mean", "rollout", "last")  # the modes a user switches to after the first view (default "last")


def timed(fn) -> tuple[float, float]:
    """(wall-clock s, CPU s of this process) of ``fn()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (medians are reported)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    logging.disable(logging.WARNING)  # without a server, Streamlit warns at every call that there is no script context
    seqs = read_sequences(DEMO_MODEL_DIR / "example_positives.fa")
    lm = state.current_model()  # the app's default model: the demo (a teaching model)
    lengths = [len(s) for s in seqs.seqs]
    print(f"{len(seqs.seqs)} example sequences ({min(lengths)}-{max(lengths)} bp), demo model, torch threads {args.threads}")
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    predict(lm, seqs.seqs[:8], attention="rollout")  # warm-up (and the SDPA twin)
    old_switch: dict[str, list] = {m: [] for m in SWITCHES}  # mode -> (wall, cpu) per round
    new_first, new_switch = [], []
    for r in range(args.rounds):

        def old():
            for mode in SWITCHES:
                old_switch[mode].append(timed(lambda m=mode: predict(lm, seqs.seqs, batch_size=32, attention=m)))

        def new():
            st.session_state.pop("_results", None)  # a fresh session: nothing cached yet
            new_first.append(timed(lambda: state.run_prediction(seqs, ATTENTION_MODES[0])))
            for mode in SWITCHES:
                new_switch.append(timed(lambda m=mode: state.run_prediction(seqs, m)))

        for run in (old, new) if r % 2 == 0 else (new, old):  # alternate which goes first
            run()
    med = {m: np.median(np.array(x), axis=0) for m, x in old_switch.items()}  # [wall, cpu]
    o = np.mean(list(med.values()), axis=0)  # the mean switch
    f, n = (np.median(np.array(x), axis=0) for x in (new_first, new_switch))
    print(f"{'':38s} {'wall s':>9s} {'CPU s':>9s}")
    for mode, (wall, cpu) in med.items():
        print(f"{'old: predict(attention=' + repr(mode) + ')':38s} {wall:9.3f} {cpu:9.3f}")
    print(f"{'new: first view (all modes, one pass)':38s} {f[0]:9.3f} {f[1]:9.3f}")
    print(f"{'new: each switch (cache hit)':38s} {n[0]:9.5f} {n[1]:9.5f}")
    print(
        f"a switch: old {o[0]:.3f} s, new {n[0] * 1000:.2f} ms wall ({o[0] / n[0]:,.0f}x); first view {f[0] / o[0]:.2f}x an old switch"
    )
    three_old, three_new = sum(w for w, _ in med.values()), f[0] + 2 * n[0]
    print(f"three views (first + 2 switches): old {three_old:.2f} s, new {three_new:.2f} s wall ({three_old / three_new:.1f}x)")


if __name__ == "__main__":
    main()
