"""Both DNA strands: reverse-complement augmentation for training and averaging at prediction time.

A regulatory site reads the same on either strand, but a k-mer model sees
the + strand only. ``--rc-augment`` adds the reverse complement of every
training sequence (same label); ``--rc-average`` scores a sequence and its
reverse complement and averages the two class-probability rows.
"""

from __future__ import annotations

import numpy as np

from dnabert.sequences import reverse_complement
from dnabert.training.tables import LabeledData


def rc_augment(data: LabeledData) -> LabeledData:
    """``data`` followed by the reverse complement of each row (same label, id + ``"_rc"``); 2n rows."""
    return LabeledData(
        data.seqs + [reverse_complement(s) for s in data.seqs],
        data.labels + data.labels,
        data.ids + [f"{i}_rc" for i in data.ids],
        f"{data.name} (+ reverse complements)",
    )


def predict_probs(lm, seqs: list[str], batch_size: int = 32, rc_average: bool = False, progress=False) -> np.ndarray:
    """Class probabilities (n, C) of :func:`dnabert.analysis.inference.predict`; with ``rc_average`` the
    mean of the rows for each sequence and for its reverse complement."""
    from dnabert.analysis.inference import predict

    probs = predict(lm, seqs, batch_size, attention=None, progress=progress).probs
    if not rc_average:
        return probs
    rc = predict(lm, [reverse_complement(s) for s in seqs], batch_size, attention=None, progress=progress).probs
    return (probs + rc) / 2
