"""Motif-layer features on the genome: BED6 for genome browsers, genome columns for result tables.

* :func:`region_bed`, :func:`site_bed`: high-attention regions, motif
  instances, known-motif sites placed with :func:`dnabert.genome.coordinates.to_genome`
  (sequences without coordinates: chromosome = sequence id); the BED score is
  the feature's mean per-nucleotide attention, scaled to 0..1000 over the file
  (:func:`dnabert.genome.tracks.bed6`).
* :func:`locate_sites`, :func:`locate_instances`: the genome columns
  (:func:`dnabert.genome.coordinates.with_genome_columns`) of site tables (motif
  instances, known-motif sites).
* :func:`instance_bed`: the ``instances.bed`` of a motif run, read from the
  instances' genome columns; the BED score is the site's relative PWM score
  (``(s - min) / (max - min)`` of its motif's log-odds matrix,
  :func:`motif.pwm.relative_scores`) x 1000, so the scores of different runs
  compare.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dnabert.genome.coordinates import Interval, to_genome, with_genome_columns
from dnabert.errors import InputError
from dnabert.genome.tracks import bed6
from motif.encoding import encode, string_codes
from motif.known import site_and_flank_attention
from motif.pwm import log_odds, relative_scores
from motif.params import MotifParams
from motif.regions import find_regions

if TYPE_CHECKING:
    from motif.pipeline import Motif


def region_bed(
    coords: list[Interval | None],
    ids: list[str],
    seqs: list[str],
    scores: list[np.ndarray],
    z: float = MotifParams.z,
    min_len: int = MotifParams.min_len,
) -> pd.DataFrame:
    """High-attention regions (:func:`motif.regions.find_regions`, z-score rule) of every sequence as BED6.

    Name: ``<sequence id>:<start>-<end>`` in sequence coordinates; strand ``.`` (attention has no strand).
    """
    regions = find_regions(scores, encode(seqs), rule="zscore", min_len=min_len, z=z)
    value = site_and_flank_attention(scores, regions.seq, regions.start, regions.end, gap=0)[0]
    chrom, start, end, strand = to_genome(
        coords, ids, regions.seq, regions.start, regions.end, np.full(len(regions), ".", object)
    )
    names = [f"{ids[i]}:{s}-{e}" for i, s, e in zip(regions.seq.tolist(), regions.start.tolist(), regions.end.tolist())]
    return bed6(chrom, start, end, names, value, strand)


def site_bed(
    coords: list[Interval | None], ids: list[str], scores: list[np.ndarray], sites: pd.DataFrame, name: str
) -> pd.DataFrame:
    """Sites on the sequences (e.g. ``instances.tsv`` of ``dnabert motifs``, or known-motif sites) as BED6.

    Parameters
    ----------
    coords, ids, scores
        Per sequence (n,).
    sites : pandas.DataFrame
        Columns ``seq_id``, ``start``, ``end`` (0-based, half-open, in the
        sequence), ``strand`` and the column ``name`` (the BED name).

    Raises
    ------
    InputError
        A missing column, a sequence id not among ``ids``, or a site outside its sequence.
    """
    missing = {"seq_id", "start", "end", "strand", name} - set(sites.columns)
    if missing:
        raise InputError(f"the sites table lacks column(s) {', '.join(sorted(missing))}")
    index = {rid: i for i, rid in enumerate(ids)}
    unknown = [s for s in sites["seq_id"].astype(str) if s not in index]
    if unknown:
        raise InputError(f"site on sequence {unknown[0]!r}, which is not among the input sequences; give the same input")
    seq = np.array([index[s] for s in sites["seq_id"].astype(str)], dtype=np.int64)
    try:
        start, end = sites["start"].to_numpy(np.int64), sites["end"].to_numpy(np.int64)
    except (ValueError, TypeError):
        raise InputError("the sites table's start and end must be whole numbers (0-based, half-open)") from None
    lengths = np.array([len(scores[i]) for i in seq], dtype=np.int64)
    bad = np.flatnonzero((start < 0) | (end <= start) | (end > lengths))
    if len(bad):
        j = bad[0]
        raise InputError(f"site {ids[seq[j]]}:{start[j]}-{end[j]} lies outside its sequence ({lengths[j]} bp)")
    value = site_and_flank_attention(scores, seq, start, end, gap=0)[0]
    chrom, gstart, gend, gstrand = to_genome(coords, ids, seq, start, end, sites["strand"].astype(str).to_numpy(object))
    return bed6(chrom, gstart, gend, sites[name].astype(str).to_numpy(object), value, gstrand)


def locate_sites(
    sites: pd.DataFrame, ids: list[str], coords: list[Interval | None], keep: np.ndarray | None = None
) -> pd.DataFrame:
    """``sites`` with the genome columns of :func:`dnabert.genome.coordinates.with_genome_columns`.

    Parameters
    ----------
    sites : pandas.DataFrame
        m rows with ``seq_id``, ``start``, ``end`` (0-based, half-open, in the
        sequence) and ``strand`` (relative to the sequence).
    ids, coords
        Per sequence (n,).
    keep : np.ndarray, shape (m,), bool, optional
        Rows on these sequences (e.g. the positives of a known-motif scan,
        whose negatives may reuse their ids); the others get empty cells,
        as do rows whose ``seq_id`` is not among ``ids``. Default: every row.

    Returns
    -------
    pandas.DataFrame
        ``sites`` itself when no sequence has coordinates.
    """
    keep = np.ones(len(sites), dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    index = {rid: i for i, rid in enumerate(ids)}
    seq = np.array([index.get(rid, len(ids)) if k else len(ids) for rid, k in zip(sites["seq_id"], keep)], dtype=np.int64)
    strand = sites["strand"].to_numpy(object)
    return with_genome_columns(sites, [*coords, None], seq, sites["start"], sites["end"], strand)


def locate_instances(motifs: list[Motif], ids: list[str], coords: list[Interval | None]) -> None:
    """Append the genome columns to each motif's instances (:func:`locate_sites`; in place)."""
    for m in motifs:
        m.instances = locate_sites(m.instances, ids, coords)


def instance_bed(motifs: list[Motif], background: np.ndarray) -> pd.DataFrame:
    """The instances of ``motifs`` as BED6: name = motif id, score = relative PWM score x 1000.

    Instances with genome columns (:func:`locate_instances`) are placed at
    ``chrom``, ``chrom_start``, ``chrom_end``, ``chrom_strand``; the others on
    their sequence: chrom = ``seq_id``, sequence offsets and strand.

    Parameters
    ----------
    motifs : list of Motif
    background : np.ndarray, shape (4,)
        Base frequencies the motifs' log-odds are taken against.

    Returns
    -------
    pandas.DataFrame
        :data:`dnabert.genome.tracks.BED6_COLUMNS`, sorted by chrom, start.
    """
    parts, value = [], []
    for m in motifs:
        inst = m.instances
        width = m.ppm.shape[1]
        codes = string_codes("".join(inst["site"])).reshape(len(inst), width)  # sites read on the motif's strand
        value.append(relative_scores(codes, log_odds(m.ppm, background)))
        parts.append(inst)
    inst = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["motif", "seq_id", "start", "end", "strand"])
    chrom, start, end, strand = (inst[c].to_numpy(object) for c in ("seq_id", "start", "end", "strand"))
    if "chrom" in inst.columns:
        on_genome = inst["chrom"].notna().to_numpy()
        chrom = np.where(on_genome, inst["chrom"].astype(object), chrom)
        start = np.where(on_genome, inst["chrom_start"].astype(object), start)
        end = np.where(on_genome, inst["chrom_end"].astype(object), end)
        strand = np.where(on_genome, inst["chrom_strand"].astype(object), strand)
    score = np.concatenate(value) if value else np.zeros(0)
    return bed6(chrom, start.astype(np.int64), end.astype(np.int64), inst["motif"].to_numpy(object), score, strand, top=1.0)
