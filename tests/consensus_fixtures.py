"""Planted-consensus data of the original DNABERT motif example (issue 19), from :mod:`dnabert_demo.synthetic`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dnabert_demo.synthetic import ISSUE_CONSENSUS
from dnabert_demo.synthetic import planted_consensus as make


@dataclass
class PlantedConsensus:
    """Positives with one planted site each, negatives, attention; ``starts`` (n,) site starts (0-based)."""

    pos: list[str]
    neg: list[str]
    scores: list[np.ndarray]
    starts: np.ndarray
    consensus: str


def planted_consensus(n: int, consensus: str = ISSUE_CONSENSUS, **kwargs) -> PlantedConsensus:
    """:func:`dnabert_demo.synthetic.planted_consensus` as one record."""
    return PlantedConsensus(*make(n, consensus, **kwargs), consensus)
