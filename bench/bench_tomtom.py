"""TOMTOM's first call in a fresh process: NumPy (motif.tomtom) vs memelite's numba code, cold and warm.

    python -m bench.bench_tomtom [--rounds 2]

Each measurement is a new Python process matching 2 motifs against the JASPAR 2024
vertebrate CORE collection, first with :func:`motif.jaspar.match_motifs` (the app's
and the command line's path: NumPy, nothing to compile), then with memelite's
``tomtom`` (numba); for each, the first call (for numba: compile or cache load,
then matching) and a second call in the same process. The cold run points
``NUMBA_CACHE_DIR`` to a new empty folder; the warm runs reuse that folder, as every
later process on the machine does. The cold run takes minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child() -> None:
    """Time the first and second TOMTOM call of this process; print them as JSON."""
    sys.path.insert(0, str(ROOT))
    from motif.jaspar import load_jaspar, match_motifs

    from memelite import tomtom

    database = load_jaspar()
    queries = [database.ppms[0], database.ppms[-1]]
    times = []
    for fn in (lambda: match_motifs(queries, database), lambda: tomtom(queries, list(database.ppms))):
        for _ in range(2):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    print(json.dumps({"first": times[0], "second": times[1], "numba_first": times[2], "numba_second": times[3]}))


def run_child(cache_dir: str) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_tomtom", "--child"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process"] = time.perf_counter() - t0
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="warm processes after the cold one")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache_dir:
        cold = run_child(cache_dir)
        warm = [run_child(cache_dir) for _ in range(args.rounds)]
    print(f"{'process':>8} {'NumPy first s':>14} {'second s':>9} {'numba first s':>14} {'second s':>9} {'whole process s':>16}")
    for name, r in [("cold", cold)] + [(f"warm {i + 1}", w) for i, w in enumerate(warm)]:
        print(f"{name:>8} {r['first']:>14.2f} {r['second']:>9.3f} {r['numba_first']:>14.2f} {r['numba_second']:>9.3f} {r['process']:>16.1f}")
    best = min(w["numba_first"] for w in warm)
    print(f"numba first call, cold / warm cache: {cold['numba_first'] / best:.0f}x; "
          f"on a cold cache the NumPy first call is {cold['numba_first'] / cold['first']:.0f}x faster than numba's")  # fmt: skip


if __name__ == "__main__":
    main()
