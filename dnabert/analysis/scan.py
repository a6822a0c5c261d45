"""Sliding-window scans of long sequences: the windows, their probabilities and the table of them.

The window and the stride (bp) are declared in :class:`dnabert.options.ScanWindows`, read by the
``scan`` command and the app's Scan page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dnabert.errors import InputError
from dnabert.options import ScanWindows

if TYPE_CHECKING:
    from dnabert.loading.checkpoint import LoadedModel


MIN_WINDOWS = 5  # a default window and stride give every sequence at least this many windows (when it has 24 bp)


def default_window(length: int) -> tuple[int, int]:
    """Window and stride (bp) that suit a sequence of ``length`` bp (the Scan page's defaults).

    The declared window and stride (:class:`~dnabert.options.ScanWindows`) when they give at least
    :data:`MIN_WINDOWS` windows; for shorter sequences half the sequence (at least
    12 bp, or the whole of a shorter one), with a stride of a fifth of the window:
    six windows (a 100-bp sequence: 50-bp windows every 10 bp).

    Returns
    -------
    window, stride : int
    """
    declared = ScanWindows()
    if length >= declared.window + (MIN_WINDOWS - 1) * declared.stride:
        return declared.window, declared.stride
    window = max(min(declared.window, length // 2), min(length, 12), 1)
    return window, max(1, window // 5)


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


def check_scan(
    lm: LoadedModel, ids: list[str], seqs: list[str], starts: list[np.ndarray], window: int, name: str = "window"
) -> None:
    """Refuse a window that gives no token, or a window piece with more tokens than the model window.

    With k-mers the window length decides (at most ``window_bases`` bp); BPE and
    6-mer token counts depend on the bases, so every piece is checked.
    ``name`` is how the message calls the window (``"--window"`` on the command line).
    """
    from dnabert.loading.model_info import shortest_bases, token_count, window_bases

    if window < shortest_bases(lm):
        raise InputError(f"{name} {window} is shorter than {lm.tokenizer.shortest_text}")
    if lm.tokenizer.separable_windows:  # the length decides the tokens
        if window > window_bases(lm):
            raise InputError(
                f"{name} {window} gives more {lm.tokenizer.unit} than the model window ({lm.window}); "
                f"use at most {window_bases(lm)}"
            )
        return
    for rid, seq, st in zip(ids, seqs, starts):
        for start in st:
            piece = seq[start : start + window]
            n = token_count(lm, piece)
            if n > lm.window:
                raise InputError(
                    f"{name} {window} bp gives {n} {lm.tokenizer.name} tokens in sequence '{rid}' at {start}, more than "
                    f"the model window of {lm.window} tokens ({lm.family}); use a {name} of at most "
                    f"{len(piece) * lm.window // n} bp"
                )


def scan_probs(
    lm: LoadedModel,
    seqs: list[str],
    starts: list[np.ndarray],
    window: int,
    batch_size: int = 32,
    progress: bool | Callable[[int, int], None] = False,
) -> list[np.ndarray]:
    """Class probabilities of every scan window (each window predicted on its own, as one sequence).

    Parameters
    ----------
    seqs : list of str
        n sequences.
    starts : list of np.ndarray
        Per sequence, shape (m_i,): :func:`scan_starts`.
    window : int
        bp; checked with :func:`check_scan` beforehand.
    progress : bool or callable
        As in :func:`dnabert.analysis.inference.predict`, per sequence.

    Returns
    -------
    list of np.ndarray
        Per sequence, shape (m_i, C), float32.
    """
    from dnabert.analysis.inference import predict

    return [
        predict(lm, [seq[s : s + window] for s in st], batch_size, attention=None, progress=progress).probs
        for seq, st in zip(seqs, starts)
    ]
