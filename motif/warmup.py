"""Pay memelite's TOMTOM compilation once per machine, for large query sets.

A motif run compares a few motifs with a database, which :mod:`motif.tomtom`
does in NumPy: the app and the command line never wait for a compiler. More
than :data:`motif.tomtom.NUMPY_MAX_QUERIES` queries per call go to memelite's
numba code, compiled on its first call (40 s or more) and kept in numba's
on-disk cache (``cache=True``: next to memelite's sources, in the user's cache
folder when that is read-only, or under ``NUMBA_CACHE_DIR``). Compile it ahead:

    python -m motif.warmup
"""

from __future__ import annotations

import time


def warm_tomtom() -> float:
    """Run memelite's compiled TOMTOM once, two JASPAR motifs against the JASPAR vertebrate CORE collection.

    Returns
    -------
    float
        Seconds taken (compiling or loading the compiled code, then matching).
    """
    from memelite import tomtom

    from motif.jaspar import load_jaspar

    t0 = time.perf_counter()
    database = load_jaspar()
    tomtom([database.ppms[0], database.ppms[-1]], list(database.ppms))
    return time.perf_counter() - t0


if __name__ == "__main__":
    print(f"TOMTOM (numba) ready in {warm_tomtom():.1f} s")
