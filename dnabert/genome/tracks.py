"""Genome-browser files (IGV, UCSC): per-base tracks as bedGraph / bigWig, features as BED.

Per-base tracks (attention, attribution, scan probabilities) are placed on
the genome with :func:`dnabert.genome.coordinates.genome_positions`. Where two
sequences cover the same base (overlapping peaks, both strands), the value
written is the mean of their values. Consecutive bases with equal values are
written as one interval. Sequences without coordinates get their own
"chromosome" named by the sequence id (0-based positions within it).

BED scores must be integers 0..1000 (UCSC); features are written as BED6
with ``score = round(1000 x value / top)``, ``top`` the largest value in the
file unless the caller gives the scale (a relative score in [0, 1]: ``top =
1``), and the raw value is kept in the caller's tables.

bigWig files are written with pyBigWig; chromosome sizes come from the genome
index when a genome is given, else the largest end seen per chromosome.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dnabert.genome.coordinates import Interval, genome_positions

TRACK_COLUMNS = ["chrom", "start", "end", "value"]
BED6_COLUMNS = ["chrom", "start", "end", "name", "score", "strand"]


def window_mean(length: int, starts: np.ndarray, ends: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per-base mean of the values of the windows [starts, ends) covering each base.

    Returns
    -------
    np.ndarray, shape (length,), float64
        NaN where no window covers a base.
    """
    diff_sum = np.zeros(length + 1)
    diff_n = np.zeros(length + 1)
    np.add.at(diff_sum, starts, values)
    np.add.at(diff_sum, ends, -np.asarray(values, dtype=np.float64))
    np.add.at(diff_n, starts, 1)
    np.add.at(diff_n, ends, -1)
    total, n = np.cumsum(diff_sum)[:-1], np.cumsum(diff_n)[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def per_base_table(coords: list[Interval | None], ids: list[str], tracks: list[np.ndarray]) -> pd.DataFrame:
    """Per-base tracks as sorted, non-overlapping genome intervals.

    Parameters
    ----------
    coords : list of Interval or None
        Per sequence (n,).
    ids : list of str
        Per sequence (n,).
    tracks : list of np.ndarray
        Per sequence, shape (L_i,); NaN bases are left out.

    Returns
    -------
    pandas.DataFrame
        :data:`TRACK_COLUMNS`, sorted by chrom then start; overlapping bases
        averaged, runs of equal values on consecutive bases merged.
    """
    chroms = [c.chrom if c else rid for c, rid in zip(coords, ids)]
    names = sorted(set(chroms))
    code = {c: i for i, c in enumerate(names)}
    chrom_code = np.concatenate(
        [np.full(len(t), code[c], dtype=np.int64) for c, t in zip(chroms, tracks)] or [np.zeros(0, np.int64)]
    )
    pos = np.concatenate([genome_positions(c, len(t)) for c, t in zip(coords, tracks)] or [np.zeros(0, np.int64)])
    val = np.concatenate([np.asarray(t, dtype=np.float64) for t in tracks] or [np.zeros(0)])
    keep = ~np.isnan(val)
    chrom_code, pos, val = chrom_code[keep], pos[keep], val[keep]
    order = np.lexsort((pos, chrom_code))
    chrom_code, pos, val = chrom_code[order], pos[order], val[order]
    first_of_base = np.ones(len(pos), dtype=bool)
    first_of_base[1:] = (chrom_code[1:] != chrom_code[:-1]) | (pos[1:] != pos[:-1])
    base = np.cumsum(first_of_base) - 1  # index of the distinct (chrom, position) of every value
    mean = np.bincount(base, weights=val) / np.bincount(base)
    u_chrom, u_pos = chrom_code[first_of_base], pos[first_of_base]
    # a new interval starts where the chromosome changes, a base is skipped, or the value changes
    new = np.ones(len(u_pos), dtype=bool)
    new[1:] = (u_chrom[1:] != u_chrom[:-1]) | (u_pos[1:] != u_pos[:-1] + 1) | (mean[1:] != mean[:-1])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(u_pos))
    return pd.DataFrame(
        {
            "chrom": np.array(names, dtype=object)[u_chrom[starts]] if len(starts) else np.array([], dtype=object),
            "start": u_pos[starts],
            "end": u_pos[ends - 1] + 1,
            "value": mean[starts],
        },
        columns=TRACK_COLUMNS,
    )


def chrom_sizes(table: pd.DataFrame, known: dict[str, int] | None = None) -> dict[str, int]:
    """Size of every chromosome of ``table``: from ``known`` (a genome index) where given, else its largest end."""
    ends = table.groupby("chrom", sort=True)["end"].max()
    known = known or {}
    return {c: max(int(known.get(c, 0)), int(e)) for c, e in ends.items()}


def write_bedgraph(path: str | Path, table: pd.DataFrame, name: str, description: str = "") -> None:
    """bedGraph with a ``track`` line: chrom, start, end, value (6 significant digits)."""
    with open(path, "w") as fh:
        fh.write(f'track type=bedGraph name="{name}" description="{description or name}"\n')
        table.to_csv(fh, sep="\t", header=False, index=False, float_format="%.6g")


def write_bigwig(path: str | Path, table: pd.DataFrame, sizes: dict[str, int]) -> None:
    """bigWig (pyBigWig) of a :func:`per_base_table`; ``sizes`` must cover every chromosome of the table."""
    import pyBigWig

    order = sorted(sizes)
    bw = pyBigWig.open(str(path), "w")
    try:
        bw.addHeader([(c, int(sizes[c])) for c in order])
        for chrom, part in table.groupby("chrom", sort=True):
            bw.addEntries(
                [chrom] * len(part),
                part["start"].to_numpy(np.int64).tolist(),
                ends=part["end"].to_numpy(np.int64).tolist(),
                values=part["value"].to_numpy(np.float64).tolist(),
            )
    finally:
        bw.close()


def bed6(chrom, start, end, name, value, strand, top: float | None = None) -> pd.DataFrame:
    """BED6 table sorted by chrom, start; ``score = round(1000 x value / top)``, clipped to 0..1000.

    Parameters are arrays of one length m (``value``: float, non-negative);
    ``top`` is the value scored 1000 (default ``max(value)``; every score is 0
    when it is 0).
    """
    value = np.asarray(value, dtype=np.float64)
    if top is None:
        top = value.max() if len(value) else 0.0
    score = np.rint(1000 * value / top).astype(np.int64) if top > 0 else np.zeros(len(value), dtype=np.int64)
    table = pd.DataFrame(
        {
            "chrom": np.asarray(chrom, dtype=object),
            "start": np.asarray(start, dtype=np.int64),
            "end": np.asarray(end, dtype=np.int64),
            "name": np.asarray(name, dtype=object),
            "score": np.clip(score, 0, 1000),
            "strand": np.asarray(strand, dtype=object),
        },
        columns=BED6_COLUMNS,
    )
    return table.sort_values(["chrom", "start", "end"], kind="stable").reset_index(drop=True)


def write_bed(path: str | Path, table: pd.DataFrame, name: str) -> None:
    """A BED file with a ``track`` line (``useScore=1`` shades features by score)."""
    with open(path, "w") as fh:
        fh.write(f'track name="{name}" useScore=1\n')
        table.to_csv(fh, sep="\t", header=False, index=False)
