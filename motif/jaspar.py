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

TOMTOM runs through :func:`motif.tomtom.tomtom`: memelite's algorithm in NumPy
for the few queries of a motif run (no compile wait on a fresh install),
memelite's numba code for large query sets. Matrices are always float64.
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


def _latest_matrices(conn, collection: str, tax_group: str | None) -> list[tuple[int, str, str]]:
    """(internal id, versioned id, TF name) of the latest version of every matrix of a collection and group.

    The selection of pyjaspar's ``fetch_motifs(collection=..., tax_group=[...])`` in three
    queries instead of one per matrix (pyjaspar checks each matrix's version with a table
    scan: 8945 queries, seconds to a minute on a busy machine, for the 879 vertebrate
    matrices); tests/motif/test_motif_jaspar.py checks that both give the same matrices in the
    same order.
    """
    tables, where, args = "MATRIX m", "m.COLLECTION = ?", [collection.upper()]
    if tax_group:
        tables += ", MATRIX_ANNOTATION ma6"
        where += " and m.ID = ma6.ID and ma6.TAG = 'tax_group' and ma6.VAL = ?"
        args.append(tax_group.lower())
    selected = [r[0] for r in conn.execute(f"select distinct(m.ID) from {tables} where {where} COLLATE NOCASE", args)]
    info = {r[0]: r[1:] for r in conn.execute("select ID, BASE_ID, VERSION, NAME from MATRIX")}
    latest: dict[str, int] = {}
    for base, version, _ in info.values():
        key = base.upper()
        latest[key] = max(latest.get(key, version), version)
    return [(i, f"{info[i][0]}.{info[i][1]}", info[i][2]) for i in selected if info[i][1] >= latest[info[i][0].upper()]]


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
        found = _latest_matrices(db.conn, collection, tax_group)
        if not found:
            collections = sorted(r[0] for r in db.conn.execute("SELECT DISTINCT collection FROM MATRIX"))
            groups = sorted({r[0] for r in db.conn.execute("SELECT DISTINCT val FROM MATRIX_ANNOTATION WHERE tag = 'tax_group'")})
            raise DatabaseError(
                f"{release} has no matrix in collection {collection!r} for taxonomic group {tax_group!r}; "
                f"collections: {', '.join(collections)}; taxonomic groups: {', '.join(groups)}"
            )
        counts: dict[int, dict[str, list[float]]] = {}
        ids = ",".join(str(int(i)) for i, _, _ in found)
        for i, row, _, val in db.conn.execute(f"SELECT ID, row, col, val FROM MATRIX_DATA WHERE ID IN ({ids}) ORDER BY ID, row, col"):
            counts.setdefault(i, {}).setdefault(row.upper(), []).append(float(val))
        ppms = []
        for i, _, _ in found:
            c = np.array([counts[i][b] for b in BASES], dtype=np.float64)
            ppms.append(_frozen(c / c.sum(axis=0, keepdims=True)))
        return MotifDatabase(
            name=f"{release} {collection} {tax_group or 'all taxa'}",
            ids=tuple(m[1] for m in found),
            names=tuple(m[2] for m in found),
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
    from motif.tomtom import tomtom

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
