"""Planted-motif data with synthetic attention, shared by the motif tests and ``bench/bench_motif.py``.

Positives: uniform random background with one site per sequence, sampled
from a JASPAR matrix (pyjaspar, JASPAR 2024 CORE vertebrates) with
:func:`dnabert.synthetic.sample_site` (relative score >= 0.8), on a random
strand. Negatives: uniform random background.

Synthetic attention imitates DNABERT-viz tracks: a per-k-mer score (k = 6)
averaged onto the nucleotides, L2-normalised. Regimes:

``sharp``
    near-zero baseline (exponential, scale 0.02) with a peak of height 1 on
    the site, like a well-trained model's last layer.
``diffuse``
    baseline around 1 with a peak of height 1 (attention rollout, mean over
    layers, a weakly trained model): the peak is only about twice the
    baseline, never 10x the minimum.

In both, a fraction ``1 - hit_rate`` of positives has the peak at a random
place instead of the site, and every positive also gets a decoy peak of
half height at a random place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from dnabert.inference import kmer_to_nucleotide, l2_normalize
from dnabert.synthetic import log_odds, sample_site
from motif.jaspar import load_jaspar

PLANTED = {"NRF1": "MA0506.3", "CTCF": "MA0139.2", "REST": "MA0138.3"}
REGIMES = {"sharp": (0.02, 0.0), "diffuse": (0.2, 1.0)}  # (noise scale, baseline)


@dataclass
class Planted:
    """Planted-motif data: positives with sites, negatives, attention of the positives.

    Attributes
    ----------
    pos, neg : list of str
    scores : list of np.ndarray
        One float32 track per positive.
    sites : pandas.DataFrame
        One row per positive: motif, jaspar_id, start, end (0-based, half-open), strand.
    """

    pos: list[str]
    neg: list[str]
    scores: list[np.ndarray]
    sites: pd.DataFrame


def jaspar_ppm(matrix_id: str) -> np.ndarray:
    """The (4, W) PPM of a JASPAR 2024 CORE vertebrate matrix."""
    return load_jaspar().ppm(matrix_id)


def random_dna(rng: np.random.Generator, n: int, length: int) -> list[str]:
    letters = np.array(list("ACGT"))
    return ["".join(row) for row in letters[rng.integers(0, 4, size=(n, length))]]


def attention_track(
    rng: np.random.Generator, length: int, peak: tuple[int, int], decoy: tuple[int, int], regime: str, k: int = 6
) -> np.ndarray:
    """One synthetic per-nucleotide track with a peak on [start, end) and a half-height decoy."""
    scale, baseline = REGIMES[regime]
    kmer_scores = baseline + rng.exponential(scale, length - k + 1)
    for (start, end), height in ((peak, 1.0), (decoy, 0.5)):
        kmer_scores[max(start - k + 1, 0) : end] += height
    return l2_normalize(kmer_to_nucleotide(kmer_scores, k)).astype(np.float32)


def make_planted(
    n_pos: int,
    n_neg: int,
    motifs: tuple[str, ...] = ("NRF1", "CTCF", "REST"),
    length: int = 100,
    regime: str = "sharp",
    hit_rate: float = 0.9,
    seed: int = 0,
) -> Planted:
    """Planted-motif positives, random negatives and synthetic attention (see the module docstring)."""
    rng = np.random.default_rng(seed)
    ppms = [jaspar_ppm(PLANTED[m]) for m in motifs]
    pwms = [log_odds(p) for p in ppms]
    pos = random_dna(rng, n_pos, length)
    scores, rows = [], []
    for i in range(n_pos):
        m = int(rng.integers(len(motifs)))
        site, _ = sample_site(ppms[m], rng, 0.8, pwms[m])
        w = len(site)
        start = int(rng.integers(5, length - w - 5))
        strand = "+" if rng.random() < 0.5 else "-"
        placed = site if strand == "+" else site.translate(str.maketrans("ACGT", "TGCA"))[::-1]
        pos[i] = pos[i][:start] + placed + pos[i][start + w :]
        rows.append({"motif": motifs[m], "jaspar_id": PLANTED[motifs[m]], "start": start, "end": start + w, "strand": strand})
        decoy_start = int(rng.integers(0, length - 10))
        peak = (start, start + w)
        if rng.random() >= hit_rate:
            other = int(rng.integers(0, length - w))
            peak = (other, other + w)
        scores.append(attention_track(rng, length, peak, (decoy_start, decoy_start + 10), regime))
    return Planted(pos, random_dna(rng, n_neg, length), scores, pd.DataFrame(rows))


@pytest.fixture(scope="session")
def tomtom_warm() -> None:
    """Compile TOMTOM once per test session (memelite JIT: ~40 s cold, cached on disk after) on JASPAR matrices.

    Use with ``pytestmark = pytest.mark.usefixtures("tomtom_warm")``.
    """
    from memelite import tomtom

    db = load_jaspar()
    tomtom([db.ppms[0]], list(db.ppms[:60]))
