"""Matching motifs to a database with TOMTOM (memelite): JASPAR via pyjaspar (offline) or a MEME file.

Defaults (:class:`motif.params.JasparSource`): JASPAR 2024, CORE collection, vertebrates, the latest
version of each matrix (879 matrices). The database is cached as plain read-only numpy
arrays (pyjaspar's SQLite connection is bound to the thread that made it, and
the app runs sessions in other threads).

For every query the report lists the best targets by TOMTOM p-value (both
strands), with E = p x number of targets and q = Benjamini-Hochberg over all
targets of that query. ``offset`` is memelite's: the column of the oriented
target (reverse-complemented when ``orientation`` is ``-``) that query column
0 faces, so target column j sits under query column ``j - offset``;
``overlap`` is the number of aligned columns.

memelite compiles TOMTOM on its first call (about 40 s, cached on disk after)
and again for any dtype other than float64, so matrices are always float64.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control

from dnabert.errors import InputError
from dnabert.sequences import BASES
from motif.meme import read_meme
from motif.params import JasparSource

DEFAULT = JasparSource()  # the declared defaults (motif.params)

MATCH_COLUMNS = ["motif", "rank", "target_id", "target_name", "p", "E", "q", "offset", "overlap", "orientation"]


class DatabaseError(InputError):
    """An unknown JASPAR release / collection / taxonomic group, or an unusable motif file."""


@dataclass(frozen=True)
class MotifDatabase:
    """Target motifs for TOMTOM.

    Attributes
    ----------
    name : str
        Description shown in outputs (e.g. ``JASPAR2024 CORE vertebrates``).
    ids, names : tuple of str
        Matrix ids and TF names, shape (T,).
    ppms : tuple of np.ndarray
        (4, L_i) float64 read-only probability matrices, rows ACGT.
    """

    name: str
    ids: tuple[str, ...]
    names: tuple[str, ...]
    ppms: tuple[np.ndarray, ...]

    def __len__(self) -> int:
        return len(self.ids)

    def ppm(self, target_id: str) -> np.ndarray:
        """The matrix of one target id."""
        return self.ppms[self.ids.index(target_id)]


def _frozen(matrix: np.ndarray) -> np.ndarray:
    out = np.ascontiguousarray(matrix, dtype=np.float64)
    out.flags.writeable = False
    return out


@lru_cache(maxsize=64)
def jaspar_matrix(matrix_id: str, release: str = DEFAULT.release) -> tuple[str, np.ndarray]:
    """TF name and PPM of one versioned JASPAR matrix id, read offline from pyjaspar.

    Returns
    -------
    name : str
    ppm : np.ndarray, shape (4, W), rows ACGT, columns sum to 1 (read-only)

    Raises
    ------
    DatabaseError
        An id without a version (``MA0095``: the latest version can be a
        different matrix) or one the release does not hold.
    """
    import pyjaspar

    if not re.fullmatch(r"[A-Z]{2}\d{4}\.\d+", matrix_id):
        raise DatabaseError(
            f"motif {matrix_id!r}: give a versioned JASPAR matrix id such as MA0139.2 (CTCF) or MA0095.2 (YY1); "
            "without a version the latest one would be used, which can be a different matrix"
        )
    if release not in pyjaspar.jaspar_releases:
        raise DatabaseError(f"unknown JASPAR release {release!r}; available: {', '.join(sorted(pyjaspar.jaspar_releases))}")
    db = pyjaspar.jaspardb(release=release)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pyjaspar warns before returning None for an unknown id
            found = db.fetch_motif_by_id(matrix_id)
    finally:
        db.conn.close()
    if found is None:
        raise DatabaseError(f"motif {matrix_id!r} is not in {release}; look ids up at jaspar.elixir.no or in pyjaspar")
    return found.name, _frozen(_ppm(found))


def _ppm(matrix) -> np.ndarray:
    """(4, W) probabilities of a pyjaspar matrix's counts."""
    counts = np.array([matrix.counts[b] for b in BASES], dtype=np.float64)
    return counts / counts.sum(axis=0, keepdims=True)


def load_jaspar(
    release: str = DEFAULT.release, collection: str = DEFAULT.collection, tax_group: str | None = DEFAULT.group
) -> MotifDatabase:
    """JASPAR matrices from pyjaspar's bundled SQLite files (no network), read once per process and selection.

    Parameters
    ----------
    release : str
        e.g. ``JASPAR2024``; any release pyjaspar ships.
    collection : str
        e.g. ``CORE``, ``UNVALIDATED``.
    tax_group : str or None
        e.g. ``vertebrates``, ``plants``, ``insects``; None for all.

    Raises
    ------
    DatabaseError
        Unknown release, or no matrix for this collection and group (the
        message lists the valid choices).
    """
    return _read_jaspar(release, collection, tax_group)  # one cache key however the arguments are passed


def jaspar_database(source: JasparSource) -> MotifDatabase:
    """The matrices of a :class:`~motif.params.JasparSource` (:func:`load_jaspar`)."""
    return load_jaspar(source.release, source.collection, source.group)


@lru_cache(maxsize=8)
def _read_jaspar(release: str, collection: str, tax_group: str | None) -> MotifDatabase:
    import pyjaspar

    if release not in pyjaspar.jaspar_releases:
        raise DatabaseError(f"unknown JASPAR release {release!r}; available: {', '.join(sorted(pyjaspar.jaspar_releases))}")
    db = pyjaspar.jaspardb(release=release)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = db.fetch_motifs(collection=collection, tax_group=[tax_group] if tax_group else None)
        if not found:
            collections = sorted(r[0] for r in db.conn.execute("SELECT DISTINCT collection FROM MATRIX"))
            groups = sorted({r[0] for r in db.conn.execute("SELECT DISTINCT val FROM MATRIX_ANNOTATION WHERE tag = 'tax_group'")})
            raise DatabaseError(
                f"{release} has no matrix in collection {collection!r} for taxonomic group {tax_group!r}; "
                f"collections: {', '.join(collections)}; taxonomic groups: {', '.join(groups)}"
            )
        ppms = [_frozen(_ppm(m)) for m in found]
        return MotifDatabase(
            name=f"{release} {collection} {tax_group or 'all taxa'}",
            ids=tuple(m.matrix_id for m in found),
            names=tuple(m.name for m in found),
            ppms=tuple(ppms),
        )
    finally:
        db.conn.close()


def load_meme_database(source: str | Path | bytes, name: str | None = None) -> MotifDatabase:
    """A user's MEME file as the database (``MOTIF id name`` lines give ids and names).

    ``source`` is a path, or the file's bytes (an upload: memelite reads paths, so
    they go to a private temporary file whose name nothing outside chooses);
    ``name`` describes it in outputs (default: the path, or "uploaded MEME file").
    """
    if isinstance(source, bytes):
        with tempfile.TemporaryDirectory(prefix="dnabert-meme-") as tmp:
            path = Path(tmp) / "motifs.meme"
            path.write_bytes(source)
            return load_meme_database(path, name or "uploaded MEME file")
    names, ppms = read_meme(source)
    ppms = [m / m.sum(axis=0, keepdims=True) for m in ppms]
    return MotifDatabase(
        name=name or str(source),
        ids=tuple(n.split(" ")[0] for n in names),
        names=tuple(n.split(" ", 1)[1] if " " in n else n for n in names),
        ppms=tuple(_frozen(m) for m in ppms),
    )


def match_motifs(ppms: list[np.ndarray], database: MotifDatabase, top: int = 5) -> pd.DataFrame:
    """TOMTOM matches of query matrices against a database.

    Parameters
    ----------
    ppms : list of np.ndarray
        Q query matrices, shape (4, W_i), rows ACGT.
    database : MotifDatabase
    top : int
        Matches kept per query.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`MATCH_COLUMNS` (``motif`` = query index, ``rank`` from
        1), at most ``top`` rows per query, best first.
    """
    from memelite import tomtom

    if not ppms or not len(database):
        return pd.DataFrame(columns=MATCH_COLUMNS)
    queries = [np.asarray(m, dtype=np.float64) for m in ppms]
    p, _, offset, overlap, strand = tomtom(queries, list(database.ppms))
    q = np.vstack([false_discovery_control(row) for row in p])
    n_top = min(top, len(database))
    best = np.argsort(p, axis=1, kind="stable")[:, :n_top]
    query = np.repeat(np.arange(len(queries)), n_top)
    target = best.ravel()
    return pd.DataFrame(
        {
            "motif": query,
            "rank": np.tile(np.arange(1, n_top + 1), len(queries)),
            "target_id": [database.ids[t] for t in target],
            "target_name": [database.names[t] for t in target],
            "p": p[query, target],
            "E": p[query, target] * len(database),
            "q": q[query, target],
            "offset": offset[query, target].astype(np.int64),
            "overlap": overlap[query, target].astype(np.int64),
            "orientation": np.where(strand[query, target] > 0, "-", "+"),
        },
        columns=MATCH_COLUMNS,
    )
