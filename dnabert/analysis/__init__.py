"""Running a loaded model: predictions, attention tracks, scans, variants, attribution, embeddings."""
