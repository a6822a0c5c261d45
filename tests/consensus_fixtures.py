"""Planted-consensus data in the style of the original DNABERT motif example (issue 19).

Positives: uniform random 100-bp background with one site of a consensus
(default ``CCGCGNGGNGGCAG``, N drawn uniformly per site) on the forward
strand at a random offset. Negatives: uniform random background.
Attention: :func:`motif_fixtures.attention_track` (sharp regime) with the
peak on the site in a fraction ``hit_rate`` of positives (elsewhere in the
others) and a half-height decoy stretch of ``decoy`` bases at a random place.
With ``hit_rate`` below 1 and 30-bp decoys, 10k + 10k positives make the
assembly report the planted motif more than once (other offsets, the other
strand) and add edge fragments: the two failures of issue 19.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from motif_fixtures import attention_track, random_dna

ISSUE_CONSENSUS = "CCGCGNGGNGGCAG"


@dataclass
class PlantedConsensus:
    """Positives with one planted site each, negatives, attention; ``starts`` (n,) site starts (0-based)."""

    pos: list[str]
    neg: list[str]
    scores: list[np.ndarray]
    starts: np.ndarray
    consensus: str


def planted_consensus(
    n: int, consensus: str = ISSUE_CONSENSUS, hit_rate: float = 0.7, decoy: int = 30, length: int = 100, seed: int = 0
) -> PlantedConsensus:
    """n positives and n negatives (see the module docstring)."""
    rng = np.random.default_rng(seed)
    pos = random_dna(rng, n, length)
    w = len(consensus)
    scores, starts = [], []
    for i in range(n):
        site = "".join("ACGT"[rng.integers(4)] if c == "N" else c for c in consensus)
        start = int(rng.integers(5, length - w - 5))
        pos[i] = pos[i][:start] + site + pos[i][start + w :]
        decoy_start = int(rng.integers(0, length - decoy))
        peak = (start, start + w)
        if rng.random() >= hit_rate:
            other = int(rng.integers(0, length - w))
            peak = (other, other + w)
        scores.append(attention_track(rng, length, peak, (decoy_start, decoy_start + decoy), "sharp"))
        starts.append(start)
    return PlantedConsensus(pos, random_dna(rng, n, length), scores, np.array(starts), consensus)
