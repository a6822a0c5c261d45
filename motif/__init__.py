"""Motif discovery from per-nucleotide attention (DNABERT motif analysis, improved).

Stages, one module each: :mod:`motif.regions` (high-attention regions),
:mod:`motif.candidates` (candidate words), :mod:`motif.enrichment` (counting,
hypergeometric test, Benjamini-Hochberg), :mod:`motif.merge` (assembly of
k-mers into motifs; the original greedy merge), :mod:`motif.pwm` (windows,
PPMs, information content, PWM scanning), :mod:`motif.jaspar` (JASPAR and
TOMTOM), :mod:`motif.meme` (MEME / JASPAR / TRANSFAC files),
:mod:`motif.report` and :mod:`motif.output` (result
files), :mod:`motif.scores` (precomputed attention files), and
:mod:`motif.pipeline` (the whole run, one function). Coordinates are 0-based
and half-open everywhere.
"""
