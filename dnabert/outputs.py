"""Writing result files so that an interrupted run never leaves a file that looks finished."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from dnabert.errors import InputError
from dnabert.threshold import predicted_classes


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` only on success.

    Works for files and folders: the caller writes to the yielded path (a file
    or a directory it creates). On an exception the temporary is removed and
    ``path`` is left untouched.

    Examples
    --------
    >>> with atomic_path("preds.tsv") as tmp:           # doctest: +SKIP
    ...     table.to_csv(tmp, sep="\\t")
    """
    target = Path(path)
    tmp = _temporary_name(target)
    try:
        yield tmp
        if target.exists() and target.is_dir() != tmp.is_dir():
            kind = "folder" if target.is_dir() else "file"
            raise InputError(f"{target} is an existing {kind}; give another output name")
        if target.is_dir():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()


def _temporary_name(target: Path) -> Path:
    """A fresh hidden name next to ``target`` (its folder is created and checked writable; nothing is left there)."""
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=parent)
    except OSError as e:
        raise InputError(f"cannot write to {parent}: {e.strerror}; choose a writable output location") from None
    os.close(fd)
    os.unlink(name)
    return Path(name)


def check_output_file(path: str | Path) -> None:
    """Refuse an output file name before a long run rather than after it: a folder, or a folder that cannot be written."""
    target = Path(path)
    if target.is_dir():
        raise InputError(f"{target} is a folder; give a file name for this output")
    _temporary_name(target)


def write_attention_npz(target, ids: list[str], seqs: list[str], scores: list[np.ndarray], attention: str, k: int) -> None:
    """Save per-nucleotide scores as NPZ: ``ids`` (n,), ``lengths`` (n,), ``scores`` (sum L,) concatenated, ``attention``, ``k``.

    ``target`` is a path or a binary file object. Read back with :func:`load_attention_npz`.
    """
    np.savez_compressed(
        target,
        ids=np.array(ids),
        lengths=np.array([len(s) for s in seqs], dtype=np.int64),
        scores=np.concatenate(scores).astype(np.float32),
        attention=np.array(attention),
        k=np.array(k),
    )


def load_attention_npz(path) -> tuple[list[str], list[np.ndarray]]:
    """Read :func:`write_attention_npz` output: ids and one per-nucleotide track per sequence.

    Raises
    ------
    InputError
        Missing arrays, or lengths that do not add up to the scores.
    """
    with np.load(path, allow_pickle=False) as z:
        missing = {"ids", "lengths", "scores"} - set(z.files)
        if missing:
            raise InputError(f"{path}: missing array(s) {', '.join(sorted(missing))}; expected the output of 'dnabert attention'")
        ids = [str(i) for i in z["ids"]]
        lengths = z["lengths"].astype(np.int64)
        flat = z["scores"]
    if len(lengths) != len(ids) or lengths.sum() != len(flat):
        raise InputError(f"{path}: 'lengths' do not add up to the number of scores; the file is damaged")
    return ids, np.split(flat, np.cumsum(lengths)[:-1])


def attention_long_table(ids: list[str], seqs: list[str], scores: list[np.ndarray]) -> pd.DataFrame:
    """One row per nucleotide: ``id``, ``position`` (0-based), ``base``, ``score``."""
    lengths = [len(s) for s in seqs]
    return pd.DataFrame(
        {
            "id": np.repeat(ids, lengths),
            "position": np.concatenate([np.arange(n) for n in lengths]),
            "base": list("".join(seqs)),
            "score": np.concatenate(scores),
        }
    )


def prediction_table(
    ids: list[str], seqs: list[str], probs: np.ndarray, labels: list[str], threshold: float | None = None
) -> pd.DataFrame:
    """One row per sequence: id, length, ``p_<label>`` per class, predicted.

    ``probs`` has shape (n, C), rows in the order of ``ids``; ``labels`` has
    length C. predicted: the second class when its probability is at least
    ``threshold`` (two classes; the model's stored decision threshold,
    :mod:`dnabert.threshold`), else the most probable class.
    """
    table = pd.DataFrame({"id": ids, "length": [len(s) for s in seqs]})
    for c, label in enumerate(labels):
        table[f"p_{label}"] = probs[:, c]
    table["predicted"] = [labels[i] for i in predicted_classes(probs, threshold)]
    return table
