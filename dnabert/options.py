"""Choices shared by the library, the command line and the app (light: no torch import).

The settings classes here (:class:`ScanWindows`, :class:`EmbeddingMap`) are declared with
:func:`dnabert.params.param`: the command line and the app build their options from them.
"""

from dataclasses import dataclass

from dnabert.params import param, settings

# how attention becomes per-nucleotide scores (see dnabert.inference); the first is the default
ATTENTION_MODES = ("last", "mean", "rollout")
ATTENTION_HELP = "aggregation: last-layer [CLS] attention (DNABERT-viz, default), mean over layers, or attention rollout"
POOLINGS = ("cls", "mean")  # a sequence's embedding: the [CLS] hidden state, or the mean over content tokens
PROJECTIONS = ("pca", "umap")  # 2-D maps of embeddings


@settings
@dataclass(frozen=True)
class ScanWindows:
    """A sliding-window scan (:mod:`dnabert.scan`): window length and step, in bp."""

    window: int = param(300, "window length in bp; its tokens must fit the model window", "Window (bp)", low=1, basic=True)
    stride: int = param(50, "step between windows in bp", "Stride (bp)", low=1, basic=True)


@settings
@dataclass(frozen=True)
class EmbeddingMap:
    """A 2-D map of sequence embeddings (:mod:`dnabert.embeddings`)."""

    pooling: str = param(POOLINGS[0], "[CLS] hidden state or the mean over the content tokens", "Embedding", choices=POOLINGS)
    method: str = param(PROJECTIONS[0], "pca, or umap (needs umap-learn)", "Projection", choices=PROJECTIONS)
