"""Scan throughput (windows per second): the local engine against the Ray engine with 1 and 2 workers.

    OMP_WAIT_POLICY=PASSIVE python bench/bench_ray.py [--model demo] [--length 20000] [--rounds 3]

A random sequence of ``--length`` bp is scanned at window 300 / stride 50
(the ``scan`` defaults). The local engine is one
:func:`dnabert.analysis.inference.predict` call over all windows in this process, with
``--threads`` torch threads (the local command's behaviour); the Ray engine
runs the same windows as shards of ``--shard-size`` windows
(:func:`dnabert.analysis.distributed.scan_tasks`) on a local Ray cluster of 2 CPUs
started once, with 1 or 2 single-threaded model workers, into a fresh shard
folder each time. Ray times include starting the workers and sending them
the model; "after start-up" counts only the windows of the shards finished
after the first one, over the time from the first shard to the last (the
rate once the workers run). The three are run in turn, ``--rounds`` times;
the best of each is reported with its ratio to the local engine.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import ray
import torch

from dnabert.loading.checkpoint import load_model
from dnabert.analysis.distributed import RayEngine, merge_scan, scan_tasks
from dnabert.analysis.inference import predict
from dnabert.analysis.scan import scan_starts

WINDOW, STRIDE = 300, 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo")
    parser.add_argument("--length", type=int, default=60000, help="bp scanned (default 60000)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads of the local engine (default 2)")
    parser.add_argument("--shard-size", type=int, default=64, help="windows per Ray shard (default 64)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    lm = load_model(args.model)
    seq = "".join(np.random.default_rng(0).choice(list("ACGT"), size=args.length))
    starts = scan_starts(len(seq), WINDOW, STRIDE)
    pieces = [seq[s : s + WINDOW] for s in starts]
    tasks, owner = scan_tasks([seq], [starts], WINDOW, args.batch_size, args.shard_size)
    print(f"model {lm.path} (k={lm.k}); {len(pieces)} windows of {WINDOW} bp; {len(tasks)} Ray shards")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    predict(lm, pieces[:8], args.batch_size, attention=None)  # warm-up
    reference = predict(lm, pieces, args.batch_size, attention=None).probs

    def local() -> np.ndarray:
        return predict(lm, pieces, args.batch_size, attention=None).probs

    steady: dict[str, list[float]] = {}

    def on_ray(name: str, workers: int):
        def run() -> np.ndarray:
            stamps = []
            with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
                engine = RayEngine(Path(tmp) / "shards", num_workers=workers, log=lambda _msg: None)
                results = engine.run(lm, tasks, progress=lambda _done, _total: stamps.append(time.perf_counter()))
            later = len(pieces) - len(results[0]["probs"])  # shards are equal but the last: any first shard has this size
            steady.setdefault(name, []).append(later / (stamps[-1] - stamps[0]))
            return merge_scan(results, owner, 1)[0]

        return run

    engines = {"local": local, "ray, 1 worker": on_ray("ray, 1 worker", 1), "ray, 2 workers": on_ray("ray, 2 workers", 2)}
    times: dict[str, list[float]] = {name: [] for name in engines}
    for r in range(args.rounds):
        for name, fn in engines.items():
            t0 = time.perf_counter()
            probs = fn()
            times[name].append(time.perf_counter() - t0)
            assert np.allclose(probs, reference, atol=1e-5), f"{name}: results differ from the local engine"
            print(f"round {r + 1} {name:>15}: {times[name][-1]:7.2f} s", flush=True)
    ray.shutdown()
    base = len(pieces) / min(times["local"])
    print(f"\n{'engine':>15} {'windows/s':>10} {'vs local':>9} {'after start-up':>15} {'vs local':>9}")
    for name, t in times.items():
        speed = len(pieces) / min(t)
        line = f"{name:>15} {speed:10.1f} {speed / base:9.2f}"
        if name in steady:
            line += f" {max(steady[name]):15.1f} {max(steady[name]) / base:9.2f}"
        print(line)


if __name__ == "__main__":
    main()
