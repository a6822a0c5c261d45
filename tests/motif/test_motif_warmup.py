"""TOMTOM warm-up: memelite's numba code is disk-cached, and warm_tomtom leaves it compiled here."""

import importlib

import numba
import numpy as np

from motif.jaspar import load_jaspar, match_motifs
from motif.warmup import warm_tomtom


def _jitted():
    tt = importlib.import_module("memelite.tomtom")  # the module (memelite.tomtom is also the function)
    return {name: f for name, f in vars(tt).items() if isinstance(f, numba.core.registry.CPUDispatcher)}


def test_memelite_tomtom_uses_numba_disk_cache():
    jitted = _jitted()
    assert len(jitted) > 5
    # cache=True: machine code goes to (and is read from) numba's on-disk cache, not only memory
    assert all(type(f._cache).__name__ == "FunctionCache" for f in jitted.values())


def test_warmup_compiles_tomtom_in_this_process():
    assert warm_tomtom() > 0
    assert sum(len(f.signatures) for f in _jitted().values()) > 0
    # and a match gives TOMTOM's answer: a JASPAR motif's best match is itself
    database = load_jaspar()
    matches = match_motifs([database.ppms[5]], database, top=1)
    assert matches["target_id"].tolist() == [database.ids[5]] and matches["offset"].tolist() == [0]
    assert np.isclose(matches["overlap"][0], database.ppms[5].shape[1])
