"""Motif-layer features as BED6 for genome browsers: high-attention regions, motif instances, known-motif sites.

Every feature is placed on the genome with :func:`dnabert.coordinates.to_genome`
(sequences without coordinates: chromosome = sequence id). The BED score is
the feature's mean per-nucleotide attention, scaled to 0..1000 over the file
(:func:`dnabert.genome_tracks.bed6`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dnabert.coordinates import Interval, to_genome
from dnabert.errors import InputError
from dnabert.genome_tracks import bed6
from motif.encoding import encode
from motif.known import site_and_flank_attention
from motif.regions import find_regions


def region_bed(
    coords: list[Interval | None], ids: list[str], seqs: list[str], scores: list[np.ndarray], z: float = 1.0, min_len: int = 5
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
