"""Loading a model: checkpoint folders, their checks, Hugging Face ids, what a loaded model takes."""
