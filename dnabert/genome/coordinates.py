"""Genomic coordinates of sequences: FASTA headers, BED regions read from an indexed genome.

Coordinates are 0-based and half-open everywhere (BED): ``chr1:1000-2000``
is the 1000 bases ``[1000, 2000)`` of chr1, the form ``bedtools getfasta``
writes (``chr1:1000-2000(-)`` with ``-s``; ``name::chr1:1000-2000`` with
``-name``). A header whose interval is one base shorter than its sequence is
read as 1-based inclusive (the ``samtools faidx`` form) and converted, with a
note. A minus-strand sequence is the reverse complement of the genome
interval: its base i lies at genome position ``end - 1 - i``.

Sequences without coordinates keep working: every genome-browser export then
uses the sequence id as the chromosome name and positions within the sequence.
Result tables (predictions, attention, scan windows, motif instances) get the
columns :data:`GENOME_COLUMNS` when at least one sequence has coordinates
(:func:`with_genome_columns`); those cells are empty for the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dnabert.errors import InputError
from dnabert.sequences import SequenceError, SequenceSet, normalize_sequence, reverse_complement, unique_ids

GENOME_COLUMNS = ["chrom", "chrom_start", "chrom_end", "chrom_strand"]
"""Genome coordinates added to result tables: 0-based, half-open (BED); strand ``+``, ``-`` or ``.``."""
STRANDS = ("+", "-", ".")
MAX_POSITION = 2**32 - 1
"""Largest coordinate accepted (headers and BED): bigWig stores chromosome sizes and positions as unsigned
32-bit integers, so the genome-browser files of a larger coordinate could not be written."""
_REGION = re.compile(r"^(?:.*::)?(?P<chrom>[^\s:]+):(?P<start>[\d,]+)-(?P<end>[\d,]+)(?:\((?P<strand>[+\-.])\))?$")


@dataclass(frozen=True)
class Interval:
    """A genome interval [start, end) on ``chrom``; strand ``+``, ``-`` or ``.`` (unknown, read as +)."""

    chrom: str
    start: int
    end: int
    strand: str = "."

    def __str__(self) -> str:
        return f"{self.chrom}:{self.start}-{self.end}" + (f"({self.strand})" if self.strand in "+-" else "")


def parse_region(text: str) -> Interval | None:
    """``chr1:1000-2000``, ``chr1:1,000-2,000(+)`` or ``name::chr1:1000-2000(-)`` -> Interval; anything else -> None.

    The numbers are returned as written (0-based start, see the module docstring).
    """
    m = _REGION.match(text)
    if not m:
        return None
    start, end = int(m["start"].replace(",", "")), int(m["end"].replace(",", ""))
    if end <= start:
        return None
    return Interval(m["chrom"], start, end, m["strand"] or ".")


def coordinates_from_ids(data: SequenceSet, name: str = "input") -> tuple[list[Interval | None], list[str]]:
    """Coordinates of each sequence read from its id (the first word of its FASTA header).

    Returns
    -------
    coords : list of Interval or None
        One per sequence; None where the id is not a region.
    notes : list of str
        Conversions made (1-based inclusive headers).

    Raises
    ------
    SequenceError
        A header region whose length is not the sequence's (names the record
        and both lengths), or that ends past :data:`MAX_POSITION`.
    """
    coords: list[Interval | None] = []
    one_based = 0
    for i, (rid, seq) in enumerate(zip(data.ids, data.seqs), start=1):
        iv = parse_region(rid)
        if iv is not None:
            if iv.end > MAX_POSITION:
                raise SequenceError(
                    f"{name}: record '{rid}' (record {i}) names a region ending at {iv.end:,}, past the largest coordinate "
                    f"genome-browser files hold ({MAX_POSITION:,}, bigWig's 32-bit positions); fix the header or remove the "
                    "coordinates."
                )
            span = iv.end - iv.start
            if span + 1 == len(seq) and iv.start >= 1:  # samtools style chr:1-100 for 100 bases
                iv = Interval(iv.chrom, iv.start - 1, iv.end, iv.strand)
                one_based += 1
            elif span != len(seq):
                raise SequenceError(
                    f"{name}: record '{rid}' (record {i}) names a {span}-bp region but its sequence is {len(seq)} bp. "
                    "Headers must be chrom:start-end with 0-based start and end (as bedtools getfasta writes); "
                    "fix the header or remove the coordinates."
                )
        coords.append(iv)
    notes = [f"{one_based} header(s) read as 1-based inclusive (samtools style) and converted to 0-based"] if one_based else []
    return coords, notes


def read_bed(path: str | Path) -> list[tuple[Interval, str]]:
    """Regions of a BED file (BED3 or more; name in column 4, strand in column 6).

    Returns
    -------
    list of (Interval, name)
        In file order; name is ``""`` where the file has none (or ``.``).

    Raises
    ------
    InputError
        A missing file, no region, or a line with fewer than 3 columns, a
        non-integer or negative coordinate, end <= start, an end past
        :data:`MAX_POSITION`, or a strand other than ``+``, ``-``, ``.`` (names the line).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file.")
    out: list[tuple[Interval, str]] = []
    for lineno, line in enumerate(p.read_text(errors="replace").splitlines(), start=1):
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        f = line.rstrip("\n").split("\t") if "\t" in line else line.split()
        where = f"{p}, line {lineno}"
        if len(f) < 3:
            raise InputError(f"{where}: a BED line needs at least chrom, start, end (tab-separated); got {len(f)} column(s).")
        try:
            start, end = int(f[1]), int(f[2])
        except ValueError:
            raise InputError(f"{where}: start {f[1]!r} and end {f[2]!r} must be whole numbers (0-based, half-open).") from None
        if start < 0 or end <= start:
            raise InputError(f"{where}: need 0 <= start < end, got start {start}, end {end}.")
        if end > MAX_POSITION:
            raise InputError(
                f"{where}: end {end:,} is past the largest coordinate genome-browser files hold ({MAX_POSITION:,}, "
                "bigWig's 32-bit positions)."
            )
        strand = f[5] if len(f) >= 6 else "."
        if strand not in ("+", "-", "."):
            raise InputError(f"{where}: strand (column 6) must be +, - or ., got {strand!r}.")
        name = f[3] if len(f) >= 4 and f[3] != "." else ""
        out.append((Interval(f[0], start, end, strand), name))
    if not out:
        raise InputError(f"{p}: no region found; expected BED lines chrom<TAB>start<TAB>end[...].")
    return out


def sequences_from_genome(bed: str | Path, genome: str | Path) -> tuple[SequenceSet, list[Interval]]:
    """The sequences of BED regions, read from an indexed genome FASTA (pyfaidx; no whole-genome load).

    Minus-strand regions are reverse-complemented. Ids are the BED names, or
    ``chrom:start-end(strand)`` where a region has no name (made unique as
    :func:`dnabert.sequences.parse_sequences` does).

    Returns
    -------
    SequenceSet, list of Interval
        One sequence and one interval per BED line.

    Raises
    ------
    InputError
        A chromosome missing from the genome or a region past its end (names the BED line).
    """
    from dnabert.genome.vcf import open_genome  # imports dnabert.analysis.variants (torch): only when a genome is read

    regions = read_bed(bed)
    fasta = open_genome(genome)
    seqs: list[str] = []
    raw_ids: list[str] = []
    for i, (iv, name) in enumerate(regions, start=1):
        if iv.chrom not in fasta:
            some = ", ".join(list(fasta.keys())[:5])
            raise InputError(f"{bed}: region {i} ({iv}) is on {iv.chrom!r}, which {genome} does not have (it has {some}, ...).")
        size = len(fasta[iv.chrom])
        if iv.end > size:
            raise InputError(f"{bed}: region {i} ({iv}) ends past the end of {iv.chrom} ({size} bp) in {genome}.")
        seq = normalize_sequence(fasta[iv.chrom][iv.start : iv.end], str(iv))
        seqs.append(reverse_complement(seq) if iv.strand == "-" else seq)
        raw_ids.append(name or str(iv))
    notes: list[str] = []
    ids = unique_ids(raw_ids, notes)
    return SequenceSet(ids=ids, seqs=seqs, notes=notes), [iv for iv, _ in regions]


def genome_positions(coord: Interval | None, length: int) -> np.ndarray:
    """Genome position of each base of a sequence: shape (length,), int64 (``arange`` without coordinates)."""
    if coord is None:
        return np.arange(length, dtype=np.int64)
    if coord.strand == "-":
        return coord.end - 1 - np.arange(length, dtype=np.int64)
    return coord.start + np.arange(length, dtype=np.int64)


def to_genome(
    coords: list[Interval | None], ids: list[str], seq: np.ndarray, start: np.ndarray, end: np.ndarray, strand: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Features [start, end) on sequences -> genome intervals.

    Parameters
    ----------
    coords : list of Interval or None
        Per sequence (n,).
    ids : list of str
        Per sequence (n,): the chromosome name used where a sequence has no coordinates.
    seq : np.ndarray, shape (m,), int
        Sequence index of each feature.
    start, end : np.ndarray, shape (m,), int
        0-based, half-open, in sequence coordinates.
    strand : np.ndarray, shape (m,), str
        ``+``, ``-`` or ``.`` relative to the sequence.

    Returns
    -------
    chrom : np.ndarray (m,) object
    gstart, gend : np.ndarray (m,) int64
        0-based, half-open genome coordinates.
    gstrand : np.ndarray (m,) object
        On a minus-strand sequence ``+`` and ``-`` swap.
    """
    seq = np.asarray(seq, dtype=np.int64)
    chrom = np.array([c.chrom if c else rid for c, rid in zip(coords, ids)], dtype=object)[seq]
    gstart, gend, minus = _spans(coords, seq, start, end)
    return chrom, gstart, gend, _flip(strand, minus).astype(object)


def _spans(
    coords: list[Interval | None], seq: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Genome [start, end) of features (m,) on sequences (unchanged without coordinates), and (m,) bool: on a minus strand."""
    seq = np.asarray(seq, dtype=np.int64)
    start, end = np.asarray(start, dtype=np.int64), np.asarray(end, dtype=np.int64)
    # per sequence, then per feature by indexing (no Python loop over features)
    base = np.array([c.start if c else 0 for c in coords], dtype=np.int64)[seq]
    top = np.array([c.end if c else 0 for c in coords], dtype=np.int64)[seq]
    minus = np.array([c is not None and c.strand == "-" for c in coords], dtype=bool)[seq]
    return np.where(minus, top - end, base + start), np.where(minus, top - start, base + end), minus


def _flip(strand: np.ndarray, minus: np.ndarray) -> np.ndarray:
    """Strands relative to the sequence (m,) -> on the genome: ``+`` and ``-`` swap where ``minus``."""
    strand = np.asarray(strand, dtype=str)  # a numpy string array: fast comparisons
    flipped = np.where(strand == "+", "-", np.where(strand == "-", "+", strand))
    return np.where(minus, flipped, strand)


def with_genome_columns(
    table: pd.DataFrame,
    coords: list[Interval | None],
    seq: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    strand: np.ndarray | None = None,
) -> pd.DataFrame:
    """``table`` with the genome coordinates of its rows appended as :data:`GENOME_COLUMNS`.

    Parameters
    ----------
    table : pandas.DataFrame
        m rows, each a feature on a sequence (a whole sequence, a base, a window, a site).
    coords : list of Interval or None
        Per sequence (n,).
    seq : np.ndarray, shape (m,), int
        Sequence index of each row.
    start, end : np.ndarray, shape (m,), int
        The feature, 0-based, half-open, in sequence coordinates.
    strand : np.ndarray, shape (m,), str, optional
        Strand relative to the sequence (a motif site); on a minus-strand
        sequence ``+`` and ``-`` swap (as in :func:`to_genome`). None: every row
        takes its sequence's strand (a whole sequence, a base, a window).

    Returns
    -------
    pandas.DataFrame
        ``table`` itself when no sequence has coordinates; else a copy with
        ``chrom``, ``chrom_start``, ``chrom_end`` (nullable integers) and
        ``chrom_strand`` (categoricals), empty on rows of sequences without coordinates.

    Raises
    ------
    ValueError
        A ``strand`` other than ``+``, ``-``, ``.``.
    """
    if all(c is None for c in coords):
        return table
    seq = np.asarray(seq, dtype=np.int64)
    gstart, gend, minus = _spans(coords, seq, start, end)
    located = np.array([c is not None for c in coords], dtype=bool)[seq]
    names = sorted({c.chrom for c in coords if c})
    index = {name: i for i, name in enumerate(names)}
    chrom_code = np.array([index[c.chrom] if c else -1 for c in coords], dtype=np.int64)[seq]
    if strand is None:  # the sequence's own strand
        strand_code = np.array([STRANDS.index(c.strand) if c else -1 for c in coords], dtype=np.int64)[seq]
    else:
        genome_strand = _flip(strand, minus)
        odd = ~np.isin(genome_strand, STRANDS)
        if odd.any():
            raise ValueError(f"strand must be +, - or ., got {genome_strand[odd][0]!r}")
        strand_code = np.select([genome_strand == s for s in STRANDS], range(len(STRANDS)), -1)
        strand_code[~located] = -1
    out = table.copy()
    # categoricals: a code per row (-1: no coordinates, written as an empty cell)
    out["chrom"] = pd.Categorical.from_codes(chrom_code, categories=names)
    out["chrom_start"] = pd.arrays.IntegerArray(gstart, ~located)
    out["chrom_end"] = pd.arrays.IntegerArray(gend, ~located)
    out["chrom_strand"] = pd.Categorical.from_codes(strand_code, categories=list(STRANDS))
    return out


def sequence_rows(lengths: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``seq, start, end`` for :func:`with_genome_columns` of one row per sequence (the whole sequence): three (n,) arrays."""
    n = len(lengths)
    return np.arange(n, dtype=np.int64), np.zeros(n, dtype=np.int64), np.asarray(lengths, dtype=np.int64)


def base_rows(lengths: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``seq, start, end`` for :func:`with_genome_columns` of one row per base (sequences in order): three (sum L,) arrays."""
    seq = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    start = np.concatenate([np.arange(n, dtype=np.int64) for n in lengths] or [np.zeros(0, np.int64)])
    return seq, start, start + 1
