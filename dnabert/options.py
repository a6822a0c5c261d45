"""Choices shared by the library, the command line and the app (light: no torch import)."""

# how attention becomes per-nucleotide scores (see dnabert.inference); the first is the default
ATTENTION_MODES = ("last", "mean", "rollout")
ATTENTION_HELP = "aggregation: last-layer [CLS] attention (DNABERT-viz, default), mean over layers, or attention rollout"
POOLINGS = ("cls", "mean")  # a sequence's embedding: the [CLS] hidden state, or the mean over content tokens
PROJECTIONS = ("pca", "umap")  # 2-D maps of embeddings
SCAN_WINDOW = 300  # bp: default window of a sliding-window scan (dnabert.scan)
SCAN_WINDOW_HELP = "window length in bp; its tokens must fit the model window"
SCAN_STRIDE = 50  # bp: default step between the starts of neighbouring scan windows
SCAN_STRIDE_HELP = "step between windows in bp"
# per-nucleotide evidence a motif run or a deletion curve ranks bases by (see dnabert.evidence); the first is the default
EVIDENCE_KINDS = ("attention", "attribution", "ism")
EVIDENCE_HELP = (
    "per-nucleotide evidence: attention ([CLS] attention, aggregated as --attention says), attribution (integrated "
    "gradients of the class logit on the token embeddings) or ism (in-silico mutagenesis: the largest |change of log2 "
    "odds| of the class over the substitutions of a base)"
)
EVIDENCE_ALL = "all"  # motifs: every kind, then which motifs the kinds agree on (motif.agreement)
IG_STEPS = 16  # integrated-gradients path points per sequence (midpoint rule; completeness is checked in the tests)
DELETION_FILLS = ("N", "shuffle")  # what replaces a deleted base in a deletion curve (dnabert.faithfulness); first = default
DELETION_FILL_HELP = (
    "N: replace the deleted bases by N (unknown to the model); shuffle: permute the deleted bases among themselves "
    "(same composition)"
)
DELETION_FRACTIONS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)  # shares of each sequence's bases deleted, top-ranked first
FAITHFULNESS_SEQUENCES = 50  # deletion curves: the first this many sequences (ISM scores 3 mutants per base)
