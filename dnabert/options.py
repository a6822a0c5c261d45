"""Choices shared by the library, the command line and the app (light: no torch import).

The settings classes here (:class:`ScanWindows`, :class:`EmbeddingMap`) are declared with
:func:`dnabert.params.param`: the command line and the app build their options from them.
"""

from dataclasses import dataclass

from dnabert.params import param, settings

# how attention becomes per-nucleotide scores (see dnabert.analysis.inference); the first is the default
ATTENTION_MODES = ("last", "mean", "rollout")
ATTENTION_HELP = "aggregation: last-layer [CLS] attention (DNABERT-viz, default), mean over layers, or attention rollout"
POOLINGS = ("cls", "mean")  # a sequence's embedding: the [CLS] hidden state, or the mean over content tokens
PROJECTIONS = ("pca", "umap")  # 2-D maps of embeddings
# per-nucleotide evidence a motif run or a deletion curve ranks bases by (see dnabert.analysis.evidence); the first is the default
EVIDENCE_KINDS = ("attention", "attribution", "ism")
EVIDENCE_HELP = (
    "per-nucleotide evidence: attention ([CLS] attention, aggregated as --attention says), attribution (integrated "
    "gradients of the class logit on the token embeddings) or ism (in-silico mutagenesis: the largest |change of log2 "
    "odds| of the class over the substitutions of a base)"
)
EVIDENCE_ALL = "all"  # motifs: every kind, then which motifs the kinds agree on (motif.agreement)
IG_STEPS = 16  # integrated-gradients path points per sequence (midpoint rule; completeness is checked in the tests)
DELETION_FILLS = ("N", "shuffle")  # what replaces a deleted base in a deletion curve (dnabert.analysis.faithfulness); first = default
DELETION_FILL_HELP = (
    "N: replace the deleted bases by N (unknown to the model); shuffle: permute the deleted bases among themselves "
    "(same composition)"
)
DELETION_FRACTIONS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)  # shares of each sequence's bases deleted, top-ranked first
FAITHFULNESS_SEQUENCES = 50  # deletion curves: the first this many sequences (ISM scores 3 mutants per base)


@settings
@dataclass(frozen=True)
class ScanWindows:
    """A sliding-window scan (:mod:`dnabert.analysis.scan`): window length and step, in bp."""

    window: int = param(300, "window length in bp; its tokens must fit the model window", "Window (bp)", low=1, basic=True)
    stride: int = param(50, "step between windows in bp", "Stride (bp)", low=1, basic=True)


@settings
@dataclass(frozen=True)
class EmbeddingMap:
    """A 2-D map of sequence embeddings (:mod:`dnabert.analysis.embeddings`)."""

    pooling: str = param(POOLINGS[0], "[CLS] hidden state or the mean over the content tokens", "Embedding", choices=POOLINGS)
    method: str = param(PROJECTIONS[0], "pca, or umap (needs umap-learn)", "Projection", choices=PROJECTIONS)
