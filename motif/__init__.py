"""Motif discovery from attention scores: regions, enrichment, assembly, PWMs, JASPAR, MEME."""
