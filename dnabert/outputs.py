"""Writing result files so that an interrupted run never leaves a file that looks finished."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dnabert.errors import InputError


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
    parent = target.parent if str(target.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=parent)
    except OSError as e:
        raise InputError(f"cannot write to {parent}: {e.strerror}; choose a writable output location") from None
    os.close(fd)
    os.unlink(name)
    tmp = Path(name)
    try:
        yield tmp
        if target.is_dir() and tmp.is_dir():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()
