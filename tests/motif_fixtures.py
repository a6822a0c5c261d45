"""Planted-motif data with synthetic attention for the motif tests (built by :mod:`dnabert_demo.synthetic`).

Motifs are named here by TF and mapped to JASPAR 2024 matrices by :data:`PLANTED`
(tests may add entries). See :func:`dnabert_demo.synthetic.planted_with_attention` for
the data: uniform background, one sampled site per positive on a random strand,
uniform negatives, and DNABERT-viz-like attention with ``sharp`` or ``diffuse``
peaks on the sites (a fraction ``1 - hit_rate`` elsewhere) and decoy peaks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from dnabert_demo.synthetic import planted_with_attention
from motif.jaspar import load_jaspar

PLANTED = {"NRF1": "MA0506.3", "CTCF": "MA0139.2", "REST": "MA0138.3"}


@dataclass
class Planted:
    """Positives (with sites), negatives, and the attention of the positives.

    Attributes
    ----------
    pos, neg : list of str
    scores : list of np.ndarray
        One float32 track per positive.
    sites : pandas.DataFrame
        One row per positive, in the order of ``pos``: motif (the TF name),
        jaspar_id, start, end (0-based, half-open), strand.
    """

    pos: list[str]
    neg: list[str]
    scores: list[np.ndarray]
    sites: pd.DataFrame


def make_planted(
    n_pos: int,
    n_neg: int,
    motifs: tuple[str, ...] = ("NRF1", "CTCF", "REST"),
    length: int = 100,
    regime: str = "sharp",
    hit_rate: float = 0.9,
    seed: int = 0,
) -> Planted:
    """:func:`dnabert_demo.synthetic.planted_with_attention` with TF names, split into positives and negatives."""
    data, scores = planted_with_attention(n_pos, n_neg, tuple(PLANTED[m] for m in motifs), length, regime, hit_rate, seed)
    pos_ids = [i for i, y in zip(data.ids, data.labels) if y == 1]
    sites = data.sites.set_index("id").loc[pos_ids].reset_index(drop=True)
    sites["motif"] = [dict(zip(PLANTED.values(), PLANTED.keys()))[j] for j in sites["jaspar_id"]]
    return Planted(
        pos=[s for s, y in zip(data.seqs, data.labels) if y == 1],
        neg=[s for s, y in zip(data.seqs, data.labels) if y == 0],
        scores=scores,
        sites=sites[["motif", "jaspar_id", "start", "end", "strand"]],
    )


@pytest.fixture(scope="session")
def tomtom_warm() -> None:
    """Compile TOMTOM once per test session (memelite JIT: ~40 s cold, cached on disk after) on JASPAR matrices.

    Use with ``pytestmark = pytest.mark.usefixtures("tomtom_warm")``.
    """
    from memelite import tomtom

    db = load_jaspar()
    tomtom([db.ppms[0]], list(db.ppms[:60]))
