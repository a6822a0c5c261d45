"""The whole motif analysis in one call: :func:`find_motifs`.

Stages (one module each): high-attention regions (:mod:`motif.regions`) ->
candidates (:mod:`motif.candidates`) -> enrichment (:mod:`motif.enrichment`)
-> grouping (:mod:`motif.merge`) -> windows and matrices (:mod:`motif.pwm`)
-> one motif per factor (:mod:`motif.redundancy`, ``kmers`` mode) -> TOMTOM
against a database (:mod:`motif.jaspar`). Every parameter is a
field of :class:`MotifParams`.

Per motif: the windows (``window_size`` bases centred on each instance,
oriented) give counts -> PPM -> information; low-information flanks are
trimmed. Its enrichment: positive and negative sequences with a site of the
trimmed matrix (site p-value <= ``site_pvalue``, both strands unless
counting is forward-only), hypergeometric p, Benjamini-Hochberg q over the
motifs. A
motif is kept with at least ``min_n_motif`` windows (instances too close to a
sequence end are dropped and counted) and, in ``kmers`` mode, when its sites
are enriched (q < ``q_cutoff``; an assembly of a few random windows is
not). Then motifs whose windows are two populations of sites are split,
similar motifs are merged, fragments of stronger motifs dropped and weak
variants of a stronger motif joined to it (``kmers`` mode, unless
``remove_redundant`` is off), and the survivors'
enrichment is re-tested (BH over the reported motifs). Stage times are kept in
``MotifResult.timings`` (input, regions, enrichment, merge, motifs, redundancy, tomtom).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control

from dnabert.errors import InputError
from dnabert.sequences import shuffled_negatives
from motif.candidates import KmerOccurrences, distinct_values, kmer_words, kmers_in_regions, region_candidates
from motif.encoding import Encoded, decode, encode, kmer_index
from motif.enrichment import CANDIDATE_COLUMNS, count_kmers, count_words, enrichment_table, hypergeom_pvalues
from motif.jaspar import MATCH_COLUMNS, MotifDatabase, match_motifs
from motif.merge import Group, assemble, greedy_merge
from motif.pwm import (
    consensus,
    count_matrix,
    information,
    log_odds,
    probabilities,
    pvalue_threshold,
    sequences_with_site,
    trim_bounds,
    windows,
)
from motif.redundancy import Dropped, Member, Split, remove_redundant
from motif.params import MotifParams
from motif.regions import Regions, find_regions
from motif.scores import check_scores

INSTANCE_COLUMNS = ["motif", "seq_id", "start", "end", "strand", "site", "window_start", "window_end", "window"]


@dataclass
class Motif:
    """One reported motif.

    Attributes
    ----------
    id : str
        ``motif_<rank>`` (rank by enrichment p).
    key : str
        Seed k-mer or region string the motif grew from.
    counts, ppm : np.ndarray, shape (4, W)
        Trimmed count and probability matrices (rows ACGT).
    instances : pandas.DataFrame
        Columns :data:`INSTANCE_COLUMNS` (``motif`` empty until ids are given).
    n_edge : int
        Instances dropped because their window crossed a sequence end.
    n_pos, n_neg : int
        Positive / negative sequences with a site.
    p, log10_p, q : float
        Enrichment of those sites; q by Benjamini-Hochberg over motifs.
    members : list of Member
        For a motif merged from several assembled ones: those motifs, the
        representative first (:mod:`motif.redundancy`); empty otherwise.
    """

    id: str
    key: str
    counts: np.ndarray
    ppm: np.ndarray
    instances: pd.DataFrame
    n_edge: int
    n_pos: int = 0
    n_neg: int = 0
    p: float = 1.0
    log10_p: float = 0.0
    q: float = 1.0
    members: list[Member] = field(default_factory=list)

    @property
    def consensus(self) -> str:
        return consensus(self.ppm)


@dataclass
class MotifResult:
    """Everything a run produced.

    Attributes
    ----------
    motifs : list of Motif
        Best first.
    candidates : pandas.DataFrame
        Every candidate (:data:`motif.enrichment.CANDIDATE_COLUMNS`).
    matches : pandas.DataFrame
        Database matches, :data:`motif.jaspar.MATCH_COLUMNS` with ``motif``
        the motif id; empty without a database.
    params : MotifParams
    n_pos, n_neg, n_regions : int
    background : np.ndarray, shape (4,)
        Base frequencies (ACGT) of all input sequences.
    database : str
        Name of the database matched against ("" for none).
    target_ppms : dict of str to np.ndarray
        (4, L) matrix of every matched database target, by id.
    dropped : list of Dropped
        Motifs left out as fragments of a reported motif, with the reason.
    splits : list of Split
        Assembled motifs split into two motifs (two populations of sites).
    notes : list of str
        What the user must know (shuffled negatives, constant tracks, empty results).
    cause : pandas.DataFrame or None
        The cause check of the motifs (:data:`motif.cause.CAUSE_COLUMNS`, one
        row per motif in order; filled by :func:`motif.cause.check_motifs`),
        None when it was not run.
    timings : dict of str to float
        Seconds per stage.
    """

    motifs: list[Motif]
    candidates: pd.DataFrame
    matches: pd.DataFrame
    params: MotifParams
    n_pos: int
    n_neg: int
    n_regions: int
    background: np.ndarray
    database: str = ""
    target_ppms: dict[str, np.ndarray] = field(default_factory=dict)
    dropped: list[Dropped] = field(default_factory=list)
    splits: list[Split] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    cause: pd.DataFrame | None = None

    def parameters(self) -> dict[str, object]:
        """Parameters as a flat dict, with the mode-dependent choices resolved and the database."""
        resolved = {"rule": self.params.region_rule, "both_strands": self.params.strands, "database": self.database or "none"}
        return {**asdict(self.params), **resolved}


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - t0


def base_frequencies(*sets: Encoded) -> np.ndarray:
    """ACGT frequencies over the given sequence sets (uniform if they have no ACGT), shape (4,)."""
    counts = sum(np.bincount(s.codes, minlength=5)[:4] for s in sets).astype(np.float64)
    return counts / counts.sum() if counts.sum() else np.full(4, 0.25)


def kmer_enrichment(
    pos: Encoded, neg: Encoded, regions: Regions, params: MotifParams
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, dict[int, KmerOccurrences]]:
    """``kmers`` mode: candidate k-mers and their enrichment.

    Returns
    -------
    table : pandas.DataFrame
        :data:`motif.enrichment.CANDIDATE_COLUMNS`, one row per candidate.
    k, value : np.ndarray, shape (C,), int64
        Length and base-4 value of each candidate.
    occurrences : dict of int to KmerOccurrences
        The k-mers inside regions, per k.
    """
    labels = regions.labels(pos)
    occurrences, ks, values, x, y = {}, [], [], [], []
    for k in range(params.min_len, params.k_max + 1):
        pos_values = kmer_index(pos.codes, k, canonical=params.strands)
        occurrences[k] = kmers_in_regions(pos_values, labels, k)
        distinct = distinct_values(occurrences[k])
        ks.append(np.full(len(distinct), k, dtype=np.int64))
        values.append(distinct)
        x.append(count_kmers(pos_values, pos, k)[distinct])
        y.append(count_kmers(kmer_index(neg.codes, k, canonical=params.strands), neg, k)[distinct])
    k_all, value_all = np.concatenate(ks), np.concatenate(values)
    words = kmer_words(k_all, value_all)
    table = enrichment_table(words, np.concatenate(x), np.concatenate(y), len(pos), len(neg), params.q_cutoff)
    return table, k_all, value_all, occurrences


def kmer_groups(
    pos: Encoded, neg: Encoded, regions: Regions, params: MotifParams, background: np.ndarray, timings: dict[str, float]
) -> tuple[pd.DataFrame, list[Group]]:
    """``kmers`` mode: enrichment, then the significant k-mers assembled, most significant (then longest) first."""
    with _timed(timings, "enrichment"):
        table, k_all, value_all, occurrences = kmer_enrichment(pos, neg, regions, params)
    with _timed(timings, "merge"):
        kept = np.flatnonzero(table["kept"].to_numpy())
        kept = kept[np.lexsort((-k_all[kept], table["log10_p"].to_numpy()[kept]))]
        groups = assemble(
            pos,
            regions,
            occurrences,
            k_all[kept],
            value_all[kept],
            table["sequence"].to_numpy()[kept].tolist(),
            background=background,
            both_strands=params.strands,
            max_mismatches=params.max_mismatches,
            window_size=params.window_size,
            pseudocount=params.pseudocount,
            trim_bits=params.trim_bits,
            min_score=params.min_score,
            min_sites=params.min_n_motif,
        )
    return table, groups


def region_groups(
    pos_seqs: list[str], neg_seqs: list[str], regions: Regions, params: MotifParams, timings: dict[str, float]
) -> tuple[pd.DataFrame, list[Group]]:
    """``regions`` mode (the original): region strings, their enrichment, then the greedy merge."""
    with _timed(timings, "enrichment"):
        words, region_word = region_candidates(regions.strings(pos_seqs))
        x = count_words(pos_seqs, words, params.strands)
        y = count_words(neg_seqs, words, params.strands)
        table = enrichment_table(words, x, y, len(pos_seqs), len(neg_seqs), params.q_cutoff)
    with _timed(timings, "merge"):
        kept = np.flatnonzero(table["kept"].to_numpy())
        renumber = np.full(len(words), -1, dtype=np.int64)
        renumber[kept] = np.arange(len(kept))
        groups = greedy_merge([words[i] for i in kept], regions, renumber[region_word], params.min_len)
    return table, groups


def build_motif(group: Group, pos: Encoded, pos_ids: list[str], params: MotifParams, background: np.ndarray) -> Motif | None:
    """Windows -> counts -> PPM -> trimmed motif with its instances; None if too few instances or no informative column."""
    cut, kept, wstart = windows(pos, group.seq, group.start, group.end, group.strand, params.window_size)
    counts = count_matrix(cut)
    a, b = trim_bounds(information(probabilities(counts, params.pseudocount, background)), params.trim_bits)
    if len(cut) < params.min_n_motif or b == a:
        return None
    seq, strand, ws = group.seq[kept], group.strand[kept], wstart[kept]
    w = params.window_size
    site_start = np.where(strand > 0, ws + a, ws + w - b)
    instances = pd.DataFrame(
        {
            "motif": "",
            "seq_id": [pos_ids[i] for i in seq],
            "start": site_start,
            "end": site_start + (b - a),
            "strand": np.where(strand > 0, "+", "-"),
            "site": decode(cut[:, a:b]),
            "window_start": ws,
            "window_end": ws + w,
            "window": decode(cut),
        },
        columns=INSTANCE_COLUMNS,
    )
    counts = counts[:, a:b]
    return Motif("", group.key, counts, probabilities(counts, params.pseudocount, background), instances, int((~kept).sum()))


def score_motifs(
    motifs: list[Motif],
    pos: Encoded,
    neg: Encoded,
    params: MotifParams,
    background: np.ndarray,
    recount: list[Motif] | None = None,
) -> None:
    """Fill each motif's site counts and p (only those in ``recount`` if given), then q over all ``motifs`` (in place)."""
    for m in motifs if recount is None else recount:
        pwm = log_odds(m.ppm, background)
        threshold = pvalue_threshold(pwm, background, params.site_pvalue)
        m.n_pos = int(sequences_with_site(pos, pwm, threshold, params.strands).sum())
        m.n_neg = int(sequences_with_site(neg, pwm, threshold, params.strands).sum())
        p, log10_p = hypergeom_pvalues(np.array([m.n_pos]), np.array([m.n_pos + m.n_neg]), len(pos), len(neg))
        m.p, m.log10_p = float(p[0]), float(log10_p[0])
    if motifs:
        for m, q in zip(motifs, false_discovery_control([m.p for m in motifs])):
            m.q = float(q)


def find_motifs(
    pos_seqs: list[str],
    scores: list[np.ndarray],
    neg_seqs: list[str] | None = None,
    params: MotifParams = MotifParams(),
    database: MotifDatabase | None = None,
    pos_ids: list[str] | None = None,
) -> MotifResult:
    """Discover motifs in high-attention regions of the positives.

    Parameters
    ----------
    pos_seqs : list of str
        n positive sequences (upper case; N and IUPAC letters allowed).
    scores : list of np.ndarray
        n per-nucleotide attention tracks; track i has at least
        ``len(pos_seqs[i])`` values (extra values are cut off).
    neg_seqs : list of str, optional
        Negative sequences; None = dinucleotide shuffles of the positives
        (seeded by ``params.seed``; a note says so).
    params : MotifParams
    database : MotifDatabase, optional
        Targets for TOMTOM (e.g. :func:`motif.jaspar.load_jaspar`); None skips matching.
    pos_ids : list of str, optional
        Ids of the positives (default ``seq1``, ``seq2``, ...).

    Returns
    -------
    MotifResult

    Raises
    ------
    InputError
        No positives, empty negatives, scores that do not fit the sequences
        or are not finite, invalid parameters.
    """
    params.check()
    notes: list[str] = []
    timings: dict[str, float] = {}
    if not pos_seqs:
        raise InputError("no positive sequences: give at least one")
    pos_ids = pos_ids or [f"seq{i + 1}" for i in range(len(pos_seqs))]
    with _timed(timings, "input"):
        scores = check_scores(scores, pos_seqs, pos_ids)
        if neg_seqs is None:
            neg_seqs = shuffled_negatives(pos_seqs, params.seed)
            notes.append(f"no negatives given: used dinucleotide-shuffled positives (seed {params.seed})")
        if not neg_seqs:
            raise InputError("the negative set is empty: give negative sequences or leave them out to use shuffled positives")
        pos, neg = encode(pos_seqs), encode(neg_seqs)
        background = base_frequencies(pos, neg)
    with _timed(timings, "regions"):
        regions = find_regions(scores, pos, params.region_rule, params.min_len, params.z, params.mean_factor, params.min_factor)
    result = MotifResult(
        [],
        pd.DataFrame(columns=CANDIDATE_COLUMNS),
        pd.DataFrame(columns=MATCH_COLUMNS),
        params,
        len(pos),
        len(neg),
        len(regions),
        background,
        database.name if database else "",
        notes=notes,
        timings=timings,
    )
    flat = sum(1 for t in scores if len(t) == 0 or t.max() == t.min())
    if flat:
        notes.append(f"{flat} of {len(scores)} score tracks are constant (e.g. all zero): they have no high-attention region")
    if not len(regions):
        notes.append(
            f"no high-attention region of at least {params.min_len} bases under the '{params.region_rule}' rule: no motif can be found"
        )
        return result
    if params.mode == "kmers":
        result.candidates, groups = kmer_groups(pos, neg, regions, params, background, timings)
    else:
        result.candidates, groups = region_groups(pos_seqs, neg_seqs, regions, params, timings)
    n_kept = int(result.candidates["kept"].sum())
    if not n_kept:
        notes.append(f"no candidate passed the cutoff (q < {params.q_cutoff}) among {len(result.candidates)}: no motif reported")
    with _timed(timings, "motifs"):
        motifs = [m for m in (build_motif(g, pos, pos_ids, params, background) for g in groups) if m is not None]
        score_motifs(motifs, pos, neg, params, background)
        if params.mode == "kmers":
            unenriched = [m for m in motifs if m.q >= params.q_cutoff]
            if unenriched:
                notes.append(
                    f"{len(unenriched)} assembled motif(s) dropped: their sites are not enriched (q >= {params.q_cutoff})"
                )
            motifs = [m for m in motifs if m.q < params.q_cutoff]
        motifs.sort(key=lambda m: (m.log10_p, -len(m.instances)))
    if params.mode == "kmers" and params.remove_redundant:
        with _timed(timings, "redundancy"):
            build = partial(build_motif, pos=pos, pos_ids=pos_ids, params=params, background=background)
            assembled = {id(m) for m in motifs}
            motifs, result.dropped, result.splits = remove_redundant(motifs, pos, neg, background, pos_ids, build, params)
            notes.extend(s.note for s in result.splits)
            new = [m for m in motifs if id(m) not in assembled]  # split or merged: new matrices; the others' are unchanged
            score_motifs(motifs, pos, neg, params, background, recount=new)  # re-test: q over the reported motifs
            motifs.sort(key=lambda m: (m.log10_p, -len(m.instances)))
    with _timed(timings, "motifs"):
        for i, m in enumerate(motifs, start=1):
            m.id = f"motif_{i}"
            m.instances["motif"] = m.id
    result.motifs = motifs
    if n_kept and not motifs:
        notes.append(f"{n_kept} candidates passed the cutoff but none made a motif with at least {params.min_n_motif} instances")
    if database is not None and motifs:
        with _timed(timings, "tomtom"):
            matches = match_motifs([m.ppm for m in motifs], database, params.top_matches)
            matches["motif"] = [motifs[i].id for i in matches["motif"]]
            result.matches = matches
            result.target_ppms = {t: database.ppm(t) for t in matches["target_id"].unique()}
    return result
