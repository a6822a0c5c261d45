"""Checks of a train / dev / test split before training: class balance, overlap between splits, lengths.

Reported as notes (metrics.json, console); a split that cannot train or
select a model (a dev set with one class only) is an error.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from dnabert.errors import InputError
from dnabert.sequences import reverse_complement
from dnabert.training.tables import LabeledData


def shared_sequences(train: list[str], other: list[str]) -> tuple[int, int]:
    """How many rows of ``other`` occur in ``train`` exactly, and how many as a reverse complement only."""
    seen = set(train)
    exact = sum(s in seen for s in other)
    rc = sum(s not in seen and reverse_complement(s) in seen for s in other)
    return exact, rc


def check_split(train: LabeledData, dev: LabeledData | None, test: LabeledData | None) -> list[str]:
    """Notes on class balance, shared sequences and length spread; InputError for a dev set with one class.

    Parameters
    ----------
    train, dev, test : LabeledData
        dev / test may be None.

    Returns
    -------
    list of str
        One note per finding.
    """
    notes = []
    if dev is not None and len(set(dev.labels)) < 2:
        raise InputError(
            f"{dev.name}: every dev row has the label {dev.labels[0]!r}; the dev set picks the best epoch and the "
            "decision threshold by AUROC and MCC, which need at least two classes. Give a dev set with both classes "
            "(or omit --dev to hold out a stratified share of --train)"
        )
    for data in (train, dev, test):
        if data is None:
            continue
        counts = Counter(data.labels)
        lengths = np.array([len(s) for s in data.seqs])
        notes.append(
            f"{data.name}: {len(data)} rows; classes "
            + ", ".join(f"{c} {n} ({n / len(data):.0%})" for c, n in sorted(counts.items()))
            + f"; length {lengths.min()}..{lengths.max()} bp (median {np.median(lengths):g})"
        )
        if data is train and min(counts.values()) < 0.1 * len(data):
            notes.append(f"{data.name}: the classes are unbalanced (smallest {min(counts.values())} of {len(data)} rows)")
    for data in (dev, test):
        if data is None:
            continue
        exact, rc = shared_sequences(train.seqs, data.seqs)
        if exact or rc:
            notes.append(
                f"{data.name}: {exact} row(s) also in {train.name} and {rc} more whose reverse complement is; "
                "their scores overstate how the model does on new sequences: remove them from one side"
            )
    return notes
