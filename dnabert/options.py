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
