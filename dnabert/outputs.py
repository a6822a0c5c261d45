"""Writing result files so that an interrupted run never leaves a file that looks finished,
and never replaces what the user has.

Rules (tested in tests/test_safety_outputs.py):

* every output is written under a temporary name next to its target and renamed
  when complete; several outputs of one run are renamed together or not at all;
* an output folder is replaced only when this project wrote it (it holds
  :data:`MARKER`, which the writer puts in every folder it writes);
* the target is checked again at rename time: when it changed since the run
  claimed it (another run, or the user, wrote there meanwhile), nothing is
  replaced and the run fails;
* :func:`refuse_overlaps` refuses an output that is an input or one of its
  index files (:data:`SIDECARS`), contains an input, or is another output,
  before any work starts.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from dnabert.errors import InputError

MARKER = ".dnabert-output"  # written into every output folder; only such folders are ever replaced
SIDECARS = (".fai", ".gzi", ".tbi", ".csi")
"""Index files that readers find (or write) next to an input: pyfaidx's ``.fai`` and ``.gzi``, tabix's ``.tbi`` and
``.csi``. An output never takes the name of an input's index (it would replace it, or be replaced by it)."""
_CLAIMS: dict[Path, tuple[int, int] | None] = {}  # output -> its identity when the run claimed it


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of whatever is at ``path`` (None when nothing is): a replaced file or folder gets a new one."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def claim_output(path: str | Path) -> None:
    """Record what is at ``path`` now: the final rename refuses to replace anything that appeared or changed since."""
    p = Path(path)
    _CLAIMS[p.resolve()] = _identity(p)


def disk_error(e: OSError) -> InputError:
    """A one-line :class:`InputError` for a failed read or write (full disk, quota, permissions, ...)."""
    where = f"{e.filename}: " if e.filename else ""
    full = e.errno in (errno.ENOSPC, errno.EDQUOT)
    hint = "; the disk is full: free some space or write elsewhere (nothing partial was left)" if full else ""
    return InputError(f"{where}{e.strerror or e}{hint}")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` only on success.

    Works for files and folders: the caller writes to the yielded path (a file
    or a directory it creates). On an exception the temporary is removed and
    ``path`` is left untouched. See :func:`atomic_paths` for the rules.

    Examples
    --------
    >>> with atomic_path("preds.tsv") as tmp:           # doctest: +SKIP
    ...     table.to_csv(tmp, sep="\\t")
    """
    with atomic_paths(path) as (tmp,):
        yield tmp


@contextmanager
def atomic_paths(*paths: str | Path | None) -> Iterator[tuple[Path | None, ...]]:
    """Several outputs written together: one temporary per path (None stays None), all renamed or none.

    Refused at rename time (:class:`InputError`, nothing replaced): a target that
    is a folder this project did not write (no :data:`MARKER`), a file where a
    folder was written or the reverse, or a target that appeared or changed
    since :func:`claim_output` (or since entering, without a claim). A write
    error (e.g. a full disk) becomes an :class:`InputError` with one line.
    """
    targets = [Path(p) if p is not None else None for p in paths]
    expected = {t: _CLAIMS.pop(t.resolve(), _identity(t)) for t in targets if t is not None}
    temps = [_temporary_name(t, "partial") if t is not None else None for t in targets]
    try:
        try:
            yield tuple(temps)
            pairs = [(tmp, t) for tmp, t in zip(temps, targets) if t is not None]
            for tmp, target in pairs:
                if tmp.is_dir():
                    (tmp / MARKER).write_text("written by DNABERT Explorer; this folder may be replaced by its next run\n")
                _check_replaceable(target, tmp, expected[target])
            with _signals_deferred():
                _rename_all(pairs)
        except OSError as e:
            raise disk_error(e) from None
    finally:
        for tmp in temps:
            if tmp is not None:
                _remove(tmp)


def _check_replaceable(target: Path, tmp: Path, expected: tuple[int, int] | None) -> None:
    if not target.exists() and not target.is_symlink():
        return
    if _identity(target) != expected:
        raise InputError(
            f"{target} was created or changed while this run was working (another run writing to the same output?); "
            "nothing was replaced: run again with another output name"
        )
    if target.is_dir() != tmp.is_dir() or target.is_symlink():
        kind = "folder" if target.is_dir() else "file"
        raise InputError(f"{target} is an existing {kind}; give another output name")
    if target.is_dir() and not _ours_or_empty(target):
        raise InputError(f"{target} is a folder this project did not write; nothing was replaced: give another output name")


def _ours_or_empty(folder: Path) -> bool:
    """Whether this project wrote ``folder`` (it holds :data:`MARKER`) or it is empty: only such folders are replaced."""
    return (folder / MARKER).is_file() or not any(folder.iterdir())


def _rename_all(pairs: list[tuple[Path, Path]]) -> None:
    """Move the old targets aside, rename every temporary into place; on any failure put everything back."""
    aside: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    try:
        for _, target in pairs:
            if target.exists():
                old = _temporary_name(target, "replaced")
                os.rename(target, old)
                aside.append((old, target))
        for tmp, target in pairs:
            os.rename(tmp, target)
            placed.append(target)
    except BaseException:
        for target in placed:
            _remove(target)
        for old, target in aside:
            os.rename(old, target)
        raise
    for old, _ in aside:
        _remove(old)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT / SIGTERM while the renames run (main thread only); deliver them afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    old = {s: signal.signal(s, lambda sig, _frame: received.append(sig)) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        if received:
            signal.raise_signal(received[0])


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _temporary_name(target: Path, kind: str = "partial") -> Path:
    """A fresh hidden name next to ``target`` (its folder is created and checked writable; nothing is left there)."""
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".{kind}", dir=parent)
    except OSError as e:
        raise InputError(f"cannot write to {parent}: {e.strerror}; choose a writable output location") from None
    os.close(fd)
    os.unlink(name)
    return Path(name)


def check_output_file(path: str | Path) -> None:
    """Refuse an output file name before a long run rather than after it (a folder, or a folder that cannot be
    written), and claim it (see :func:`claim_output`)."""
    target = Path(path)
    if target.is_dir():
        raise InputError(f"{target} is a folder; give a file name for this output")
    _temporary_name(target)
    claim_output(target)


def check_output_folder(path: str | Path, overwrite: bool = True) -> Path:
    """Refuse an output folder before a long run: a file, an existing folder (unless ``overwrite``), or a non-empty
    folder this project did not write (whatever ``overwrite`` says); then claim it (see :func:`claim_output`)."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file; give a folder name for this output")
    if out.is_dir():
        if not overwrite:
            raise InputError(f"output folder {out} exists; choose another or pass --overwrite")
        if not _ours_or_empty(out):
            raise InputError(
                f"{out} is a folder this project did not write (no {MARKER} in it); it is never replaced: "
                "choose a new folder name"
            )
    _temporary_name(out)
    claim_output(out)
    return out


def _paths(value) -> list[Path]:
    if value is None or value == "demo":
        return []
    if isinstance(value, (str, os.PathLike)):
        return [Path(value)]
    return [p for v in value for p in _paths(v)]


def refuse_overlaps(inputs: Mapping[str, object], outputs: Mapping[str, object]) -> None:
    """Refuse, before any work, an output that is an input, an input's index file (:data:`SIDECARS`) or another
    output, or a folder holding one.

    Parameters
    ----------
    inputs, outputs : mapping of option name -> path, list of paths, or None
        E.g. ``{"--input": "a.fa"}``; None entries and the name ``demo`` are skipped.

    Raises
    ------
    InputError
        Naming both options.
    """
    ins = [(name, p.resolve()) for name, v in inputs.items() for p in _paths(v)]
    ins += [(f"{name}'s index", path.with_name(path.name + ext)) for name, path in ins for ext in SIDECARS]
    outs = [(name, p.resolve()) for name, v in outputs.items() for p in _paths(v)]
    for i, (name, out) in enumerate(outs):
        for other, path in ins + outs[i + 1 :]:
            is_input = (other, path) in ins
            same = out == path or (out.exists() and path.exists() and os.path.samefile(out, path))  # also hard links
            if same or out in path.parents or (not is_input and path in out.parents):
                what = "an input or its index" if is_input else "another output"
                raise InputError(
                    f"{name} {out} and {other} {path} are the same file or one is inside the other; an output never "
                    f"replaces {what}: give {name} another name"
                )


def write_attention_npz(
    target,
    ids: list[str],
    seqs: list[str],
    scores: list[np.ndarray],
    attention: str,
    family: str,
    tokenizer: str,
    coords: list | None = None,
) -> None:
    """Save per-nucleotide scores as NPZ: ``ids`` (n,), ``lengths`` (n,), ``scores`` (sum L,) concatenated,
    ``attention`` (the mode), ``family`` and ``tokenizer`` of the model (e.g. "DNABERT-2", "BPE").

    With ``coords`` (per sequence, :class:`dnabert.genome.coordinates.Interval` or None) of which at least one is
    set, also ``chrom``, ``chrom_start``, ``chrom_end``, ``chrom_strand`` (n,): each sequence's genome
    interval (0-based, half-open; ``""`` and -1 for a sequence without coordinates).
    ``target`` is a path or a binary file object. Read back with :func:`load_attention_npz`.
    """
    located = {}
    if coords is not None and any(c is not None for c in coords):
        located = {
            "chrom": np.array([c.chrom if c else "" for c in coords]),
            "chrom_start": np.array([c.start if c else -1 for c in coords], dtype=np.int64),
            "chrom_end": np.array([c.end if c else -1 for c in coords], dtype=np.int64),
            "chrom_strand": np.array([c.strand if c else "" for c in coords]),
        }
    np.savez_compressed(
        target,
        ids=np.array(ids),
        lengths=np.array([len(s) for s in seqs], dtype=np.int64),
        scores=np.concatenate(scores).astype(np.float32),
        attention=np.array(attention),
        family=np.array(family),
        tokenizer=np.array(tokenizer),
        **located,
    )


def load_attention_npz(path) -> tuple[list[str], list[np.ndarray]]:
    """Read :func:`write_attention_npz` output: ids and one per-nucleotide track per sequence.

    Raises
    ------
    InputError
        Missing arrays; ids that are not a 1-D array of unique strings; lengths
        that are not non-negative integers adding up to the scores; scores that
        are not real numbers (object arrays are never unpickled).
    """
    with np.load(path, allow_pickle=False) as z:
        missing = {"ids", "lengths", "scores"} - set(z.files)
        if missing:
            raise InputError(f"{path}: missing array(s) {', '.join(sorted(missing))}; expected the output of 'dnabert attention'")
        try:
            raw_ids, lengths, flat = z["ids"], z["lengths"], z["scores"]
        except ValueError as e:  # object arrays: refused, never unpickled
            raise InputError(f"{path}: {e}; expected the output of 'dnabert attention'") from None
    if raw_ids.ndim != 1 or raw_ids.dtype.kind not in "US":
        raise InputError(f"{path}: 'ids' must be a 1-D array of strings, got shape {raw_ids.shape} ({raw_ids.dtype})")
    ids = [str(i) for i in raw_ids]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise InputError(f"{path}: sequence id '{dup}' occurs more than once in 'ids'; ids must be unique")
    if lengths.ndim != 1 or lengths.dtype.kind not in "iu" or (lengths < 0).any():
        raise InputError(f"{path}: 'lengths' must be a 1-D array of non-negative integers")
    if flat.ndim != 1 or flat.dtype.kind not in "iuf":
        raise InputError(f"{path}: 'scores' must be a 1-D array of real numbers, got shape {flat.shape} ({flat.dtype})")
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
    ids: list[str], seqs: list[str], probs: np.ndarray, labels: list[str], predicted: list[str]
) -> pd.DataFrame:
    """One row per sequence: id, length, ``p_<label>`` per class, predicted.

    ``probs`` has shape (n, C), rows in the order of ``ids``; ``labels`` has
    length C; ``predicted`` the class names of
    :func:`dnabert.training.threshold.predicted_labels` (the one class rule).
    """
    table = pd.DataFrame({"id": ids, "length": [len(s) for s in seqs]})
    for c, label in enumerate(labels):
        table[f"p_{label}"] = probs[:, c]
    table["predicted"] = predicted
    return table
