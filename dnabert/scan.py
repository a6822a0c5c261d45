"""Sliding-window scans of long sequences: where the windows start and the table of their probabilities."""

from __future__ import annotations

import numpy as np
import pandas as pd


def scan_starts(length: int, window: int, stride: int) -> np.ndarray:
    """Start of every window of a scan along a sequence of ``length`` bp.

    Windows start every ``stride`` bp from 0; one more window ends at the
    sequence end when the stride does not reach it (so the 3' end is covered).
    A sequence shorter than ``window`` gets one window, the whole sequence.

    Returns
    -------
    np.ndarray, shape (m,), int64
        0-based starts; window i is ``[starts[i], min(starts[i] + window, length))``.
    """
    starts = np.arange(0, max(length - window, 0) + 1, stride, dtype=np.int64)
    if starts[-1] + window < length:
        starts = np.append(starts, length - window)
    return starts


def scan_table(
    ids: list[str], lengths: list[int], starts: list[np.ndarray], probs: list[np.ndarray], window: int, labels: list[str]
) -> pd.DataFrame:
    """One row per window: id, start, end (0-based, half-open), ``p_<label>`` per class.

    Parameters
    ----------
    ids, lengths : list
        Per sequence: its id and length in bp.
    starts : list of np.ndarray
        Per sequence, shape (m_i,): :func:`scan_starts`.
    probs : list of np.ndarray
        Per sequence, shape (m_i, C): class probabilities of its windows.
    window : int
    labels : list of str
        The C class names.
    """
    all_starts = np.concatenate(starts)
    table = pd.DataFrame(
        {
            "id": np.repeat(ids, [len(s) for s in starts]),
            "start": all_starts,
            "end": np.minimum(all_starts + window, np.repeat(lengths, [len(s) for s in starts])),
        }
    )
    stacked = np.concatenate(probs)
    for c, label in enumerate(labels):
        table[f"p_{label}"] = stacked[:, c]
    return table
