"""Attention scores for the positive sequences: checking them, and reading precomputed files.

Accepted files (``--scores``):

* ``.npz`` written by ``python -m dnabert attention``: ``ids`` (n,) str,
  ``lengths`` (n,) int, ``scores`` the concatenated float32 tracks. Tracks
  are looked up by sequence id, so the file may hold more sequences (for
  example positives and negatives) in any order; each track must have
  exactly its sequence's length.
* ``.npy`` of the original DNABERT (``atten.npy``): a 2-D array with one row
  per positive sequence, in the order of the positives; rows may be longer
  than the sequence (padding) and are cut to its length.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dnabert.errors import InputError
from dnabert.outputs import load_attention_npz


class ScoreError(InputError):
    """Attention scores that do not fit the sequences, or are not finite."""


def check_scores(scores: Sequence[np.ndarray], seqs: list[str], ids: list[str]) -> list[np.ndarray]:
    """Check one track per positive sequence and cut each to its sequence's length.

    Parameters
    ----------
    scores : sequence of np.ndarray
        n 1-D tracks (or rows of a 2-D array); track i needs at least
        ``len(seqs[i])`` values.
    seqs, ids : list of str
        The n positive sequences and their ids (for messages).

    Returns
    -------
    list of np.ndarray
        Track i, shape (len(seqs[i]),), the input dtype.

    Raises
    ------
    ScoreError
        Wrong number of tracks, a track shorter than its sequence, or a
        NaN / infinite value (the message names the sequence and position).
    """
    if len(scores) != len(seqs):
        raise ScoreError(
            f"got attention scores for {len(scores)} sequences but there are {len(seqs)} positive sequences; "
            "give one score track per positive sequence, in the same order"
        )
    out = []
    for track, seq, rid in zip(scores, seqs, ids):
        track = np.asarray(track)
        if track.ndim != 1 or track.dtype.kind not in "iuf":
            raise ScoreError(
                f"scores of sequence '{rid}': expected a 1-D track of real numbers, got shape {track.shape} ({track.dtype})"
            )
        if len(track) < len(seq):
            raise ScoreError(
                f"scores of sequence '{rid}' have {len(track)} values but the sequence has {len(seq)} bases; "
                "were the scores computed on other sequences?"
            )
        out.append(track[: len(seq)])
    if out and not np.isfinite(np.concatenate(out)).all():
        i = next(i for i, t in enumerate(out) if not np.isfinite(t).all())
        bad = np.flatnonzero(~np.isfinite(out[i]))
        raise ScoreError(
            f"scores of sequence '{ids[i]}' contain {out[i][bad[0]]} at position {bad[0]} (0-based) "
            f"and {len(bad) - 1} more non-finite value(s); scores must be finite numbers"
        )
    return out


def load_scores(path: str | Path, seqs: list[str], ids: list[str]) -> list[np.ndarray]:
    """Read a precomputed scores file (see the module docstring) for the positives.

    Returns
    -------
    list of np.ndarray
        One checked track per positive sequence (see :func:`check_scores`).

    Raises
    ------
    ScoreError
        Unreadable file, missing ids, or tracks that do not fit.
    """
    p = Path(path)
    if not p.is_file():
        raise ScoreError(f"{p}: no such scores file")
    try:
        data = np.load(p, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise ScoreError(f"{p}: not a .npz from 'dnabert attention' or an atten.npy array ({e})") from None
    if isinstance(data, np.ndarray):
        if data.ndim != 2:
            raise ScoreError(f"{p}: expected a 2-D array with one row per positive sequence (atten.npy), got shape {data.shape}")
        return check_scores(data, seqs, ids)
    data.close()
    try:
        tracks = dict(zip(*load_attention_npz(p)))
    except InputError as err:  # a damaged 'dnabert attention' file
        raise ScoreError(str(err)) from None
    missing = [i for i in ids if i not in tracks]
    if missing:
        raise ScoreError(
            f"{p}: no scores for {len(missing)} of {len(ids)} positive sequences (e.g. '{missing[0]}'); "
            "compute them with 'dnabert attention' on the positives"
        )
    for rid, seq in zip(ids, seqs):
        if len(tracks[rid]) != len(seq):
            raise ScoreError(
                f"{p}: scores of sequence '{rid}' have {len(tracks[rid])} values but the sequence has {len(seq)} bases"
            )
    return check_scores([tracks[i] for i in ids], seqs, ids)
