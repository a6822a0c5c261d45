"""DNABERT: k-mer tokenizer, checkpoints, training and inference for DNA language models."""
