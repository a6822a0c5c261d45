"""Pay memelite's TOMTOM compilation once per machine, ahead of the first motif search.

memelite compiles TOMTOM with numba on its first call (about 40 CPU s) and keeps
the machine code in numba's on-disk cache (``cache=True``): next to memelite's
sources, or in the user's cache folder when that is read-only, or under
``NUMBA_CACHE_DIR`` when set. A later process then loads it in a fraction of a
second. :func:`warm_tomtom` makes that first call on a real JASPAR search;
:func:`warm_tomtom_in_background` runs it in a separate process (so a cold
compile holds no lock of the caller), then loads the cached code into this one.

    python -m motif.warmup      # compile now, e.g. after installing
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def warm_tomtom() -> float:
    """Run TOMTOM once, two JASPAR motifs against the JASPAR vertebrate CORE collection.

    Returns
    -------
    float
        Seconds taken (compiling or loading the compiled code, then matching).
    """
    from motif.jaspar import load_jaspar, match_motifs

    t0 = time.perf_counter()
    database = load_jaspar()
    match_motifs([database.ppms[0], database.ppms[-1]], database)
    return time.perf_counter() - t0


def warm_tomtom_in_background() -> threading.Thread:
    """Start a daemon thread that compiles TOMTOM in a child process, then loads it here.

    Returns at once; failures are left to the first real search, which compiles as usual.
    """

    def run() -> None:
        subprocess.run([sys.executable, "-m", "motif.warmup"], cwd=_ROOT, capture_output=True, check=False)
        warm_tomtom()

    thread = threading.Thread(target=run, name="tomtom-warmup", daemon=True)
    thread.start()
    return thread


if __name__ == "__main__":
    print(f"TOMTOM ready in {warm_tomtom():.1f} s")
