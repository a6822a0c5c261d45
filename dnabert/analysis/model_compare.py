"""Two models on the same sequences: probabilities side by side and the agreement of their attention tracks.

Per-nucleotide tracks have one value per base whatever the tokenizer, so two
models with different k (or a pre-trained model and its fine-tuned version)
compare base by base. Agreement per sequence: Pearson r and Spearman rho of
the two tracks (NaN where a track is constant).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from dnabert.loading.checkpoint import LoadedModel
from dnabert.analysis.inference import Prediction, predict
from dnabert.training.threshold import predicted_labels


@dataclass
class Comparison:
    """Outputs of two models for n sequences.

    Attributes
    ----------
    a, b : Prediction
        Each model's probabilities (n, C_a) / (n, C_b) and tracks (L_i,).
    pearson, spearman : np.ndarray, shape (n,), float64
        Agreement of the two attention tracks of each sequence.
    """

    a: Prediction
    b: Prediction
    pearson: np.ndarray
    spearman: np.ndarray


def track_agreement(tracks_a: list[np.ndarray], tracks_b: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Pearson r and Spearman rho of paired tracks: two (n,) arrays (NaN for a constant track)."""
    pearson = np.full(len(tracks_a), np.nan)
    spearman = np.full(len(tracks_a), np.nan)
    for i, (x, y) in enumerate(zip(tracks_a, tracks_b)):
        if len(x) != len(y):
            raise ValueError(f"track {i}: lengths {len(x)} and {len(y)} differ")
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if len(x) > 1 and x.std() > 0 and y.std() > 0:
            pearson[i] = np.corrcoef(x, y)[0, 1]
            spearman[i] = spearmanr(x, y).statistic
    return pearson, spearman


def compare_models(
    lm_a: LoadedModel, lm_b: LoadedModel, seqs: list[str], attention: str = "last", batch_size: int = 32
) -> Comparison:
    """Run both models on ``seqs`` (each at least max(k_a, k_b) long) and measure track agreement."""
    a = predict(lm_a, seqs, batch_size, attention=attention)
    b = predict(lm_b, seqs, batch_size, attention=attention)
    pearson, spearman = track_agreement(a.scores, b.scores)
    return Comparison(a, b, pearson, spearman)


def comparison_table(ids: list[str], lengths: list[int], comp: Comparison, lm_a: LoadedModel, lm_b: LoadedModel) -> pd.DataFrame:
    """One row per sequence: id, length, ``A_p_<label>``, ``A_predicted``, ``B_p_<label>``, ``B_predicted`` (each
    model's classes and its own class rule, :func:`dnabert.training.threshold.predicted_labels`), pearson, spearman."""
    table = pd.DataFrame({"id": ids, "length": lengths})
    for tag, lm, pred in (("A", lm_a, comp.a), ("B", lm_b, comp.b)):
        for c, label in enumerate(lm.labels):
            table[f"{tag}_p_{label}"] = pred.probs[:, c]
        table[f"{tag}_predicted"] = predicted_labels(lm, pred.probs)
    table["pearson"] = comp.pearson
    table["spearman"] = comp.spearman
    return table
