"""Training: fine-tuning, pre-training, the Trainer policy, tables, baselines, thresholds and metrics."""
